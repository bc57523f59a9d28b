"""Time ``qapic generate -b`` against QEMU's ``scripts/qapi-gen.py -b`` on the full QEMU 10.0.x
schema, in one run, and print the ratios (goals: qapic at most 0.4x upstream's wall time into a
fresh output directory, at most 0.35x into an up-to-date one).

Two cases, as a QEMU build meets them:

- *fresh*: into a new, empty output directory (every file written);
- *up to date*: into a directory that already holds this generator's output (nothing changes:
  both generators compare and leave the files and their timestamps alone).

Each figure is the median of N runs of a whole process (interpreter start-up included, as QEMU's
build sees it), wall time and CPU time (user + system).  Both generators run on the same
interpreter (this one), in pairs that alternate which goes first, so load from elsewhere hits
both alike; the ratio is the median of the per-pair ratios.  As in a QEMU build, Python may cache
bytecode (PYTHONDONTWRITEBYTECODE is dropped from the environment), and one untimed run of each
command comes first.

Creating 400 files costs what the filesystem makes it cost, for both generators alike, and on
ext4 that cost depends on where the new directory lands (its block group's recently deleted
inodes, among others): on one machine it has been 30 ms in one directory and 400 ms in another.
The fresh runs are made under ``--scratch DIR`` (default: the system's temporary directory),
and kept until the bench ends (deleting 400 files just before creating 400 more is what makes
creation slow on ext4 without a journal, which steps over recently deleted inodes: the bench
must not slow itself down), and the bench prints what creating the same 400 files with plain
``os.open``/``os.write`` costs there, so the share of a fresh run that is the filesystem's
shows.

    .venv/bin/python bench/generate_speed.py [--runs N] [--schema-key 10.0] [--scratch DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

GOALS = {"fresh": 0.4, "up to date": 0.35}


def _run(argv: list[str], out: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of *argv* writing into *out*."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*argv, "-o", out], check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Generator:
    """One generator's command, its timings per case, and its up-to-date output directory."""

    def __init__(self, name: str, argv: list[str], scratch: Path) -> None:
        self.name = name
        self.argv = argv
        self.kept = str(scratch / name.replace(" ", "_"))    # filled once, then up to date
        self.times: dict[str, list[tuple[float, float]]] = {case: [] for case in GOALS}
        self.files = 0

    def run(self, case: str, env: dict[str, str], record: bool = True,
            scratch: Path | None = None) -> None:
        if case == "fresh":
            # Kept until the bench ends: deleting 400 files makes creating the next ones slow
            # (ext4 without a journal steps over recently deleted inodes).
            out = tempfile.mkdtemp(dir=scratch)
            timing = _run(self.argv, out, env)
            self.files = sum(1 for p in Path(out).rglob("*") if p.is_file())
        else:
            timing = _run(self.argv, self.kept, env)
        if record:
            self.times[case].append(timing)


def _creation_cost(scratch: Path, files: dict[str, int], runs: int) -> float:
    """Median seconds to create *files* (relative name: size) in a new directory under
    *scratch* with plain system calls (the directories are left for the caller to remove)."""
    times = []
    for _ in range(runs):
        out = tempfile.mkdtemp(dir=scratch)
        start = time.perf_counter()
        for name, size in files.items():
            path = os.path.join(out, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            os.write(fd, b"x" * size)
            os.close(fd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="timed pairs per case (default 7)")
    ap.add_argument("--schema-key", default="10.0")
    ap.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()),
                    help="where the output directories are made (default: the system's "
                         "temporary directory)")
    args = ap.parse_args()
    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True).stdout.strip())
    schema = str(tree / "qapi" / "qapi-schema.json")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        upstream = Generator("upstream qapi-gen.py -b", [
            sys.executable, str(tree / "scripts" / "qapi-gen.py"), "-b", schema], Path(scratch))
        qapic = Generator("qapic generate -b", [
            sys.executable, "-m", "qapic", "generate", "-b", schema], Path(scratch))
        pair = [upstream, qapic]
        for gen in pair:        # warm-up (bytecode and page caches); fills the kept directory
            gen.run("fresh", env, record=False, scratch=Path(scratch))
            gen.run("up to date", env, record=False)
        for i in range(args.runs):
            for case in GOALS:
                for gen in pair if i % 2 == 0 else pair[::-1]:
                    gen.run(case, env, scratch=Path(scratch))
        files = {str(p.relative_to(qapic.kept)): p.stat().st_size
                 for p in Path(qapic.kept).rglob("*") if p.is_file()}
        creation = _creation_cost(Path(scratch), files, args.runs)
    print(f"schema: QEMU {(tree / 'VERSION').read_text().strip()} qapi/qapi-schema.json, "
          f"median of {args.runs} alternating pairs, interpreter {sys.executable}")
    print(f"{'case':<11} {'what':<25} {'files':>5} {'wall s':>7} {'cpu s':>7} {'ratio':>6} "
          f"{'cpu ratio':>9}")
    verdicts = []
    for case, goal in GOALS.items():
        ratios = [q[0] / u[0] for q, u in zip(qapic.times[case], upstream.times[case],
                                              strict=True)]
        cpu_ratios = [q[1] / u[1] for q, u in zip(qapic.times[case], upstream.times[case],
                                                  strict=True)]
        for gen in pair:
            wall = statistics.median(t[0] for t in gen.times[case])
            cpu = statistics.median(t[1] for t in gen.times[case])
            ratio = (f"{statistics.median(ratios):6.2f} {statistics.median(cpu_ratios):9.2f}"
                     if gen is qapic else f"{'':6} {'':9}")
            print(f"{case:<11} {gen.name:<25} {gen.files:5} {wall:7.3f} {cpu:7.3f} {ratio}")
        met = statistics.median(ratios) <= goal
        verdicts.append(f"{case} <= {goal}x: {'met' if met else 'NOT met'}")
    print(f"creating the same {len(files)} files with plain system calls in a new directory "
          f"under {args.scratch}: {creation:.3f} s (median)")
    print("goals (wall, median ratio): " + "; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
