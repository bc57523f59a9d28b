"""QEMU 10.2.2: the QAPI code of qapic's single-binary build with the carried conditions against
upstream's build, compile CPU and object size (issue 9, goals 1.05x and 1.02x).

Both builds compile every generated QAPI ``.c`` once (10.2's ``qapi/meson.build`` puts them in
``libqemuutil``), so the comparison is file set against file set, each compiled with its own
build directory's command from ``compile_commands.json`` (the cached builds of
``scripts/qemu-build --qemu 10.2``: ``upstream-10.2`` and ``single-10.2``, see
tests/realqemu/builds_10_2.py; the single build has ``qapi-targets.c`` besides).  The two sides
alternate, ``--repeat`` times; CPU seconds are user+sys of the compiler processes (``wait4``),
so a busy machine changes them little; per file the least CPU over the rounds counts (the
cost of the code, without the noise a load adds), the two sides' files interleaved in one
pool.  Sizes are ``size``'s text+data+bss.

    .venv/bin/python bench/compile_cost_10_2.py [--repeat N] [-j N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.compile_cost import Job, run_jobs, sizes  # noqa: E402
from tests.realqemu.builds_10_2 import build_10_2, compile_argv  # noqa: E402

CPU_GOAL = 1.05
SIZE_GOAL = 1.02


def qapi_jobs(build: Path, objdir: Path) -> list[Job]:
    """The build's compile command of every generated ``qapi/qapi-*.c``, writing into objdir."""
    out = []
    for e in json.loads((build / "compile_commands.json").read_text()):
        f = e["file"]
        if not (f.startswith("qapi/qapi-") and f.endswith(".c")):
            continue
        argv = compile_argv(e)
        # relative include paths: run from the build directory
        argv = [a if not a.startswith("-I") or a.startswith("-I/") else f"-I{build / a[2:]}"
                for a in argv]
        out.append(Job(build / f, objdir / (Path(f).name + ".o"), tuple(argv)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds (default 3), the side first in each pair alternating")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    builds = {"upstream": build_10_2("upstream"), "single": build_10_2("single")}
    best: dict[str, dict[Path, float]] = {k: {} for k in builds}
    rounds: dict[str, list[float]] = {k: [] for k in builds}
    size: dict[str, int] = {}
    files: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="qapic-bench-") as tmp:
        jobs = {side: qapi_jobs(build, Path(tmp) / side) for side, build in builds.items()}
        files = {side: len(j) for side, j in jobs.items()}
        for r in range(args.repeat):
            # One pool for both sides, their files interleaved (the side first in each pair
            # alternating by round): a load that comes and goes weighs on both alike.
            order = list(builds) if r % 2 == 0 else list(builds)[::-1]
            mixed = [j for pair in itertools.zip_longest(*(jobs[s] for s in order))
                     for j in pair if j is not None]
            cpu = run_jobs(mixed, args.jobs)
            for side in builds:
                per = {j.obj: cpu[j.obj] for j in jobs[side]}
                rounds[side].append(sum(per.values()))
                for obj, t in per.items():
                    best[side][obj] = min(t, best[side].get(obj, t))
        for side in builds:
            size[side] = sum(s.text + s.data + s.bss
                             for s in sizes([j.obj for j in jobs[side]]).values())
    med = {k: sum(v.values()) for k, v in best.items()}
    cpu_ratio = med["single"] / med["upstream"]
    size_ratio = size["single"] / size["upstream"]
    print(f"QEMU 10.2.2 QAPI code, {args.repeat} round(s), -j{args.jobs}, QEMU's -O2 -g; CPU s: "
          f"per file the least of the rounds, summed (each round's total beside it)")
    print(f"{'':12} {'files':>6} {'CPU s':>9} {'text+data+bss':>14}  rounds")
    for side in builds:
        print(f"{side:12} {files[side]:6} {med[side]:9.2f} {size[side]:14,}  "
              + " ".join(f"{t:.2f}" for t in rounds[side]))
    print(f"compile CPU  single/upstream: {cpu_ratio:.3f}x (goal <= {CPU_GOAL}x) "
          f"{'met' if cpu_ratio <= CPU_GOAL else 'NOT met'}")
    print(f"object size  single/upstream: {size_ratio:.3f}x (goal <= {SIZE_GOAL}x) "
          f"{'met' if size_ratio <= SIZE_GOAL else 'NOT met'}, "
          f"{size['single'] - size['upstream']:+,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
