"""query-qmp-schema latency and command-registration cost, single binary against per target
(issue 4, P4: goal at most 1.05x), over 1000 calls.

Both sides are QEMU 10.0.x's QAPI code as the QMP harness builds it against the cached upstream
QEMU build (``qapic.proof.harness.build``, its own output directory, objects from the shared cache):
the per-target objects compiled for one target (default x86_64) against the single-binary
objects with that target active.

- In process (``bench/c/qmp_latency.c``, linked with the harness's objects): per call,
  ``qmp_init_marshal()`` into a fresh command list (start-up registration), the introspection
  value as a QObject, and ``qmp_dispatch()`` of query-qmp-schema (the whole command but JSON).
  The first introspection value of a process is shown on its own: a single binary makes its
  view of the value for the active targets then, once (issue 9, item 5); the calls after it
  are the steady state.
- End to end over QMP stdio with the harness binaries themselves: the time from start to the
  greeting, and per query-qmp-schema request the time from writing it to reading its reply line.

Wall-clock on a shared machine: the two sides run alternately, ROUNDS times each, the order
swapped every round; a figure is the median over processes of each process's median per call
(the mean per call and the fastest call beside it).  Registration takes a few microseconds and
is bimodal from one process to the next on either side (about 3.4 or 6.5 us here), so it is
also measured in REGISTER_PROCESSES extra processes per side and round.

QEMU 10.2 (``--qemu 10.2``, issue 9): the per-target side is the 10.2.2 schema as upstream
ships it (every target's commands, as upstream's 10.2.2 build answers), the single side is the
single-binary build with the target conditions qapic carries forward
(``qapic/carried/qemu-10.2.json``), as ``qemu-setup --single-binary`` builds 10.2.  Their replies
differ by design; the single side's reply is checked against the per-target harness built with
the same conditions instead.

Every compile uses QEMU's default ``-O2 -g`` (the cached test builds are ``-O0``).

    .venv/bin/python bench/qmp_latency.py [--qemu 10.0|10.2] [--target x86_64] [--calls 1000]
                                [--rounds 3] [--register-processes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.compile_cost import QEMU_FLAGS, upstream_build_dir, with_qemu_flags  # noqa: E402
from qapic.proof.harness.base import cache_dir  # noqa: E402
from qapic.proof.harness.build import HarnessOptions, build  # noqa: E402
from qapic.proof.harness.builddir import QemuBuildDir, support_objects  # noqa: E402
from qapic.proof.harness.linking import link_args  # noqa: E402

DRIVER = Path(__file__).resolve().parent / "c" / "qmp_latency.c"
P4_GOAL = 1.05
SIDES = ("per-target", "single")
REQUEST = b'{"execute": "query-qmp-schema"}\n'


CARRIED: Final = {"10.2": REPO / "qapic" / "carried" / "qemu-10.2.json"}


def run(argv: Sequence[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)[:1500]}\nfailed:\n{proc.stderr[-4000:]}")


def build_drivers(qb: QemuBuildDir, out: Path, target: str,
                  single_out: Path | None = None) -> dict[str, Path]:
    """The in-process driver linked with the harness's per-target objects of *target* (from
    the harness in *out*), and with the single-binary objects (from *single_out*, default
    *out*)."""
    work = out / "work"
    swork = (single_out or out) / "work"
    ddir = out / "driver"
    ddir.mkdir(parents=True, exist_ok=True)
    cc = qb.cflags[0]
    per_target_flags = ["-DCOMPILING_PER_TARGET",
                        f'-DCONFIG_TARGET="{work / "config" / f"{target}-config-target.h"}"']
    sides = {
        "per-target": (work / "gen-target", per_target_flags,
                       [*sorted((work / "obj-target" / "common").glob("*.o")),
                        *sorted((work / "obj-target" / target).glob("*.o"))]),
        "single": (swork / "gen-single", ["-DDRIVER_SINGLE"],
                   sorted((swork / "obj-single").glob("*.o"))),
    }
    link = [cc, *QEMU_FLAGS, "-Wl,--as-needed", "-Wl,--no-undefined", "-pie", "-Wl,-z,relro",
            "-Wl,-z,now"]
    libs = [*support_objects(qb), "-Wl,--start-group", str(work / "libqemuutil-harness.a"),
            *link_args(), "-Wl,--end-group"]
    exes: dict[str, Path] = {}
    for side, (root, flags, objs) in sides.items():
        if not objs:
            raise SystemExit(f"{out}: no harness objects for the {side} side")
        harness = next(o for o in objs if o.name == "harness.c.o")
        nomain = ddir / f"harness-{side}-nomain.o"
        run(["objcopy", "--redefine-sym", "main=harness_main", str(harness), str(nomain)])
        obj = ddir / f"qmp_latency-{side}.o"
        run([*with_qemu_flags([cc, "-iquote", str(root), "-I", str(root / "qapi"), *flags,
                               *qb.cflags[1:]]), "-c", str(DRIVER), "-o", str(obj)])
        exe = ddir / f"qmp-latency-{side}"
        run([*link, "-o", str(exe), str(obj), str(nomain),
             *(str(o) for o in objs if o != harness), *libs])
        exes[side] = exe
    return exes


@dataclass
class Samples:
    """Per measure: each process's median, mean and fastest call, in microseconds."""
    medians: dict[str, list[float]]
    means: dict[str, list[float]]
    fastest: dict[str, list[float]]

    def add(self, measure: str, ns: Sequence[float]) -> None:
        self.medians.setdefault(measure, []).append(statistics.median(ns) / 1000)
        self.means.setdefault(measure, []).append(statistics.fmean(ns) / 1000)
        self.fastest.setdefault(measure, []).append(min(ns) / 1000)

    def median(self, measure: str) -> float:
        return statistics.median(self.medians[measure])

    def mean(self, measure: str) -> float:
        return statistics.median(self.means[measure])

    def cell(self, measure: str) -> str:
        return (f"{self.median(measure):9.1f} ({self.mean(measure):9.1f}) "
                f"{min(self.fastest[measure]):9.1f}")


def in_process(exe: Path, calls: int, target: str, single: bool,
               register_only: bool = False) -> tuple[int, dict[str, list[float]]]:
    """The number of commands registered, and nanoseconds per call of each measure."""
    argv = [str(exe), *(["-register-only"] if register_only else []), str(calls),
            *([target] if single else [])]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{exe} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout)
    commands = int(result.pop("commands"))
    return commands, {measure: [float(x) for x in ns] for measure, ns in result.items()}


def cpu_ns(p: subprocess.Popen[bytes]) -> float:
    """Wait for *p*; its CPU nanoseconds (user+sys)."""
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (usage.ru_utime + usage.ru_stime) * 1e9


def over_qmp(argv: Sequence[str], calls: int, starts: int) -> tuple[dict[str, list[float]],
                                                                     bytes]:
    """Nanoseconds: from start to greeting, and the harness's CPU for a start-up and exit
    (*starts* processes); per query-qmp-schema request, wall and the harness's CPU divided by
    *calls* (one process); and the last reply."""
    startup: list[float] = []
    startup_cpu: list[float] = []
    for _ in range(starts):
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert p.stdout is not None and p.stdin is not None
        p.stdout.readline()
        startup.append(time.perf_counter_ns() - t0)
        p.stdin.close()
        startup_cpu.append(cpu_ns(p))
        p.stdout.close()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdin is not None
    p.stdout.readline()
    p.stdin.write(b'{"execute": "qmp_capabilities"}\n')
    p.stdin.flush()
    p.stdout.readline()
    per_call: list[float] = []
    reply = b""
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        p.stdin.write(REQUEST)
        p.stdin.flush()
        reply = p.stdout.readline()
        per_call.append(time.perf_counter_ns() - t0)
    p.stdin.close()
    per_call_cpu = cpu_ns(p) / calls
    p.stdout.close()
    if not reply.startswith(b'{"return": ['):
        raise SystemExit(f"{argv[0]}: query-qmp-schema reply {reply[:200]!r}")
    return {"qmp start": startup, "qmp start cpu": startup_cpu,
            "qmp query-qmp-schema": per_call, "qmp query-qmp-schema cpu": [per_call_cpu]}, reply


def _arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--target", default="x86_64")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--starts", type=int, default=20,
                    help="harness start-ups per side and round (time to greeting)")
    ap.add_argument("--register-processes", type=int, default=10,
                    help="registration-only processes per side and round (a process's "
                    "registration time depends on where its heap lands: many are needed)")
    ap.add_argument("--qemu", choices=("10.0", "10.2"), default="10.0",
                    help="the QEMU release (default 10.0; 10.2: with the carried conditions)")
    ap.add_argument("--build-dir", type=Path,
                    help="a built QEMU build directory of that release (default: "
                    "scripts/qemu-build's)")
    return ap.parse_args()


@dataclass
class _Measured:
    samples: dict[str, Samples]
    commands: dict[str, set[int]]       # the commands each side's processes registered
    replies: dict[str, bytes]           # each side's query-qmp-schema reply


def _measure(args: argparse.Namespace, exes: dict[str, Path],
             qmp_argv: dict[str, list[str]]) -> _Measured:
    """Every measure of both sides, the sides alternating from round to round."""
    samples = {side: Samples({}, {}, {}) for side in SIDES}
    commands: dict[str, set[int]] = {side: set() for side in SIDES}
    replies: dict[str, bytes] = {}
    for r in range(args.rounds):
        order = SIDES if r % 2 == 0 else SIDES[::-1]
        for side in order:
            n, res = in_process(exes[side], args.calls, args.target, side == "single")
            commands[side].add(n)
            for measure, ns in res.items():
                samples[side].add(measure, ns)
        for _ in range(args.register_processes):
            for side in order:
                n, res = in_process(exes[side], args.calls, args.target, side == "single",
                                    register_only=True)
                commands[side].add(n)
                for measure in ("register", "register cpu"):
                    samples[side].add(measure, res[measure])
        for side in order:
            res, replies[side] = over_qmp(qmp_argv[side], args.calls, args.starts)
            for measure, ns in res.items():
                samples[side].add(measure, ns)
    return _Measured(samples, commands, replies)


def _print_table(samples: dict[str, Samples]) -> None:
    labels: list[tuple[str, str, bool]] = []
    for measure, label in (("register", "registration: qmp_init_marshal()"),
                           ("introspect first", "first introspection value + free"),
                           ("introspect", "introspection value (QObject) + free"),
                           ("dispatch", "query-qmp-schema, qmp_dispatch()"),
                           ("qmp query-qmp-schema", "query-qmp-schema over QMP stdio"),
                           ("qmp start", "harness start to QMP greeting")):
        labels.append((measure, f"{label}, wall", False))
        labels.append((f"{measure} cpu", f"{label}, cpu",
                       measure in ("register", "introspect", "dispatch",
                                   "qmp query-qmp-schema")))
    head = f"{'median':>9} ({'mean':>9}) {'fastest':>9}"
    print(f"{'':<44} {'per-target':^31} {'single':^31}")
    print(f"{'measure':<44} {head} {head} {'ratio':>6}")
    verdicts: list[tuple[str, float]] = []
    for measure, label, goal in labels:
        pt, sg = samples["per-target"], samples["single"]
        ratio = sg.median(measure) / pt.median(measure)
        print(f"{label:<44} {pt.cell(measure)} {sg.cell(measure)} {ratio:6.2f}")
        if goal:
            verdicts.append((label, ratio))
    print()
    print("verdicts on CPU time: on a shared machine it measures the code, wall time the load")
    for label, ratio in verdicts:
        print(f"P4: {label}: single / per-target = {ratio:.2f}x (goal <= {P4_GOAL}x) -> "
              f"{'met' if ratio <= P4_GOAL else 'NOT met'}")


def main() -> int:
    args = _arguments()
    qemu = (args.build_dir or upstream_build_dir(args.qemu)).resolve()
    qb = QemuBuildDir.read(qemu)
    out = cache_dir() / "bench" / ("qmp-latency" if args.qemu == "10.0"
                                   else f"qmp-latency-{args.qemu}")
    t0 = time.monotonic()
    conditions = CARRIED.get(args.qemu)
    harness = build(qemu, out, HarnessOptions(targets=[args.target], single=conditions is None,
                                              cflags=QEMU_FLAGS))
    single_harness = harness
    if conditions is not None:
        # Its per-target twin, qapic's own output with the same conditions, checks the
        # single side's reply (below); it is not the reference the timings compare with.
        single_harness = build(qemu, out.with_name(out.name + "-carried"), HarnessOptions(
            targets=[args.target], conditions=conditions, cflags=QEMU_FLAGS,
            reference="qapic"))
    assert single_harness.single is not None  # built with single=True
    exes = build_drivers(qb, out, args.target,
                         None if conditions is None else out.with_name(out.name + "-carried"))
    built = time.monotonic() - t0
    qmp_argv = {"per-target": [str(harness.per_target[args.target])],
                "single": [str(single_harness.single), "-target", args.target]}

    m = _measure(args, exes, qmp_argv)
    commands, replies = m.commands, m.replies
    if conditions is None:
        if len(commands["per-target"] | commands["single"]) != 1:
            raise SystemExit(f"the two sides register different numbers of commands: {commands}")
        if replies["per-target"] != replies["single"]:
            raise SystemExit("the two harnesses' query-qmp-schema replies differ")
    else:
        # The single side against its per-target twin with the same conditions.
        _, twin_reply = over_qmp([str(single_harness.per_target[args.target])], 1, 0)
        if twin_reply != replies["single"]:
            raise SystemExit("the single harness's query-qmp-schema reply differs from the "
                             "per-target harness built with the same conditions")

    print(f"QEMU {(qb.source / 'VERSION').read_text().strip()}, target {args.target}: "
          f"per-target harness objects vs single-binary objects (-target {args.target}); "
          f"{args.calls} calls per process, {args.rounds} rounds, sides alternating; "
          + ("" if conditions is None else f"single with {conditions.name}; ")
          + f"commands registered {sorted(commands['per-target'])[0]} / "
          f"{sorted(commands['single'])[0]}, reply {len(replies['per-target']):,} / "
          f"{len(replies['single']):,} bytes (per-target / single); "
          f"harness and drivers ready in {built:.1f} s")
    print("figures: median over processes of each process's median (mean) per call, and the "
          "fastest call, microseconds; ratio of the medians. wall = elapsed; cpu = the "
          "thread's CPU time (in process) or the harness's user+sys (QMP: per call the "
          "process's total / calls, so no median; start: start-up and exit)")
    print()
    _print_table(m.samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
