"""``qapic fuzz``: differential fuzzing of the single-binary harness against the per-target ones.

:mod:`.generate` makes the requests from the schema's model (deterministic per seed),
:mod:`.session` talks QMP to a harness, :mod:`.run` compares and shrinks.  The harnesses are
those of ``qapic harness`` (:mod:`qapic.proof.harness.build`), built or reused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from qapic import options
from qapic.proof.fuzz.session import START_TIMEOUT

if TYPE_CHECKING:
    from qapic.proof.fuzz.coverage import Reach
    from qapic.proof.fuzz.run import TargetResult
    from qapic.proof.harness.build import Result

HELP = "differential fuzzing: the single-binary harness against each target's own"
DESCRIPTION = (
    "Build (or reuse) the QMP harnesses of 'qapic harness' against a built QEMU build "
    "directory, generate requests from the schema (every command, its arguments built by "
    "walking its types, valid and invalid, plus raw-text mutations and events; every other "
    "request systematic: each command's arguments whole, each union and alternate taking each "
    "branch in turn, then each member made wrong alone; the same seed gives the same "
    "requests) and send the same requests to the single-binary harness run as "
    "each target X and to X's per-target harness (the reference: compiled from the QEMU "
    "source's own generator's output, or from qapic's with --reference qapic; the summary "
    "and report.json say which generator wrote each side). Exit status 0 when every answer is "
    "identical and no harness crashed, hung or had a sanitizer report; 1 otherwise, with "
    "each finding shrunk to a minimal request and written to OUT as a QMP corpus file "
    "(OUT/TARGET-N.jsonl, the format of qapic's tests/qmp/corpus; OUT/report.json has the "
    "details); "
    "2 for a usage error.")

#: Sanitizer options of the sanitized single harness: any report ends the process with a
#: status of its own.  Leak detection is off: QEMU 10.0's JSON parser (libqemuutil, not the
#: code under test) leaks the value of a duplicate key, which the fuzzer sends on purpose.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:detect_leaks=0:exitcode=97",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=98",
}


#: The strictest -compat policy a client can ask for (that does not stop QEMU).
STRICT = ("deprecated-input=reject,deprecated-output=hide,unstable-input=reject,"
          "unstable-output=hide")


def configure(p: argparse.ArgumentParser) -> None:
    from qapic.frontend.overlay import shipped_releases

    p.add_argument("--qemu-build", metavar="DIR", type=Path, required=True,
                   help="a configured and built QEMU build directory (QEMU 10.0 or 10.2)")
    p.add_argument("-o", "--output", metavar="OUT", type=Path, required=True,
                   help="directory for the reproducers and report.json (replaced whole: "
                        "new, empty, or an earlier run's)")
    p.add_argument("--schema", metavar="SCHEMA", type=Path,
                   help="main schema (default: qapi/qapi-schema.json of the build's source)")
    p.add_argument("--conditions", metavar=options.CONDITIONS_METAVAR,
                   type=options.conditions_path,
                   help="a conditions file applied to the schema, or a QEMU release naming "
                        f"the one qapic ships (for {', '.join(shipped_releases())}; as qapic "
                        "harness)")
    p.add_argument("--reference-schema", metavar="SCHEMA", type=Path,
                   help="the schema upstream's generator compiles for the per-target harnesses "
                        "(as qapic harness): with --conditions, the schema with those "
                        "conditions written into its JSON")
    p.add_argument("--reference", choices=("upstream", "qapic"),
                   help="generator of the per-target harnesses (default: upstream, the QEMU "
                        "source's scripts/qapi-gen.py). --conditions without "
                        "--reference-schema is refused unless qapic is named here: the "
                        "reference is then qapic's own per-target output, which proves "
                        "less")
    p.add_argument("--targets", metavar="all|X,Y", default="all",
                   help="targets to compare (default: all)")
    p.add_argument("--requests", metavar="N", type=int, default=10000,
                   help="requests sent to each target (default: 10000)")
    p.add_argument("--seed", metavar="S", type=int, default=0,
                   help="seed of the request generator (default: 0)")
    p.add_argument("--commands", metavar="PATTERN,...", default="",
                   help="fuzz only the commands matching these fnmatch patterns")
    p.add_argument("--compat", metavar="POLICY", action="append",
                   help="run under this QMP compatibility policy (QEMU's -compat argument, "
                        "or 'default'); repeatable, the requests of each target shared "
                        f"among them (default: 'default' and '{STRICT}')")
    p.add_argument("--sanitize", metavar="address,undefined", default="",
                   help="build the single harness with these sanitizers (the per-target "
                        "harnesses, the reference, stay uninstrumented) and run it under "
                        "their options: a report ends the harness, is counted among the "
                        "sanitizer reports and its request is a finding. With --single, the "
                        "harness given is run so (build it with the sanitizers)")
    p.add_argument("-j", "--jobs", type=int,
                   help="targets run in parallel, and parallel compiles (default: CPU count)")
    p.add_argument("--harness-dir", metavar="DIR", type=Path,
                   help="where the harnesses are built (the sanitized single one in "
                        "DIR-sanitized; default: under the qapic cache, $QAPIC_CACHE)")
    p.add_argument("--single", metavar="EXE", type=Path,
                   help="compare this single-binary harness instead of the one built (e.g. "
                        "one built from a modified generator, or with a planted fault)")
    p.add_argument("--coverage", action="store_true",
                   help="build the single harness with gcov and report the share of lines of "
                        "the generated qapi-visit-*.c, qapi-commands-*.c and qapi-introspect.c "
                        "the run executed, and of the lines of the visitors a client can run "
                        "on the targets run ('visit reachable'; its own harness directory, "
                        "DIR-coverage)")
    p.add_argument("--timeout", metavar="SECONDS", type=float, default=30.0,
                   help="a request its harness does not answer within this time hangs "
                        "(default 30); starting a harness has a bound of its own")
    p.add_argument("--start-timeout", metavar="SECONDS", type=float, default=START_TIMEOUT,
                   help="a harness must start (greet and negotiate capabilities) within this "
                        f"time, else the run stops with an error (default {START_TIMEOUT:g})")


def _harness_dir(args: argparse.Namespace, variant: str = "") -> Path:
    from qapic.proof.harness.base import cache_dir
    if args.harness_dir is not None:
        base: Path = args.harness_dir.absolute()
    else:
        parts = [args.qemu_build.resolve(), args.schema.resolve() if args.schema else "",
                 args.conditions.resolve() if args.conditions else ""]
        if args.reference_schema is not None:
            parts.append(args.reference_schema.resolve())
        if args.reference == "qapic":
            parts.append("reference=qapic")
        key = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]
        base = cache_dir() / "fuzz" / key
    return base.with_name(f"{base.name}-{variant}") if variant else base


class _Progress:
    """The requests sent and the findings so far, on a terminal's status line."""

    def __init__(self, total: int) -> None:
        from qapic.userio import StatusLine
        self.line = StatusLine(0.5)
        self.total = total
        self.sent: dict[str, int] = {}
        self.findings: dict[str, int] = {}
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        self.line.say(text)

    def update(self, target: str, sent: int, findings: int) -> None:
        self.sent[target] = sent
        self.findings[target] = findings
        if not self.line.on:
            return
        done = sum(self.sent.values())
        rate = done / max(time.monotonic() - self.t0, 1e-6)
        current = " ".join(f"{t}:{n}" for t, n in sorted(self.sent.items())[-4:])
        self.line.show(f"{done}/{self.total} requests, {rate:.0f}/s, "
                       f"{sum(self.findings.values())} findings  [{current}]")

    def end(self) -> None:
        self.line.end()


def run(args: argparse.Namespace) -> int:
    from qapic.frontend import load_overlay, load_schema
    from qapic.proof.fuzz.generate import Generator
    from qapic.proof.fuzz.run import Pair, run_target, summary
    from qapic.proof.fuzz.session import StartError
    from qapic.userio import CommandError, UsageError

    sanitize = _check_args(args)
    jobs = args.jobs or os.cpu_count() or 1
    progress = _Progress(0)
    harnesses = _build_harnesses(args, sanitize, jobs, progress)
    normal = harnesses.normal
    schema_path = args.schema or normal_schema(args.qemu_build)
    model = load_schema(schema_path,
                        overlay=load_overlay(args.conditions) if args.conditions else None)
    patterns = [p.strip() for p in args.commands.split(",") if p.strip()]
    try:
        gen = Generator(model, args.seed, patterns)
    except ValueError as e:
        raise UsageError(f"--commands {args.commands}: {e}") from None
    env = SANITIZER_ENV if sanitize else {}
    policies = args.compat or ["default", STRICT]
    share = args.requests // len(policies)
    pairs: list[tuple[Pair, int, int]] = []
    for t in normal.targets:
        for k, policy in enumerate(policies):
            compat = "" if policy == "default" else policy
            label = t if not compat else t + (".strict" if compat == STRICT else f".compat{k}")
            count = share if k < len(policies) - 1 else args.requests - share * k
            pairs.append((Pair(t, [str(harnesses.single), "-target", t],
                               [str(normal.per_target[t])], dict(env), compat, label),
                          share * k, count))
    progress.total = len(normal.targets) * args.requests
    t1 = time.monotonic()

    def one(job: tuple[Pair, int, int]) -> TargetResult:
        pair, start, count = job
        return run_target(pair, lambda: gen.requests(count, start), args.timeout,
                          progress.update, args.start_timeout)

    try:
        with ThreadPoolExecutor(jobs) as pool:
            results = {r.target: r for r in pool.map(one, pairs)}
    except StartError as e:
        raise CommandError(f"a harness did not start: {e}") from None
    finally:
        progress.end()
    report = summary(results, time.monotonic() - t1, len(normal.targets))
    covered = None
    if harnesses.coverage_objects is not None:
        from qapic.proof.fuzz import coverage
        from qapic.proof.harness.builddir import QemuBuildDir
        qb = QemuBuildDir.read(args.qemu_build)
        covered = (harnesses.coverage_objects, coverage.reachable(
            model, qb.target_table(), normal.targets, qb.defines.__contains__))
    return _report(args, report, results, covered, dict(
        seed=args.seed, requests_per_target=args.requests, compat=policies, sanitize=sanitize,
        schema=str(schema_path), generators=harnesses.generators))


def _check_args(args: argparse.Namespace) -> list[str]:
    """The sanitizers asked for, once every option and the output directory are checked."""
    from qapic.proof.harness.base import HarnessError, sanitizer_flags
    from qapic.proof.harness.build import check_reference
    from qapic.userio import (
        CommandError,
        UsageError,
        check_input_dir,
        check_input_file,
        output_dir_problem,
    )

    if args.requests < 1:
        raise UsageError("--requests must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.start_timeout <= 0:
        raise UsageError("--start-timeout must be positive")
    sanitize = [s.strip() for s in args.sanitize.split(",") if s.strip()]
    try:
        sanitizer_flags(sanitize)
    except HarnessError as e:
        raise UsageError(str(e)) from None
    if args.coverage and (sanitize or args.single):
        raise UsageError("--coverage builds a single harness of its own: not with "
                         "--sanitize or --single")
    try:
        check_reference(args.reference, args.conditions, args.reference_schema)
    except HarnessError as e:
        raise UsageError(str(e)) from None
    check_input_dir(args.qemu_build)
    if args.reference_schema is not None:
        check_input_file(args.reference_schema, "a QAPI schema")
    if args.single is not None and not (args.single.is_file()
                                        and os.access(args.single, os.X_OK)):
        raise CommandError(f"{args.single}: not an executable file")
    problem = output_dir_problem(args.output)
    if problem is None and args.output.is_dir() and any(args.output.iterdir()) \
            and not (args.output / "report.json").is_file():
        problem = "a directory that is not empty and holds no earlier run's report.json"
    if problem is not None:
        raise CommandError(f"cannot write {args.output}: {problem}")
    return sanitize


class _Harnesses(NamedTuple):
    normal: Result              # the per-target harnesses (and the normal single one)
    single: Path                # the single harness the requests go to
    coverage_objects: Path | None   # its objects, when built with --coverage
    #: which generator wrote each side's code ("single", "per_target"; report.json)
    generators: dict[str, dict[str, str | None] | None]


def _build_harnesses(args: argparse.Namespace, sanitize: list[str], jobs: int,
                     progress: _Progress) -> _Harnesses:
    from qapic.proof.fuzz import coverage
    from qapic.proof.harness.base import HarnessError
    from qapic.proof.harness.build import HarnessOptions, build
    from qapic.userio import CommandError, UsageError

    targets = None if args.targets == "all" else [
        t.strip() for t in args.targets.split(",") if t.strip()]
    t0 = time.monotonic()
    covered: Path | None = None
    try:
        normal_options = HarnessOptions(targets, args.schema, jobs=jobs,
                                        conditions=args.conditions, reference=args.reference,
                                        reference_schema=args.reference_schema)
        normal = build(args.qemu_build, _harness_dir(args), normal_options,
                       progress=progress.line.count)
        progress.say(f"harnesses built: single and {len(normal.per_target)} per target "
                     f"({normal.stats.compiled} compiles, {time.monotonic() - t0:.0f} s)")
        single = normal.single
        generators = dict(normal.generators)
        if sanitize and args.single is None:
            sanitized = build(args.qemu_build, _harness_dir(args, "sanitized"), HarnessOptions(
                normal.targets, args.schema, per_target=False, jobs=jobs, sanitize=sanitize,
                conditions=args.conditions), progress=progress.line.count)
            single = sanitized.single
            generators["single"] = {**(sanitized.generators["single"] or {}),
                                    "sanitize": ",".join(sanitize)}
            progress.say(f"sanitized single harness built ({', '.join(sanitize)})")
        if args.coverage:
            covdir = _harness_dir(args, "coverage")
            with_coverage = build(args.qemu_build, covdir, HarnessOptions(
                normal.targets, args.schema, per_target=False, jobs=jobs, cflags=coverage.FLAGS,
                conditions=args.conditions), progress=progress.line.count)
            single = with_coverage.single
            generators["single"] = {**(with_coverage.generators["single"] or {}),
                                    "coverage": "gcov"}
            covered = covdir / "work" / "obj-single"
            coverage.reset(covered)
            progress.say("single harness built with --coverage")
    except KeyError as e:
        raise UsageError(f"unknown target {e}") from None
    except HarnessError as e:
        raise CommandError(str(e)) from None
    if args.single is not None:
        single = args.single.absolute()
        generators["single"] = {"generator": "given", "kind": "single-binary",
                                "program": str(single), "schema": None, "conditions": None,
                                "sanitize": ",".join(sanitize) or None}
    assert single is not None
    return _Harnesses(normal, single, covered, generators)


def _report(args: argparse.Namespace, report: dict[str, Any],
            results: dict[str, TargetResult], covered: tuple[Path, Reach] | None,
            run_options: dict[str, object]) -> int:
    """Write the report (*report*, the coverage, the *run_options*) and the reproducers, print
    the summary; the exit status."""
    from qapic.proof.fuzz import coverage
    from qapic.proof.fuzz.generate import corpus_line
    from qapic.proof.harness.build import describe_generator
    from qapic.userio import CommandError, write_error, write_stdout

    if covered is not None:
        try:
            report["coverage"] = coverage.measure(*covered)
        except coverage.CoverageError as e:
            raise CommandError(str(e)) from None
    report.update(run_options)
    findings = [f for r in results.values() for f in r.findings]
    files = {}
    for n, f in enumerate(findings, 1):
        files[f"{f.target}-{n}.jsonl"] = corpus_line(f.shrunk or f.request.text) + "\n"
    full = {**report, "findings": [f.as_json() for f in findings],
            "reports": {t: r.reports for t, r in results.items() if r.reports}}
    files["report.json"] = json.dumps(full, indent=1, ensure_ascii=True) + "\n"
    try:
        _write_dir(args.output, files)
    except OSError as err:
        raise write_error(args.output, err) from None
    generators = report["generators"]
    lines = [f"single harness: {describe_generator(generators['single'])}",
             "per-target harnesses (the reference): "
             f"{describe_generator(generators['per_target'])}",
             f"{report['requests']} requests to {report['targets']} targets "
             f"({args.requests} each, seed {args.seed}, compat policies: "
             f"{', '.join(report['compat'])}) in {report['seconds']} s, "
             f"{report['requests_per_second']}/s",
             f"divergences {report['divergences']}, crashes {report['crashes']}, "
             f"hangs {report['hangs']}, sanitizer reports {report['sanitizer_reports']}"]
    if covered is not None:
        cov = report["coverage"]
        assert isinstance(cov, dict)
        lines.append("coverage of the generated code (lines executed): " + ", ".join(
            f"{k} {v['executed']}/{v['lines']} ({v['percent']}%)" for k, v in cov.items()))
    if findings:
        lines.append(f"{len(findings)} reproducers in {args.output}:")
        lines += [f"  {f.target}-{n}.jsonl: {f.kind}: {corpus_line(f.shrunk)[:160]}"
                  for n, f in enumerate(findings, 1)]
    write_stdout("\n".join(lines) + "\n")
    bad = report["divergences"] or report["crashes"] or report["hangs"] \
        or report["sanitizer_reports"]
    return 1 if bad else 0


def normal_schema(qemu_build: Path) -> Path:
    from qapic.proof.harness.builddir import QemuBuildDir
    return QemuBuildDir.read(qemu_build).source / "qapi" / "qapi-schema.json"


def _write_dir(out: Path, files: dict[str, str]) -> None:
    """*out* replaced whole by a directory holding *files* (written beside it first)."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.new"
    old = out.parent / f".{out.name}.{os.getpid()}.old"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
