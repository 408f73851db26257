"""Starts the embedded Qdrant-compatible engine (``qdrant-integration serve-embedded``) as a
subprocess, for when no Qdrant server is at hand. It is a real HTTP server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def _binary() -> str:
    override = os.environ.get("QDRANT_INTEGRATION_BIN")
    if override:
        return override
    found = shutil.which("qdrant-integration")
    if found:
        return found
    for parent in [Path.cwd(), *Path.cwd().parents]:
        candidate = parent / "target" / "release" / "qdrant-integration"
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(
        "qdrant-integration binary not found: build it with `cargo build --release` "
        "or set QDRANT_INTEGRATION_BIN"
    )


class EmbeddedQdrant:
    """``with EmbeddedQdrant() as url: ...`` runs the engine on a free port until exit."""

    def __init__(self, data_dir: str | None = None, api_key: str | None = None) -> None:
        self._args = [_binary(), "serve-embedded", "--port", "0"]
        if data_dir:
            self._args += ["--data", data_dir]
        self._env = dict(os.environ)
        if api_key:
            self._env["EMBEDDED_API_KEY"] = api_key
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> str:
        self._process = subprocess.Popen(
            self._args, stdout=subprocess.PIPE, text=True, env=self._env
        )
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"embedded engine did not start: {line!r}")
        self.url = line.removeprefix("listening on ").strip()
        return self.url

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
