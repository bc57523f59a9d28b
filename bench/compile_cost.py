"""Compile cost and object size of QEMU 10.0.x's QAPI code: per-target builds against the
single-binary output compiled once (issue 3's baseline; issue 4's P2 and P3).

What is compiled is what QEMU's build compiles, read from the cached upstream build directory's
``compile_commands.json`` (``scripts/qemu-build``): the generated ``qapi/*.c`` that go into
``libqemuutil.a`` are the *common part* (compiled once), those that go into
``libqemu-X-softmmu.a`` are the *per-target part* (compiled once per target).  Each file is
compiled with that build directory's flags (``qapic.proof.harness.builddir.QemuBuildDir``), our
generated ``qapi/`` first on the include path; a per-target file also gets
``-DCOMPILING_PER_TARGET`` and a ``CONFIG_TARGET`` header with the target's ``TARGET_*``
symbols (``CONFIG_KVM`` by QEMU's host rule), as the QMP harness builds them.  The
single-binary output (``qapic generate --single-binary``) is compiled once, every ``.c`` QEMU
compiles plus ``qapi-targets.c``, with the common flags.

CPU seconds are user+sys of the compiler processes (``wait4``: the driver with its cc1 and as),
not wall time, so a busy machine or ``-j`` changes them little.  Sizes are ``size``'s
text+data+bss and the object files' bytes (with QEMU's ``-g``).

    .venv/bin/python bench/compile_cost.py [--targets all|X,Y] [--repeat N] [-j N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from qapic.conditions import TargetTable
from qapic.proof.harness.builddir import QemuBuildDir
from qapic.proof.harness.generation import config_target_header

REPO = Path(__file__).resolve().parent.parent
P2_GOAL = 1.2
P3_GOAL = 1.02


@dataclass(frozen=True)
class Job:
    src: Path
    obj: Path
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Size:
    text: int
    data: int
    bss: int
    file: int

    @property
    def total(self) -> int:
        return self.text + self.data + self.bss

    def __add__(self, other: Size) -> Size:
        return Size(self.text + other.text, self.data + other.data, self.bss + other.bss,
                    self.file + other.file)


ZERO = Size(0, 0, 0, 0)


def upstream_build_dir(qemu: str = "10.0") -> Path:
    """The cached QEMU *qemu* build made with upstream's generator, configured exactly as the
    tests' (``tests.qemu.build``: the same targets, so that neither reconfigures the other)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.qemu import build

    return build("upstream", qemu).build_dir


def qemu_split(build: Path) -> tuple[set[str], set[str]]:
    """The generated ``qapi/*.c`` QEMU compiles into libqemuutil.a (once) and into a
    target's libqemu-X-softmmu.a (per target), by file name."""
    common: set[str] = set()
    per_target: set[str] = set()
    for entry in json.loads((build / "compile_commands.json").read_text()):
        f = entry["file"]
        if not f.startswith("qapi/"):
            continue  # the hand-written qapi/ sources are under the source tree
        out = entry.get("output") or entry["command"]
        if "libqemuutil.a.p/" in out:
            common.add(Path(f).name)
        elif re.search(r"libqemu-[\w-]+-softmmu\.a\.p/", out):
            per_target.add(Path(f).name)
    if not common or not per_target:
        raise SystemExit(f"{build}/compile_commands.json: no generated qapi/*.c of "
                         "libqemuutil.a and of a softmmu target")
    return common, per_target


def generate(schema: Path, out: Path, extra: Sequence[str]) -> Path:
    """``qapic generate -b`` into OUT/qapi (tracing on, as QEMU builds it); returns OUT/qapi."""
    gen = out / "qapi"
    subprocess.run([sys.executable, "-m", "qapic", "generate", "-b", *extra, "-o", str(gen),
                    str(schema)], check=True, cwd=REPO)
    return gen


def compile_argv(qb: QemuBuildDir, root: Path, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The build's compiler command for a QAPI file, ROOT/qapi's headers before the build's."""
    return (qb.cflags[0], "-iquote", str(root), "-I", str(root / "qapi"), *extra,
            *qb.cflags[1:])


#: QEMU's default optimisation and debug flags (its configure's ``-O2 -g``).
QEMU_FLAGS: Final = ("-O2", "-g")


def with_qemu_flags(argv: Sequence[str]) -> list[str]:
    """*argv* compiled as a default QEMU build compiles: the build directory's own ``-O``
    and ``-g`` flags replaced by QEMU's defaults (the test builds of ``scripts/qemu-build`` are
    ``-O0`` without debug information; the cost to measure is that of a real build)."""
    out = [a for a in argv if not (a.startswith("-O") or a in ("-g", "-g0"))]
    return [out[0], *QEMU_FLAGS, *out[1:]]


def run_jobs(jobs: Sequence[Job], parallel: int) -> dict[Path, float]:
    """Compile each job with QEMU's default flags (``with_qemu_flags``); the CPU seconds
    (user+sys) of each compiler process, by object."""
    cpu: dict[Path, float] = {}
    lock = threading.Lock()

    def one(job: Job) -> None:
        job.obj.parent.mkdir(parents=True, exist_ok=True)
        argv = [*with_qemu_flags(job.argv), "-c", str(job.src), "-o", str(job.obj)]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stderr.close()
        if proc.returncode != 0:
            raise SystemExit(f"compiling {job.src} failed:\n{' '.join(argv)}\n"
                             f"{err.decode(errors='replace')[-4000:]}")
        with lock:
            cpu[job.obj] = usage.ru_utime + usage.ru_stime

    with ThreadPoolExecutor(parallel) as pool:
        for _ in pool.map(one, jobs):
            pass
    return cpu


def sizes(objs: Sequence[Path]) -> dict[Path, Size]:
    proc = subprocess.run(["size", "-B", "-d", *map(str, objs)], check=True,
                          stdout=subprocess.PIPE, text=True)
    result: dict[Path, Size] = {}
    for line in proc.stdout.splitlines()[1:]:
        text, data, bss, _dec, _hex, name = line.split(None, 5)
        p = Path(name)
        result[p] = Size(int(text), int(data), int(bss), p.stat().st_size)
    return result


def target_list(spec: str, table: TargetTable) -> list[str]:
    if spec == "all":
        return table.names()
    names = [n for n in spec.split(",") if n]
    for n in names:
        table.get(n)  # KeyError for an unknown target
    return names


def _arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--targets", default="all",
                    help="per-target builds to compile: 'all' (default) or a list X,Y")
    ap.add_argument("--repeat", type=int, default=1,
                    help="compile everything N times, per file the median CPU time")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--build-dir", type=Path,
                    help="a built QEMU 10.0 build directory (default: scripts/qemu-build's)")
    ap.add_argument("--keep", type=Path, help="keep the generated files and objects here")
    return ap.parse_args()


Cost = tuple[float, Size]       # CPU seconds, object sizes


@dataclass
class Costs:
    """What compiling the QAPI code costs: the common part, each target's part and its full
    build (common + part), the single build."""

    targets: list[str]
    n_common: int                   # files of the common part
    target_names: set[str]          # files of each target's part
    n_single: int                   # files of the single build
    common: Cost
    single: Cost
    part: dict[str, Cost]
    full: dict[str, Cost]
    version: str                    # of the QEMU source
    cc: str                         # the compiler's --version line


def _jobs(qb: QemuBuildDir, table: TargetTable, targets: list[str], work: Path,
          common_names: set[str], target_names: set[str]
          ) -> tuple[list[Job], list[Job], dict[str, list[Job]]]:
    """The compiles of the single build, of the common part, and of each target's part."""
    schema = qb.source / "qapi" / "qapi-schema.json"
    gen_t = generate(schema, work / "gen-target", [])
    gen_s = generate(schema, work / "gen-single",
                     ["--single-binary", "--targets-from", str(qb.source)])
    missing = (common_names | target_names) - {p.name for p in gen_t.glob("*.c")}
    if missing:
        raise SystemExit(f"qapic generate did not write {sorted(missing)}")
    single_names = sorted((common_names | target_names | {"qapi-targets.c"})
                          & {p.name for p in gen_s.glob("*.c")})

    jobs_common = [Job(gen_t / n, work / "obj" / "common" / f"{n}.o",
                       compile_argv(qb, gen_t.parent)) for n in sorted(common_names)]
    jobs_target: dict[str, list[Job]] = {}
    for t in targets:
        cfg = work / "config" / f"{t}-config-target.h"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(config_target_header(table, t))
        argv = compile_argv(qb, gen_t.parent,
                            ["-DCOMPILING_PER_TARGET", f'-DCONFIG_TARGET="{cfg}"'])
        jobs_target[t] = [Job(gen_t / n, work / "obj" / t / f"{n}.o", argv)
                          for n in sorted(target_names)]
    jobs_single = [Job(gen_s / n, work / "obj" / "single" / f"{n}.o",
                       compile_argv(qb, gen_s.parent)) for n in single_names]
    return jobs_single, jobs_common, jobs_target


def _measure(args: argparse.Namespace, qb: QemuBuildDir, table: TargetTable,
             targets: list[str]) -> Costs:
    common_names, target_names = qemu_split(qb.path)
    with tempfile.TemporaryDirectory(prefix="qapic-compile-cost-") as tmp:
        work = (args.keep or Path(tmp)).resolve()
        jobs_single, jobs_common, jobs_target = _jobs(qb, table, targets, work, common_names,
                                                      target_names)
        all_jobs = [*jobs_single, *jobs_common, *(j for t in targets for j in jobs_target[t])]
        # Interleaved in a fixed order, so a change of load on a shared machine falls on
        # the single build and the per-target builds alike.
        random.Random(0).shuffle(all_jobs)

        samples: dict[Path, list[float]] = {}
        for _ in range(args.repeat):
            for obj, sec in run_jobs(all_jobs, args.jobs).items():
                samples.setdefault(obj, []).append(sec)
        cpu = {obj: statistics.median(v) for obj, v in samples.items()}
        size = sizes([j.obj for j in all_jobs])

        def cost(jobs: Sequence[Job]) -> Cost:
            return (sum(cpu[j.obj] for j in jobs),
                    sum((size[j.obj] for j in jobs), ZERO))

        c_cpu, c_size = cost(jobs_common)
        part = {t: cost(jobs_target[t]) for t in targets}
        version = (qb.source / "VERSION").read_text().strip()
        cc = subprocess.run([qb.cflags[0], "--version"], stdout=subprocess.PIPE,
                            text=True).stdout.splitlines()[0]
        return Costs(targets, len(jobs_common), target_names, len(jobs_single),
                     (c_cpu, c_size), cost(jobs_single), part,
                     {t: (c_cpu + part[t][0], c_size + part[t][1]) for t in targets},
                     version, cc)


def _print_builds(args: argparse.Namespace, c: Costs) -> None:
    print(f"schema: QEMU {c.version} qapi/qapi-schema.json; flags of the upstream build "
          f"directory; {c.cc}; -j {args.jobs}; CPU = user+sys of the compiler processes"
          + (f", median of {args.repeat} runs" if args.repeat > 1 else ""))
    print(f"common part: {c.n_common} files in libqemuutil.a, compiled once; "
          f"per-target part: {len(c.target_names)} files per target "
          f"({', '.join(sorted(c.target_names))})")
    print()
    print(f"{'per-target build':<18} {'part CPU s':>10} {'part size':>10} "
          f"{'build CPU s':>11} {'build size':>11} {'build bytes':>12}")
    for t in c.targets:
        part, full = c.part[t], c.full[t]
        print(f"{t:<18} {part[0]:10.2f} {part[1].total:10,} "
              f"{full[0]:11.2f} {full[1].total:11,} {full[1].file:12,}")
    print("(size = text+data+bss of the QAPI objects; bytes = their file size; "
          "build = common part + the target's part)")
    print()


def _print_groups(c: Costs, table: TargetTable, ref: str) -> None:
    targets = c.targets
    groups: list[tuple[str, list[str]]] = [(f"1 target ({ref})", [ref])]
    default: list[str] = [t for t in ("aarch64", "x86_64") if t in targets]
    if len(default) == 2:
        groups.append(("2 targets (aarch64, x86_64)", default))
    if len(targets) > 2 or (len(targets) == 2 and len(default) < 2):
        groups.append((f"{len(targets)} targets" + (" (all)" if len(targets) == len(
            table.names()) else ""), targets))
    s_cpu = c.single[0]
    print(f"{'QAPI code compiled for':<40} {'files':>6} {'CPU s':>8} {'single / this':>14}")
    for label, ts in groups:
        sec = c.common[0] + sum(c.part[t][0] for t in ts)
        files = c.n_common + len(c.target_names) * len(ts)
        print(f"{'per target, ' + label:<40} {files:6} {sec:8.2f} {s_cpu / sec:14.2f}")
    print(f"{'single binary, once':<40} {c.n_single:6} {s_cpu:8.2f} {1:14.2f}")
    print()


def _print_sizes_and_goals(c: Costs, ref: str) -> None:
    full = c.full
    s_cpu, s_size = c.single
    largest = max(c.targets, key=lambda t: (full[t][1].total, t == ref))  # ties: ref
    print(f"{'QAPI objects':<34} {'text':>10} {'data':>8} {'bss':>6} {'text+data+bss':>14} "
          f"{'file bytes':>11}")
    rows = [(f"per target, {largest} (largest)", full[largest][1])]
    if ref != largest:
        rows.append((f"per target, {ref}", full[ref][1]))
    rows.append(("single binary", s_size))
    for label, sz in rows:
        print(f"{label:<34} {sz.text:10,} {sz.data:8,} {sz.bss:6,} {sz.total:14,} "
              f"{sz.file:11,}")
    print()

    p2 = s_cpu / full[ref][0]
    print(f"P2: single build {s_cpu:.2f} CPU s / one target's ({ref}) full QAPI compile "
          f"{full[ref][0]:.2f} CPU s = {p2:.2f}x (goal <= {P2_GOAL}x) -> "
          f"{'met' if p2 <= P2_GOAL else 'NOT met'}")
    for t in dict.fromkeys([largest, ref]):
        p3 = s_size.total / full[t][1].total
        p3_file = s_size.file / full[t][1].file
        print(f"P3: single QAPI objects / per-target {t}: text+data+bss {p3:.3f}x "
              f"(+{s_size.total - full[t][1].total:,} bytes), file bytes {p3_file:.3f}x "
              f"(goal <= {P3_GOAL}x) -> {'met' if p3 <= P3_GOAL else 'NOT met'}")


def main() -> int:
    args = _arguments()
    build = (args.build_dir or upstream_build_dir()).resolve()
    qb = QemuBuildDir.read(build)
    table = qb.target_table()
    targets = target_list(args.targets, table)
    costs = _measure(args, qb, table, targets)
    _print_builds(args, costs)
    ref = "x86_64" if "x86_64" in targets else targets[0]
    _print_groups(costs, table, ref)
    _print_sizes_and_goals(costs, ref)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
