"""Tries the platform wheel as a new user would: installs it into a fresh virtual
environment outside the checkout, with no Rust toolchain on ``PATH``, no ``target/`` to
find and no ``QDRANT_*`` settings, then runs the CLI, the embedded engine, local mode, the
README's Python blocks and the DSPy example from there.

    python3 tests/wheel/check_wheel.py target/wheels/qdrant_integration-*.whl

Exits non-zero on the first failure. ``bash scripts/wheel.sh --check`` builds the wheel and
runs this.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import snippets

ROOT = snippets.ROOT


class FreshVenv:
    """A virtual environment in a new temporary directory, and an environment for its
    programs that has only the venv and the system's directories on ``PATH``."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="wheel-check-"))
        self.venv = self.home / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        self.python = str(self.venv / "bin" / "python")
        self.env = {
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(Path.home()),  # pip's cache
            "LANG": "C.UTF-8",
        }

    def pip_install(self, *requirements: str) -> float:
        started = time.perf_counter()
        self.run([self.python, "-m", "pip", "install", "--quiet", *requirements])
        return time.perf_counter() - started

    def run(self, argv: list[str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv,
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(
                f"FAILED: {' '.join(argv)} exited with {done.returncode}\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def glibc_needed(binary: bytes) -> tuple[int, int]:
    """The newest ``GLIBC_2.N`` symbol version the binary asks for."""
    found = {(2, int(minor)) for minor in re.findall(rb"GLIBC_2\.(\d+)", binary)}
    assert found, "the binary asks for no GLIBC_2.N symbol version: is it a glibc build?"
    return max(found)


def check_tag(wheel: Path) -> str:
    """The wheel's manylinux tag names exactly the newest glibc its binary needs."""
    arch = platform.machine()
    match = re.search(rf"manylinux_(\d+)_(\d+)_{arch}\.whl$", wheel.name)
    assert match, f"{wheel.name} has no manylinux_X_Y_{arch} tag"
    tagged = (int(match[1]), int(match[2]))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        binary = next(n for n in names if n.endswith(".data/scripts/qdrant-integration"))
        needed = glibc_needed(archive.read(binary))
        for packaged in (
            "qdrant_integration/qdrant_component.wasm",
            "qdrant_integration/data/all-MiniLM-L6-v2-tokenizer.json",
            "qdrant_integration/py.typed",
        ):
            assert packaged in names, f"the wheel lacks {packaged}"
    assert tagged == needed, f"tagged glibc {tagged}, the binary needs {needed}"
    return f"manylinux_{tagged[0]}_{tagged[1]} (the binary needs glibc {needed[0]}.{needed[1]})"


LOCAL_MODE = """
import time
started = time.perf_counter()
from qdrant_integration import QdrantClient
with QdrantClient(":memory:") as client:
    client.create_collection("c", 2, "Cosine")
    client.upsert("c", [1, 2], [[1.0, 0.0], [0.0, 1.0]], [{"t": "x"}, {"t": "y"}])
    hit = client.search("c", [0.1, 0.9], 1)[0]
    assert (hit.id, hit.payload) == ("2", {"t": "y"}), hit
print(f"{time.perf_counter() - started:.3f}")
"""

ENGINE_FROM_THE_WHEEL = """
import sys, urllib.request
from pathlib import Path
from qdrant_integration import EmbeddedQdrant
from qdrant_integration.embedded import _binary
assert Path(_binary()).is_relative_to(Path(sys.prefix)), _binary()
with EmbeddedQdrant() as url:
    print(urllib.request.urlopen(url + "/healthz").read().decode())
"""


def main() -> int:
    wheel = Path(sys.argv[1]).resolve()
    print(f"wheel: {wheel.name}, {wheel.stat().st_size / 1e6:.1f} MB")
    print(f"tag: {check_tag(wheel)}")
    venv = FreshVenv()
    try:
        for tool in ("cargo", "rustc", "rustup"):
            assert shutil.which(tool, path=venv.env["PATH"]) is None, f"{tool} is on PATH"
        seconds = venv.pip_install(f"{wheel}[dspy,embeddings]")
        print(f"pip install (with the dspy and embeddings extras): {seconds:.1f} s")

        help_text = venv.run(["qdrant-integration", "--help"]).stdout
        assert "serve-embedded" in help_text, help_text
        print("qdrant-integration --help: ok")

        answer = venv.run([venv.python, "-c", ENGINE_FROM_THE_WHEEL]).stdout
        print(f"EmbeddedQdrant() from the wheel: ok ({answer.strip()})")

        first_query = venv.run([venv.python, "-c", LOCAL_MODE]).stdout.strip()
        print(f"local mode, import to first query: {first_query} s")

        for snippet in snippets.snippets():
            problem = snippets.run(snippet, venv.python, venv.env)
            if problem:
                raise SystemExit(f"FAILED: {problem}")
            print(f"{snippet}: ok")

        example = ROOT / "examples" / "dspy_integration.py"
        output = venv.run([venv.python, str(example)]).stdout
        assert "indexed" in output and "Q: " in output, output
        print("examples/dspy_integration.py: ok")
    finally:
        venv.close()
    print("wheel check: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
