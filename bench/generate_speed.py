"""Time ``qapic generate -b`` against QEMU's ``scripts/qapi-gen.py -b`` on the full QEMU 10.0.x
schema, in one run, and print the ratio (goal: qapic at most 0.5x upstream).

Each figure is the best of N runs of a whole process into a fresh output directory (interpreter
start-up included, as QEMU's build sees it), wall time and CPU time (user + system) of the
process.  Runs of the two generators alternate, so load from elsewhere hits both alike.  As in a
QEMU build, Python may cache bytecode (PYTHONDONTWRITEBYTECODE is dropped from the environment),
and one untimed run of each command comes first.

    .venv/bin/python bench/generate_speed.py [--runs N] [--schema-key 10.0]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Timing:
    """The best wall and CPU times seen for one command, and its number of output files."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.wall = self.cpu = float("inf")
        self.files = 0

    def run(self, env: dict[str, str]) -> None:
        with tempfile.TemporaryDirectory() as out:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([*self.argv, "-o", out], check=True, stdout=subprocess.DEVNULL,
                           env=env)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            self.wall, self.cpu = min(self.wall, wall), min(self.cpu, cpu)
            self.files = sum(1 for _ in Path(out).iterdir())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--schema-key", default="10.0")
    args = ap.parse_args()
    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True).stdout.strip())
    schema = str(tree / "qapi" / "qapi-schema.json")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows = [
        ("upstream qapi-gen.py -b",
         Timing([sys.executable, str(tree / "scripts" / "qapi-gen.py"), "-b", schema])),
        ("qapic generate -b",
         Timing([sys.executable, "-m", "qapic", "generate", "-b", schema])),
        ("qapic generate -b --single-binary",
         Timing([sys.executable, "-m", "qapic", "generate", "-b", "--single-binary", schema])),
    ]
    for _, timing in rows:
        timing.run(env)                     # warm-up: bytecode caches, page cache
    for _ in range(args.runs):
        for _, timing in rows:
            timing.run(env)
    upstream = rows[0][1]
    print(f"schema: QEMU {(tree / 'VERSION').read_text().strip()} qapi/qapi-schema.json, "
          f"best of {args.runs} runs")
    print(f"{'what':<36} {'files':>6} {'wall s':>7} {'ratio':>6} {'cpu s':>7} {'ratio':>6}")
    for what, t in rows:
        print(f"{what:<36} {t.files:6} {t.wall:7.3f} {t.wall / upstream.wall:6.2f} "
              f"{t.cpu:7.3f} {t.cpu / upstream.cpu:6.2f}")
    ours = rows[1][1]
    verdict = "met" if ours.wall <= 0.5 * upstream.wall else "NOT met"
    print(f"goal: qapic generate at most 0.5x upstream (wall) -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
