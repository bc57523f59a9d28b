"""``qapic fuzz``: generated requests to the single harness as X and to X's per-target harness.

- The CI-sized run: QEMU 10.0's schema on all 29 targets with the single harness built with
  ASan+UBSan (the per-target references are upstream's code), and the schema of
  target-conditional everything (``schemas/target-conditions.json``) on its six targets; a fixed
  seed, over 50,000 requests in all, under QEMU's default compat policy and the strictest
  (``-compat deprecated-input=reject,deprecated-output=hide,unstable-input=reject,...``).
  Every answer must be identical, no crash, hang or sanitizer report.
- Teeth: divergences planted in the single harness (a run-time check replaced by ``true`` in
  one generated file, enum values left visible, command registration unchecked) are found, and
  each is shrunk to a request from which no one-step simplification still differs; the
  reproducer, replayed by the QMP corpus runner, still shows the difference, and the unchanged
  single harness answers it as the per-target one.
- A marshaller planted to never return is reported as a hang of its request, shrunk; through
  the command line too, with a reproducer that hangs when replayed.  A harness slow to start
  is not a hang: start-up has a bound of its own.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from qapic.frontend import load_schema
from qapic.proof.fuzz.coverage import Reach, input_only_lines, reachable
from qapic.proof.fuzz.generate import Generator, corpus_line
from qapic.proof.fuzz.request import render
from qapic.proof.fuzz.run import Finding, Pair, Session, candidates, classify, run_target
from qapic.proof.fuzz.session import StartError
from qapic.proof.harness.base import cache_dir
from qapic.proof.harness.build import Result
from qapic.proof.harness.builddir import QemuBuildDir
from tests.harness.helpers import OUT, assert_clean, run_fuzz
from tests.harness.helpers import single as _single
from tests.harness.mutant import generated, relink_single
from tests.harness.test_conditional_schema import OUT as TC_OUT
from tests.harness.test_conditional_schema import TARGETS as TC_TARGETS
from tests.harness.test_conditional_schema import tc_harnesses
from tests.qemu import QemuBuild
from tests.qmp import runner

__all__ = ["tc_harnesses"]

SEED = 20261130
#: Requests per target: 29 x 1000 (under ASan+UBSan) + 6 x 4000 = 53,000, each target's shared
#: between QEMU's default compat policy and the strictest one.
PER_TARGET_QEMU = 1000
PER_TARGET_TC = 4000


# --- the CI-sized run ---------------------------------------------------------------------------

def test_fuzz_qemu_schema_all_targets_sanitized(harnesses: Result,
                                                sanitized_harnesses: Result,
                                                qemu_upstream: QemuBuild,
                                                tmp_path: Path) -> None:
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", tmp_path / "out",
                         "--harness-dir", OUT, "--sanitize", "address,undefined",
                         "--requests", PER_TARGET_QEMU, "--seed", SEED)
    assert report["targets"] == len(harnesses.targets) == 29
    assert report["sanitize"] == ["address", "undefined"]
    assert_clean(proc, report, 29 * PER_TARGET_QEMU)


def test_fuzz_target_conditions_schema(tc_harnesses: Result, qemu_upstream: QemuBuild,
                                       tmp_path: Path) -> None:
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", tmp_path / "out",
                         "--harness-dir", TC_OUT, "--schema",
                         TC_OUT / "schema" / "harness-schema.json",
                         "--targets", ",".join(TC_TARGETS), "--commands", "tc-*",
                         "--requests", PER_TARGET_TC, "--seed", SEED)
    assert_clean(proc, report, len(TC_TARGETS) * PER_TARGET_TC)


# --- planted divergences ------------------------------------------------------------------------

#: kind: (generated file, pattern, replacement, target, harness directory)
PLANTS = {
    # A run-time check replaced by true in one generated file: the visitors of the test module
    # accept and show members, branches and values of other targets.
    "visitor-check": ("qapi-visit-target-conditions.c", r"qapi_targets_visible\([^()]*\)",
                      "true", "s390x", TC_OUT),
    # Enum values left visible: the module's enums take every value on every target.
    "enum-value": ("qapi-visit-target-conditions.c",
                   r"qapi_targets_visit_enum\(([^;]*?),\s*\w+,\s*(\w+)\)",
                   r"visit_type_enum(\1, \2)", "aarch64", TC_OUT),
    # QEMU's own schema: every command registered whatever the target.
    "command-registration": ("qapi-init-commands.c", r"qapi_targets_visible\([^()]*\)", "true",
                             "aarch64", OUT),
}


def _replay(binary: Path, target: str, path: Path, single: bool) -> list[runner.Exchange]:
    args = ("-target", target) if single else ()
    return runner.run_corpus(binary, {"r": runner.load_file(path)}, args).exchanges


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_planted_divergence_is_found_and_shrunk(kind: str, harnesses: Result,
                                                tc_harnesses: Result, qemu_upstream: QemuBuild,
                                                tmp_path: Path) -> None:
    fname, pattern, replacement, target, out = PLANTS[kind]
    result = tc_harnesses if out == TC_OUT else harnesses
    text, n = re.subn(pattern, replacement, generated(out, fname))
    assert n > 0, f"nothing to plant in {fname}"
    mutant = relink_single(out, qemu_upstream.build_dir, {fname: text}, tmp_path / "mutant")
    schema = load_schema(out / "schema" / "harness-schema.json" if out == TC_OUT else
                         qemu_upstream.source_dir / "qapi" / "qapi-schema.json")
    gen = Generator(schema, SEED, ["tc-*"] if out == TC_OUT else [])
    per_target = result.per_target[target]
    pair = Pair(target, [str(mutant), "-target", target], [str(per_target)])
    res = run_target(pair, lambda: gen.requests(1000))
    print(f"{kind}: {n} places; {res.requests} requests, {res.counts}; "
          + "; ".join(f"{f.kind}: {f.shrunk}" for f in res.findings))
    assert res.counts.get("divergence", 0) > 0 and not res.reports
    # Enum values without their branch make the union visitor abort (no 'case' for them).
    assert set(res.counts) <= ({"divergence", "crash"} if kind == "enum-value"
                               else {"divergence"})
    assert res.findings
    for f in res.findings:
        if f.request.kind == "raw":
            assert len(f.shrunk) <= len(f.request.text)
        else:
            _check_minimal(pair, f)
        # The reproducer replays through the QMP corpus runner: it differs with the mutant,
        # not with the unchanged single harness.
        line = tmp_path / "repro.jsonl"
        line.write_text(corpus_line(f.shrunk) + "\n")
        expected = _replay(per_target, target, line, False)
        got = _replay(mutant, target, line, True)[0].replies
        assert got != expected[0].replies, f.shrunk
        assert _replay(_single(result), target, line, True)[0].replies == expected[0].replies


def _check_minimal(pair: Pair, f: Finding) -> None:
    """No one-step simplification of the shrunk request still gives a finding of its kind."""
    assert f.shrunk_tree is not None
    simpler = list(candidates(f.shrunk_tree))
    s = Session(pair, 30.0)
    try:
        answers = s.answers([f.shrunk, *(render(c) for c in simpler)])
    finally:
        s.close()
    assert classify(*answers[0]) == f.kind
    assert [render(c) for c, a in zip(simpler, answers[1:], strict=True)
            if classify(*a) == f.kind] == []


def test_fuzz_reports_a_planted_divergence(harnesses: Result, qemu_upstream: QemuBuild,
                                           tmp_path: Path) -> None:
    """End to end: with a planted fault, the command exits 1 and writes each shrunk
    reproducer into OUT as a corpus file that the QMP corpus runner replays (here: commands
    registered on every target, so the mutant run as aarch64 has x86-only commands, and as
    x86_64 s390x-only ones)."""
    fname, pattern, replacement, target, out = PLANTS["command-registration"]
    text = re.sub(pattern, replacement, generated(out, fname))
    mutant = relink_single(out, qemu_upstream.build_dir, {fname: text}, tmp_path / "mutant")
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", tmp_path / "out",
                         "--harness-dir", OUT, "--single", mutant, "--targets",
                         f"{target},x86_64", "--requests", 600, "--seed", SEED,
                         "--compat", "default")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert isinstance(report["divergences"], int) and report["divergences"] > 0
    files = sorted((tmp_path / "out").glob("*.jsonl"))
    # x86_64 has every target's commands too: both targets have findings.
    assert {f.name.split("-")[0] for f in files} == {target, "x86_64"}
    assert sorted(f.name for f in files) == sorted(
        line.split(":")[0].strip() for line in proc.stdout.splitlines()
        if line.startswith("  ") and ".jsonl:" in line)
    for f in files:
        t = f.name.split("-")[0]
        expected = _replay(harnesses.per_target[t], t, f, False)
        assert _replay(mutant, t, f, True)[0].replies != expected[0].replies


def test_planted_hang_is_found(tc_harnesses: Result, qemu_upstream: QemuBuild,
                               tmp_path: Path) -> None:
    """A marshaller that never returns (tc-simple's) is a hang, attributed to its request and
    shrunk, and the run goes on with a new harness.  The 0.5 s bound is the requests': each
    new harness has the start-up bound (test_a_slow_start_is_not_a_hang)."""
    mutant = _hanging_mutant(tmp_path / "mutant", qemu_upstream.build_dir)
    schema = load_schema(TC_OUT / "schema" / "harness-schema.json")
    gen = Generator(schema, SEED, ["tc-simple", "tc-union"])
    target = "x86_64"
    pair = Pair(target, [str(mutant), "-target", target],
                [str(tc_harnesses.per_target[target])])
    res = run_target(pair, lambda: gen.requests(12), timeout=0.5)
    print(f"hang: {res.requests} requests, {res.counts}, {res.processes} processes; "
          + "; ".join(f"{f.kind}: {f.shrunk}" for f in res.findings))
    assert res.requests == 12
    assert set(res.counts) == {"hang"}
    # Every tc-simple request hangs (the marshaller runs before any argument is checked),
    # no tc-union request does.
    simple = sum(1 for r in gen.requests(12) if "tc-simple" in r.text)
    assert 0 < res.counts["hang"] <= simple
    assert {f.kind for f in res.findings} == {"hang"}
    assert '{"execute":"tc-simple"}' in [f.shrunk for f in res.findings]


def _hanging_mutant(workdir: Path, qemu_build: Path) -> Path:
    """The single harness of the test schema whose tc-simple marshaller never returns."""
    fname = "qapi-commands-target-conditions.c"
    head = "void qmp_marshal_tc_simple(QDict *args, QObject **ret, Error **errp)\n{\n"
    text = generated(TC_OUT, fname)
    assert head in text
    return relink_single(TC_OUT, qemu_build,
                         {fname: text.replace(head, head + "    for (;;) { sleep(1); }\n")},
                         workdir)


def test_fuzz_reports_a_planted_hang(tc_harnesses: Result, qemu_upstream: QemuBuild,
                                     tmp_path: Path) -> None:
    """End to end: ``qapic fuzz --single MUTANT --timeout 0.5``, MUTANT's tc-simple hanging,
    exits 1 with hangs counted, and its reproducers are tc-simple requests that the mutant
    leaves unanswered when the QMP corpus runner replays them (a bound of 5 s, ten times the
    run's), while the unchanged single harness answers them as the per-target one."""
    mutant = _hanging_mutant(tmp_path / "mutant", qemu_upstream.build_dir)
    target = "x86_64"
    out = tmp_path / "out"
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", out,
                            "--harness-dir", TC_OUT, "--schema",
                            TC_OUT / "schema" / "harness-schema.json", "--single", mutant,
                            "--targets", target, "--commands", "tc-simple,tc-union",
                            "--requests", 12, "--seed", SEED, "--compat", "default",
                            "--timeout", "0.5")
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert isinstance(report["hangs"], int) and report["hangs"] > 0
    assert (report["divergences"], report["crashes"], report["sanitizer_reports"]) == (0, 0, 0)
    files = sorted(out.glob("*.jsonl"))
    assert files and f"hangs {report['hangs']}" in proc.stdout
    for f in files:
        requests = runner.load_file(f)
        assert json.loads(requests[0].text)["execute"] == "tc-simple"
        with runner.QMPProcess(mutant, ("-target", target), timeout=5.0) as qmp, \
                pytest.raises(runner.QMPError, match="no reply within"):
            qmp.exchange(requests[0].text)
        expected = _replay(tc_harnesses.per_target[target], target, f, False)
        assert _replay(_single(tc_harnesses), target, f, True)[0].replies == \
            expected[0].replies
    print(f"hang through the command line: {report['hangs']} hangs, reproducers "
          f"{[f.read_text().strip() for f in files]}")


def _slow_to_start(path: Path, exe: Path, seconds: float) -> Path:
    """A wrapper that waits *seconds* before it runs *exe*: a harness slow to start."""
    path.write_text(f'#!/bin/sh\nsleep {seconds}\nexec "{exe}" "$@"\n')
    path.chmod(0o755)
    return path


def test_a_slow_start_is_not_a_hang(tc_harnesses: Result, tmp_path: Path) -> None:
    """Starting a harness has a bound of its own (60 s by default), not the request timeout:
    both harnesses take 2 s to start (a wrapper sleeps first), four times the 0.5 s request
    timeout of this run, and every request is answered, nothing hangs, each side started once.
    With a start-up bound of 1 s the same harness is an error that says so, not a hang."""
    target = "x86_64"
    single = _slow_to_start(tmp_path / "single", _single(tc_harnesses), 2)
    per_target = _slow_to_start(tmp_path / "per-target", tc_harnesses.per_target[target], 2)
    gen = Generator(load_schema(TC_OUT / "schema" / "harness-schema.json"), SEED,
                    ["tc-simple", "tc-union"])
    pair = Pair(target, [str(single), "-target", target], [str(per_target)])
    t0 = time.monotonic()
    res = run_target(pair, lambda: gen.requests(12), timeout=0.5)
    seconds = time.monotonic() - t0
    print(f"slow start: {res.requests} requests, {res.counts}, {res.processes} processes, "
          f"{seconds:.1f} s")
    assert (res.requests, res.counts, res.findings, res.processes, res.reports) == (
        12, {}, [], 2, [])
    assert seconds >= 2
    with pytest.raises(StartError, match="no QMP greeting within 1 s"):
        run_target(pair, lambda: gen.requests(12), timeout=0.5, start_timeout=1)


def test_fuzz_stops_when_a_harness_does_not_start(harnesses: Result, qemu_upstream: QemuBuild,
                                                   tmp_path: Path) -> None:
    """``--start-timeout`` bounds the start-up: a single harness that takes 3 s to start,
    given a bound of 1 s, stops the run with one error line (exit 1) naming it, and no report
    is written."""
    slow = _slow_to_start(tmp_path / "slow-harness", _single(harnesses), 3)
    out = tmp_path / "out"
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", out,
                            "--harness-dir", OUT, "--single", slow, "--targets", "x86_64",
                            "--requests", 10, "--compat", "default", "--start-timeout", 1)
    assert (proc.returncode, proc.stdout, report) == (1, "", {})
    assert proc.stderr.startswith(f"qapic fuzz: error: a harness did not start: {slow}: "
                                  "no QMP greeting within 1 s"), proc.stderr
    assert not out.exists()


# --- coverage -----------------------------------------------------------------------------------

GcovLines = dict[tuple[Path, int], tuple[bool, str]]


def _gcov_visit_lines(objdir: Path) -> GcovLines:
    """gcov's own counts, read here, of the lines of the generated ``qapi-visit-*.c`` files
    whose objects are in *objdir*: (source, line) -> (executed, function)."""
    lines: GcovLines = {}
    for gcda in objdir.glob("qapi-visit-*.gcda"):
        out = subprocess.run(["gcov", "--json-format", "--stdout", gcda.name], cwd=objdir,
                             capture_output=True, check=True).stdout
        if out[:2] == b"\x1f\x8b":
            out = gzip.decompress(out)
        for doc in filter(str.strip, out.decode().splitlines()):
            for f in json.loads(doc)["files"]:
                source = objdir / f["file"]
                if re.fullmatch(r"qapi-visit-.*\.c", source.name):
                    for ln in f["lines"]:
                        key = (source, ln["line_number"])
                        ran = lines.get(key, (False, ""))[0] or ln["count"] > 0
                        lines[key] = (ran, ln.get("function_name", ""))
    return lines


def _coverage_objects() -> Path:
    objdirs = sorted((cache_dir() / "fuzz").glob("*-coverage/work/obj-single"),
                     key=lambda d: max((p.stat().st_mtime for p in d.glob("*.gcda")),
                                       default=0.0))
    assert objdirs
    return objdirs[-1]


def test_coverage_of_the_visitors_a_target_can_reach(qemu_upstream: QemuBuild,
                                                      tmp_path: Path) -> None:
    """``--coverage`` on x86_64, a run of the default size (10,000 requests): the visitor
    lines it reports are gcov's; of the lines of the visitors an x86_64 client can run, at
    least 90% were executed.  What a client can run is decided by the schema: its conditions
    (``query-sev`` is ``TARGET_I386``; ``CpuPolarizationInfo`` is ``TARGET_S390X`` and
    ``CONFIG_KVM``), ``'gen': false`` (``device_add`` has no marshaller), a union's branch
    visited by its members' visitor alone; and in the visitors of types only results reach,
    the lines an output visitor cannot run are left out: gcov shows none of them ran."""
    out = tmp_path / "fuzz"
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", out, "--targets",
                         "x86_64", "--seed", SEED, "--coverage", "-j", 2)
    assert_clean(proc, report, 10000)
    cov = report["coverage"]
    assert isinstance(cov, dict)
    gcov = _gcov_visit_lines(_coverage_objects())
    assert (cov["visit"]["lines"], cov["visit"]["executed"]) == (
        len(gcov), sum(ran for ran, _ in gcov.values()))
    reach = cov["visit reachable"]
    print(f"visitor lines reachable on x86_64: {reach['executed']}/{reach['lines']} "
          f"({reach['percent']}%); most unexecuted: {reach['most_unexecuted'][:5]}")
    assert reach["percent"] >= 90.0
    assert 0 < reach["executed"] <= reach["lines"] < len(gcov)

    build = QemuBuildDir.read(qemu_upstream.build_dir)
    schema = load_schema(build.source / "qapi" / "qapi-schema.json")

    def reach_on(target: str) -> Reach:
        return reachable(schema, build.target_table(), [target], build.defines.__contains__)
    x86, s390x = reach_on("x86_64"), reach_on("s390x")
    assert reach["types"] == len(x86.types)
    assert "SevInfo" in x86.types and "SevInfo" not in s390x.types
    assert "CpuPolarizationInfo" not in x86.types
    assert not x86.counts("visit_type_q_obj_device_add_arg_members")
    # BlockdevOptionsQcow2 is only blockdev-add's branch: gcov confirms its visit_type_T
    # never runs, while its members' visitor does.
    ran = {fn: False for _, fn in gcov.values()}
    for r, fn in gcov.values():
        ran[fn] = ran[fn] or r
    # No under-counting: every visitor gcov saw run is one the reachable set counts (a
    # visitor left out of the set that ran would be a line the percentage never asked for),
    # but for -compat's: the harness parses its command line's -compat POLICY with
    # visit_type_CompatPolicy at start, as QEMU's command line does; no QMP client reaches it.
    outside = sorted(fn for fn, r in ran.items() if r and not x86.counts(fn))
    assert outside == ["visit_type_CompatPolicy", "visit_type_CompatPolicyInput",
                       "visit_type_CompatPolicyOutput", "visit_type_CompatPolicy_members"]
    assert x86.counts("visit_type_BlockdevOptionsQcow2_members") and \
        ran["visit_type_BlockdevOptionsQcow2_members"]
    assert not x86.counts("visit_type_BlockdevOptionsQcow2") and \
        not ran["visit_type_BlockdevOptionsQcow2"]
    # The lines left out as an output visitor's failure paths never ran.
    sources: dict[Path, set[int]] = {}
    left_out = [(key, r) for key, (r, fn) in gcov.items()
                if x86.counts(fn) and fn.removeprefix("visit_type_").removesuffix("_members")
                not in x86.inputs
                and key[1] in sources.setdefault(key[0], input_only_lines(
                    key[0].read_text().splitlines()))]
    assert len(left_out) == reach["output_only_error_lines"] > 1000
    assert not [key for key, r in left_out if r]


def test_coverage_goal_missed_by_a_small_run(qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    """The 90% goal is a real bar: 200 requests do not reach it."""
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", tmp_path / "fuzz",
                         "--targets", "x86_64", "--requests", 200, "--seed", SEED,
                         "--coverage", "-j", 2)
    assert_clean(proc, report, 200)
    cov = report["coverage"]
    assert isinstance(cov, dict)
    assert 0 < cov["visit reachable"]["percent"] < 90.0
