"""Every Python block of README.md and python-host/README.md runs as written (here with
the development install; `scripts/wheel.sh --check` runs them again from the wheel)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "wheel"))
import snippets

ALL = snippets.snippets()


def test_the_readmes_have_python_blocks() -> None:
    assert {s.document for s in ALL} == set(snippets.DOCUMENTS)


@pytest.mark.parametrize("snippet", ALL, ids=str)
def test_snippet_runs(snippet: snippets.Snippet) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QDRANT_URL")}
    problem = snippets.run(snippet, sys.executable, env)
    assert problem is None, problem
