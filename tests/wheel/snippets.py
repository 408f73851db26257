"""The Python blocks of the README files, run as a reader would paste them: each in a
fresh interpreter and an empty working directory, with nothing set up before it."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The documents whose Python blocks must run.
DOCUMENTS = ("README.md", "python-host/README.md")
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)


@dataclass
class Snippet:
    document: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def snippets() -> list[Snippet]:
    found = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append(Snippet(document, line, match.group(1)))
    return found


def run(snippet: Snippet, python: str, env: dict[str, str] | None = None) -> str | None:
    """``None`` when the snippet ran, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="snippet-") as cwd:
        done = subprocess.run(
            [python, "-c", snippet.code],
            cwd=cwd,
            env=env if env is not None else dict(os.environ),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        return f"{snippet} exited with {done.returncode}:\n{done.stderr[-3000:]}"
    return None
