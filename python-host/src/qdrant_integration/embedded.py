"""Starts the embedded Qdrant-compatible engine (``qdrant-integration serve-embedded``) as a
subprocess, for when no Qdrant server is at hand. It is a real HTTP server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import tempfile
import weakref
from pathlib import Path
from typing import Any


def _binary() -> str:
    """The ``qdrant-integration`` binary: ``QDRANT_INTEGRATION_BIN``, else the one the
    wheel installed beside this interpreter's scripts (a venv's ``bin``, or the user
    scheme's for ``pip install --user``), else one on ``PATH``, else a checkout's
    ``target/release`` build."""
    override = os.environ.get("QDRANT_INTEGRATION_BIN")
    if override:
        return override
    name = "qdrant-integration.exe" if os.name == "nt" else "qdrant-integration"
    schemes = [sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")]
    for scheme in schemes:
        if scheme in sysconfig.get_scheme_names():
            candidate = Path(sysconfig.get_path("scripts", scheme)) / name
            if candidate.is_file():
                return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    for parent in [Path.cwd(), *Path.cwd().parents]:
        candidate = parent / "target" / "release" / name
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(
        f"the {name} binary was not found: install the qdrant-integration wheel (it carries "
        "the binary), build a checkout with `cargo build --release`, or set "
        "QDRANT_INTEGRATION_BIN"
    )


class EmbeddedQdrant:
    """``with EmbeddedQdrant() as url: ...`` runs the engine on a free port until exit.

    ``data_dir`` keeps the collections there (one engine at a time: a second one on the
    same directory is refused, in this process or another); without it they live in a
    temporary directory removed when the engine stops. An engine that is started and
    never stopped is stopped when this object is garbage-collected, or at exit.
    """

    def __init__(
        self, data_dir: str | os.PathLike[str] | None = None, api_key: str | None = None
    ) -> None:
        self._args = [_binary(), "serve-embedded", "--port", "0"]
        if data_dir:
            self._args += ["--data", os.fspath(data_dir)]
        self._env = dict(os.environ)
        if api_key:
            self._env["EMBEDDED_API_KEY"] = api_key
        self._process: subprocess.Popen[str] | None = None
        self._finalizer: weakref.finalize | None = None
        self.url = ""

    def start(self) -> str:
        # Its messages go to a file, read if it fails to start: a pipe nobody reads would
        # stall the engine once full.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the finalizer)
        process = subprocess.Popen(
            self._args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=self._env
        )
        self._process = process
        self._finalizer = weakref.finalize(self, _stop, process, stderr)
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("listening on "):
            process.wait(timeout=10)
            stderr.seek(0)
            reason = stderr.read().decode(errors="replace").strip() or repr(line)
            self.stop()
            raise RuntimeError(f"the embedded engine did not start: {reason}")
        self.url = line.removeprefix("listening on ").strip()
        return self.url

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop(process: subprocess.Popen[str], stderr: Any) -> None:
    """Stops the engine gracefully (it flushes its collections), or kills it after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()
    stderr.close()
