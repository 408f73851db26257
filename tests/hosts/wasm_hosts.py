"""Where the wasm hosts' tools and artifacts are, and `wasmtime serve` as a test service.
Tools come from scripts/tools.sh (.tools/bin), artifacts from scripts/hosts.sh."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WASMTIME = ROOT / ".tools" / "bin" / "wasmtime"
RETRIEVER = ROOT / "target/component/wasm32-wasip2/release/qdrant_component.wasm"
EDGE = ROOT / "target/component-edge/wasm32-wasip2/release/qdrant_component.wasm"
COMPOSED_APP = ROOT / "target/hosts/app.wasm"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `bash scripts/hosts.sh`")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EdgeService:
    """`wasmtime serve` running the edge build, with its stderr kept for the log checks."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(need(WASMTIME)), "serve", "-S", "cli", "-S", "http"]
        args += ["--addr", f"127.0.0.1:{self.port}"]
        for name, value in env.items():
            args += ["--env", f"{name}={value}"]
        args.append(str(need(EDGE)))
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wasmtime serve exited: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("wasmtime serve did not start listening in 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log_file.close()
