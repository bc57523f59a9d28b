"""Time ``qapic generate -b`` against QEMU's ``scripts/qapi-gen.py -b`` on the full QEMU 10.0.x
schema, in one run, and print the ratio (goal: qapic at most 0.5x upstream).

Each figure is the best of N runs of a whole process into a fresh output directory (interpreter
start-up included, as QEMU's build sees it).

    .venv/bin/python bench/generate_speed.py [--runs N] [--schema-key 10.0]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def best_of(runs: int, argv_for: list[str]) -> tuple[float, int]:
    best, files = float("inf"), 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([*argv_for, "-o", out], check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - start)
            files = sum(1 for _ in Path(out).iterdir())
    return best, files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--schema-key", default="10.0")
    args = ap.parse_args()
    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True).stdout.strip())
    schema = str(tree / "qapi" / "qapi-schema.json")
    upstream, n_up = best_of(args.runs, [sys.executable, str(tree / "scripts" / "qapi-gen.py"),
                                         "-b", schema])
    ours, n_ours = best_of(args.runs, [sys.executable, "-m", "qapic", "generate", "-b", schema])
    single, n_single = best_of(args.runs, [sys.executable, "-m", "qapic", "generate", "-b",
                                           "--single-binary", schema])
    print(f"schema: QEMU {(tree / 'VERSION').read_text().strip()} qapi/qapi-schema.json, "
          f"best of {args.runs} runs")
    print(f"{'what':<40} {'files':>6} {'seconds':>8} {'ratio':>7}")
    print(f"{'upstream qapi-gen.py -b':<40} {n_up:6} {upstream:8.3f} {1:7.2f}")
    print(f"{'qapic generate -b':<40} {n_ours:6} {ours:8.3f} {ours / upstream:7.2f}")
    print(f"{'qapic generate -b --single-binary':<40} {n_single:6} {single:8.3f} "
          f"{single / upstream:7.2f}")
    verdict = "met" if ours <= 0.5 * upstream else "NOT met"
    print(f"goal: qapic generate at most 0.5x upstream -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
