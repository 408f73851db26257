"""The component under wasmtime's own CLI, with no host of ours: the app component composed
with the retriever by `wac plug` (`wasmtime run -S http`), and a call with `--invoke`."""

from __future__ import annotations

import subprocess

from wasm_hosts import COMPOSED_APP, RETRIEVER, WASMTIME, need


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(need(WASMTIME)), "run", *args], capture_output=True, text=True, timeout=timeout
    )


def test_retrieval_smoke_composed(qdrant_url):
    """The app (examples/component-app) computes the expected ids itself and exits 1 on a
    difference."""
    result = run(
        "-S",
        "http",
        "--env",
        f"QDRANT_URL={qdrant_url}",
        "--env",
        "COLLECTION_NAME=smoke_composed",
        str(need(COMPOSED_APP)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "upserted: 50" in result.stdout, result.stdout
    assert "deleted: smoke_composed" in result.stdout, result.stdout


def test_composed_app_reports_an_unreachable_server():
    result = run("-S", "http", "--env", "QDRANT_URL=http://127.0.0.1:9", str(need(COMPOSED_APP)))
    assert result.returncode == 1
    assert "health-check: Error::Connection(" in result.stderr, result.stderr


def test_invoke_calls_an_export_directly(qdrant_url):
    config = f'{{url: "{qdrant_url}"}}'
    result = run("-S", "http", "--invoke", f"health-check({config})", str(need(RETRIEVER)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok({title: "), result.stdout
    result = run(
        "-S",
        "http",
        "--invoke",
        f'get-collection({config}, "invoke_missing")',
        str(need(RETRIEVER)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("err(not-found("), result.stdout
