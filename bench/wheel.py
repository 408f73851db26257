"""The platform wheel as a new user meets it: its size, ``pip install`` time into a fresh
venv, time from ``import`` to the first answer in local mode, and the import cost of
``qdrant_integration`` beside ``qdrant_client``.

    bash scripts/wheel.sh && python3 bench/wheel.py target/wheels/qdrant_integration-*.whl

Installs from PyPI what the wheel depends on (pip's cache makes repeats fast; the first
install is reported separately from the timed ones). Prints a Markdown table; times are
medians of ``--runs`` fresh interpreters.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "wheel"))
from check_wheel import LOCAL_MODE, FreshVenv

#: Prints seconds and the peak RSS (MiB) of importing ``{statement}``, beside a bare start.
IMPORT_COST = """
import json, resource, sys, time
started = time.perf_counter()
{statement}
seconds = time.perf_counter() - started
print(json.dumps([seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def import_cost(venv: FreshVenv, statement: str, runs: int) -> tuple[float, float]:
    seconds, rss = [], []
    for _ in range(runs):
        out = venv.run([venv.python, "-c", IMPORT_COST.format(statement=statement)]).stdout
        s, r = json.loads(out)
        seconds.append(s)
        rss.append(r)
    return statistics.median(seconds), statistics.median(rss)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    wheel = args.wheel.resolve()

    rows = [("wheel size", f"{wheel.stat().st_size / 1e6:.1f} MB")]
    installs = []
    for attempt in range(args.runs + 1):
        venv = FreshVenv()
        try:
            seconds = venv.pip_install(str(wheel))
            if attempt:
                installs.append(seconds)
            else:
                rows.append(
                    (
                        "`pip install` of the wheel, first run (pip cache as found)",
                        f"{seconds:.1f} s",
                    )
                )
        finally:
            venv.close()
    rows.append(
        (
            "`pip install` of the wheel, fresh venv, deps cached",
            f"{statistics.median(installs):.1f} s",
        )
    )

    venv = FreshVenv()
    try:
        venv.pip_install(str(wheel), "qdrant-client")
        first = [float(venv.run([venv.python, "-c", LOCAL_MODE]).stdout) for _ in range(args.runs)]
        rows.append(
            (
                "local mode: `import` to first answer (engine start, collection, upsert, search)",
                f"{statistics.median(first) * 1000:.0f} ms",
            )
        )
        base_s, base_rss = import_cost(venv, "pass", args.runs)
        rows.append(
            ("bare interpreter (baseline)", f"{base_s * 1000:.1f} ms, {base_rss:.1f} MiB RSS")
        )
        for statement in (
            "import qdrant_integration",
            "from qdrant_integration import QdrantClient",
            "import qdrant_client",
            "from qdrant_client import QdrantClient",
        ):
            s, rss = import_cost(venv, statement, args.runs)
            rows.append(
                (f"`{statement}`", f"{s * 1000:.1f} ms, {rss:.1f} MiB RSS (+{rss - base_rss:.1f})")
            )
    finally:
        venv.close()

    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
