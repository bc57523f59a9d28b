"""Time ``qapic check`` against QEMU's own frontend on the full QEMU 10.0.x schema, in one run.

Upstream's parse + check is timed by running QEMU's schema test driver
(``tests/qapi-schema/test-qapi.py``, a subprocess) on a copy of ``qapi/``: it parses, checks and
dumps the model.  qapic is timed twice: ``qapic check`` (parse + check) and parse + check + the
same dump, so the ratio compares like with like.  Each figure is the best of N runs of a whole
process (interpreter start-up included, as a build sees it).

    .venv/bin/python bench/check_speed.py [--runs N] [--schema-key 10.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def best_of(runs: int, argv: list[str], env: dict[str, str] | None = None) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=False, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--schema-key", default="10.0")
    args = ap.parse_args()

    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True).stdout.strip())
    schema = tree / "qapi" / "qapi-schema.json"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "qapi"
        shutil.copytree(tree / "qapi", copy)
        env = dict(os.environ, PYTHONPATH=str(tree / "scripts"), PYTHONIOENCODING="utf-8")
        upstream = best_of(args.runs, [sys.executable, str(tree / "tests/qapi-schema/test-qapi.py"),
                                       "-u", str(copy / "qapi-schema.json")], env)
        if not (copy / "qapi-schema.out").stat().st_size:
            print("upstream's test-qapi.py produced no dump: the timing is not meaningful")
            return 1
    check = best_of(args.runs, [sys.executable, "-m", "qapic", "check", str(schema)])
    dump = best_of(args.runs, [sys.executable, "-c",
                               "import sys; from qapic.frontend import load_schema; "
                               "from qapic.frontend.dump import dump; "
                               "sys.stdout.write(dump(load_schema(sys.argv[1])))",
                               str(schema)])
    print(f"schema: QEMU {(tree / 'VERSION').read_text().strip()} qapi/qapi-schema.json, "
          f"best of {args.runs} runs")
    print(f"{'what':<42} {'seconds':>8} {'ratio':>7}")
    print(f"{'upstream test-qapi.py (parse+check+dump)':<42} {upstream:8.3f} {1:7.2f}")
    print(f"{'qapic check (parse+check)':<42} {check:8.3f} {check / upstream:7.2f}")
    print(f"{'qapic parse+check+dump':<42} {dump:8.3f} {dump / upstream:7.2f}")
    verdict = "met" if check <= 0.5 * upstream else "NOT met"
    print(f"goal: qapic check at most 0.5x upstream -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
