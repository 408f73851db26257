"""What the Python sandbox guarantees: no ambient capabilities, egress to one origin.

The component imports no ``wasi:filesystem``, ``wasi:sockets`` or ``wasi:http``; probes
check the rest: a component linked and stored exactly as the client's sees no environment
variables, no arguments and no directories, and cannot open a socket. (Egress spelled every
other way: ``test_egress.py``.)
"""

from __future__ import annotations

import functools
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
from secret_key import KEY, transport_request
from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Variant

from qdrant_integration import QdrantClient, _egress, _sandbox


def test_component_imports_no_network_or_filesystem() -> None:
    engine = Engine()
    component = Component.from_file(engine, str(_sandbox.component_path()))
    imports = set(component.type.imports(engine))
    assert _sandbox.TRANSPORT in imports
    assert not {
        i for i in imports if i.startswith(("wasi:http", "wasi:sockets", "wasi:filesystem"))
    }


def test_transport_allows_only_the_configured_origin(qdrant_url: str) -> None:
    origin = _egress.Origin.of_url(qdrant_url)
    assert origin is not None
    with _egress.allow(origin):
        answer = _egress.send(None, transport_request(f"{qdrant_url}/", key=None))
        assert not isinstance(answer, Variant) and answer.status == 200
        # Same host, other port or scheme: other origins.
        for other in (
            f"http://{origin.host}:{origin.port + 1}/",
            f"https://{origin.host}:{origin.port}/",
            "http://example.com/",
        ):
            denied = _egress.send(None, transport_request(other, key=None))
            assert isinstance(denied, Variant) and denied.tag == "denied", other
    # Outside a client's call nothing is allowed.
    outside = _egress.send(None, transport_request(f"{qdrant_url}/", key=None))
    assert isinstance(outside, Variant) and outside.tag == "denied"


def test_connections_are_kept_alive(client: QdrantClient) -> None:
    origin = _egress.Origin.of_url(client.url)
    client.collection_exists("a")
    first = _egress._pool.connections[origin][0]
    client.collection_exists("b")
    assert _egress._pool.connections[origin][0] is first


# ---- the sandbox: no environment, arguments, directories or sockets ----------------------

WASI = "0.2.12"

# A component that asks WASI for what the retriever's sandbox must not give: the
# environment and arguments (wasi:cli/environment, which the retriever imports) and the
# preopened directories (wasi:filesystem, which it does not). Each export returns a count.
CAPABILITIES_WAT = """
(component $C
  (import "wasi:cli/environment@V" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))))
  (import "wasi:filesystem/types@V" (instance $fs
    (export "descriptor" (type (sub resource)))))
  (alias export $fs "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@V" (instance $preopens
    (alias outer $C $descriptor (type $d))
    (export "descriptor" (type $d2 (eq $d)))
    (export "get-directories" (func (result (list (tuple (own $d2) string)))))))
  (core module $Mem
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow
          (i32.add (i32.div_u (global.get $next) (i32.const 65536)) (i32.const 1))))))
      (local.get $p)))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias core export $mem "realloc" (core func $realloc))
  (alias export $env "get-environment" (func $env_f))
  (alias export $env "get-arguments" (func $args_f))
  (alias export $preopens "get-directories" (func $dirs_f))
  (core func $env_c (canon lower (func $env_f) (memory $memory) (realloc $realloc)))
  (core func $args_c (canon lower (func $args_f) (memory $memory) (realloc $realloc)))
  (core func $dirs_c (canon lower (func $dirs_f) (memory $memory) (realloc $realloc)))
  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "env" (func $env (param i32)))
    (import "wasi" "args" (func $args (param i32)))
    (import "wasi" "dirs" (func $dirs (param i32)))
    (func (export "environment") (result i32)
      (call $env (i32.const 16)) (i32.load (i32.const 20)))
    (func (export "arguments") (result i32)
      (call $args (i32.const 16)) (i32.load (i32.const 20)))
    (func (export "directories") (result i32)
      (call $dirs (i32.const 16)) (i32.load (i32.const 20))))
  (core instance $wasi
    (export "env" (func $env_c)) (export "args" (func $args_c)) (export "dirs" (func $dirs_c)))
  (core instance $main
    (instantiate $Main (with "mem" (instance $mem)) (with "wasi" (instance $wasi))))
  (alias core export $main "environment" (core func $e))
  (alias core export $main "arguments" (core func $a))
  (alias core export $main "directories" (core func $d))
  (func (export "environment") (result u32) (canon lift (core func $e)))
  (func (export "arguments") (result u32) (canon lift (core func $a)))
  (func (export "directories") (result u32) (canon lift (core func $d)))
)
""".replace("@V", f"@{WASI}")

# A component that opens a TCP socket (wasi:sockets) to 127.0.0.1:port. `connect` returns
# 0 once a connect has started, 100 + the error code if the socket cannot be created,
# 200 + the code if the connect is refused (1 is access-denied).
SOCKET_WAT = """
(component $C
  (import "wasi:sockets/network@V" (instance $network
    (export "network" (type (sub resource)))
    (type $ec (enum "unknown" "access-denied" "not-supported" "invalid-argument"
      "out-of-memory" "timeout" "concurrency-conflict" "not-in-progress" "would-block"
      "invalid-state" "new-socket-limit" "address-not-bindable" "address-in-use"
      "remote-unreachable" "connection-refused" "connection-reset" "connection-aborted"
      "datagram-too-large" "name-unresolvable" "temporary-resolver-failure"
      "permanent-resolver-failure"))
    (export "error-code" (type (eq $ec)))
    (type $family (enum "ipv4" "ipv6"))
    (export "ip-address-family" (type (eq $family)))
    (type $v4 (record (field "port" u16) (field "address" (tuple u8 u8 u8 u8))))
    (export "ipv4-socket-address" (type $v4e (eq $v4)))
    (type $v6 (record (field "port" u16) (field "flow-info" u32)
      (field "address" (tuple u16 u16 u16 u16 u16 u16 u16 u16)) (field "scope-id" u32)))
    (export "ipv6-socket-address" (type $v6e (eq $v6)))
    (type $sa (variant (case "ipv4" $v4e) (case "ipv6" $v6e)))
    (export "ip-socket-address" (type (eq $sa)))))
  (alias export $network "network" (type $net))
  (alias export $network "error-code" (type $ec))
  (alias export $network "ip-address-family" (type $family))
  (alias export $network "ip-socket-address" (type $sa))
  (import "wasi:sockets/instance-network@V" (instance $inet
    (alias outer $C $net (type $n))
    (export "network" (type $n2 (eq $n)))
    (export "instance-network" (func (result (own $n2))))))
  (import "wasi:sockets/tcp@V" (instance $tcp
    (alias outer $C $net (type $n))
    (alias outer $C $ec (type $e))
    (alias outer $C $sa (type $a))
    (export "network" (type $n2 (eq $n)))
    (export "error-code" (type $e2 (eq $e)))
    (export "ip-socket-address" (type $a2 (eq $a)))
    (export "tcp-socket" (type $s (sub resource)))
    (export "[method]tcp-socket.start-connect" (func (param "self" (borrow $s))
      (param "network" (borrow $n2)) (param "remote-address" $a2) (result (result (error $e2)))))))
  (alias export $tcp "tcp-socket" (type $socket))
  (import "wasi:sockets/tcp-create-socket@V" (instance $create
    (alias outer $C $ec (type $e))
    (alias outer $C $family (type $f))
    (alias outer $C $socket (type $s))
    (alias outer $C $net (type $n))
    (export "network" (type $n2 (eq $n)))
    (export "error-code" (type $e2 (eq $e)))
    (export "ip-address-family" (type $f2 (eq $f)))
    (export "tcp-socket" (type $s2 (eq $s)))
    (export "create-tcp-socket"
      (func (param "address-family" $f2) (result (result (own $s2) (error $e2)))))))
  (core module $Mem (memory (export "memory") 1))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias export $inet "instance-network" (func $inet_f))
  (alias export $create "create-tcp-socket" (func $create_f))
  (alias export $tcp "[method]tcp-socket.start-connect" (func $connect_f))
  (core func $inet_c (canon lower (func $inet_f)))
  (core func $create_c (canon lower (func $create_f) (memory $memory)))
  (core func $connect_c (canon lower (func $connect_f) (memory $memory)))
  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "inet" (func $inet (result i32)))
    (import "wasi" "create" (func $create (param i32 i32)))
    (import "wasi" "connect" (func $connect
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (func (export "connect") (param $port i32) (result i32)
      (local $net i32)
      (local.set $net (call $inet))
      (call $create (i32.const 0) (i32.const 32))
      (if (i32.load8_u (i32.const 32))
        (then (return (i32.add (i32.const 100) (i32.load8_u (i32.const 36))))))
      (call $connect (i32.load (i32.const 36)) (local.get $net) (i32.const 0) (local.get $port)
        (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 48))
      (if (i32.load8_u (i32.const 48))
        (then (return (i32.add (i32.const 200) (i32.load8_u (i32.const 49))))))
      (i32.const 0)))
  (core instance $wasi
    (export "inet" (func $inet_c)) (export "create" (func $create_c))
    (export "connect" (func $connect_c)))
  (core instance $main
    (instantiate $Main (with "mem" (instance $mem)) (with "wasi" (instance $wasi))))
  (alias core export $main "connect" (core func $cc))
  (func (export "connect") (param "port" u16) (result u32) (canon lift (core func $cc)))
)
""".replace("@V", f"@{WASI}")


def sandboxed(wat: str) -> tuple[Any, dict[str, Callable[..., Any]]]:
    """The probe in a store made exactly as the client makes its own (the package's engine,
    linker, WASI configuration and memory cap): the store and the probe's exports."""
    rt = _sandbox.runtime()
    probe = Component(rt.engine, wat)
    exports = probe.type.exports(rt.engine)
    as_runtime = types.SimpleNamespace(
        engine=rt.engine,
        linker=rt.linker,
        component=probe,
        functions={name: probe.get_export_index(name) for name in exports},
    )
    sandbox = _sandbox._Sandbox(as_runtime, _sandbox.DEFAULT_MEMORY_LIMIT)  # type: ignore[arg-type]
    calls = {name: functools.partial(func, sandbox.store) for name, func in sandbox.funcs.items()}
    return sandbox.store, calls


def test_the_sandbox_has_no_environment_arguments_or_directories(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("QDRANT_API_KEY", KEY)
    _, probe = sandboxed(CAPABILITIES_WAT)
    assert probe["environment"]() == 0
    assert probe["arguments"]() == 0
    assert probe["directories"]() == 0
    # The probe does see them where a store grants them.
    rt = _sandbox.runtime()
    component = Component(rt.engine, CAPABILITIES_WAT)
    store = Store(rt.engine)
    wasi = WasiConfig()
    wasi.inherit_env()
    wasi.argv = ["probe", KEY]
    wasi.preopen_dir(str(tmp_path), "/data")
    store.set_wasi(wasi)
    store.set_epoch_deadline(1 << 40)
    instance = rt.linker.instantiate(store, component)

    def granted(name: str) -> int:
        func = instance.get_func(store, component.get_export_index(name))
        assert func is not None
        return func(store)

    assert granted("environment") >= 1
    assert granted("arguments") == 2
    assert granted("directories") == 1


def test_the_sandbox_cannot_open_a_socket(scripted_server: Any) -> None:
    # wasmtime-py grants no sockets to any store, so there is no store to compare with:
    # the probe's answer is WASI's own access-denied (error code 1), and no connection
    # reaches the listener.
    listener = scripted_server()
    _, probe = sandboxed(SOCKET_WAT)
    assert probe["connect"](listener.port) in (101, 201)
    time.sleep(0.05)
    assert listener.connections == 0
