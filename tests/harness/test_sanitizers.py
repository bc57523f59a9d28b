"""The QMP harnesses under AddressSanitizer + UndefinedBehaviorSanitizer, and under valgrind.

The whole QMP corpus, plus every command of the target called without and with arguments and
every event (``tests.harness.requests``), runs through

- the single harness built with ``-fsanitize=address,undefined`` as several targets, and the
  sanitized per-target harnesses of a few targets (qapic's drop-in output, compared with the
  normal per-target harnesses built from upstream's): any ASan, LeakSanitizer or UBSan report
  makes the process exit with a status of its own, and stderr must be what the normal harness
  prints (nothing of a sanitizer);
- the normal (unsanitized) single harness under valgrind's memcheck, for a few targets: no
  definite leak, no invalid access.

And ``qapic fuzz --sanitize`` itself (its sanitizer options, its reading of each process's
stderr and exit status) finds faults planted in the sanitized single harness, at a request and
at quit, with reproducers that replay them.

In the first two cases the replies must equal the normal harness's replies, so the requests really
reached the code (the normal harness is itself checked against the per-target harnesses and
upstream in test_harness.py).

One known leak is not ours: QEMU 10.0's JSON parser (qobject/json-parser.c, parse_pair(), in
libqemuutil) drops the parsed value of a duplicate key without freeing it, so the corpus requests
with a duplicate key (found by Python's JSON parser, independently of the code under test) run
in processes of their own with the leak check off; every other check stays on for them.

QEMU's libqemuutil.a stays uninstrumented (see qapic.proof.harness.build): ASan intercepts its
malloc/free, UBSan checks only the generated code, the doubles and harness.c.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from qapic.proof.harness.base import sanitizer_flags
from qapic.proof.harness.build import Result
from tests.harness.helpers import OUT, OUT_SANITIZED, SANITIZED_PER_TARGET, SANITIZERS, run_fuzz
from tests.harness.helpers import single as _single
from tests.harness.mutant import generated, relink_single
from tests.harness.requests import extra_corpus
from tests.qemu import QemuBuild
from tests.qmp import runner
from tests.qmp.runner import QMPError, Request

#: Exit statuses of our own, so a sanitizer's exit cannot pass for a normal one.
ASAN_EXIT, UBSAN_EXIT, VALGRIND_EXIT = 97, 98, 99
SANITIZER_ENV = {
    "ASAN_OPTIONS": f"halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode={ASAN_EXIT}"
                    ":detect_stack_use_after_return=1",
    "LSAN_OPTIONS": "report_objects=1",
    "UBSAN_OPTIONS": f"halt_on_error=1:print_stacktrace=1:exitcode={UBSAN_EXIT}",
}
#: Where QEMU's own parser leaks (see above): LeakSanitizer and valgrind's leak check off.
LEAK_CHECK_OFF = {
    "ASAN_OPTIONS": SANITIZER_ENV["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0"),
    "HARNESS_LEAK_CHECK": "no",
}
#: glib: plain malloc/free for every allocation, so the tools see each one.
GLIB_ENV = {"G_SLICE": "always-malloc", "G_DEBUG": "gc-friendly"}
#: What a sanitizer or valgrind writes; none of it may appear in the harness's stderr.
REPORT_MARKERS = ("Sanitizer", "runtime error:", "LeakSanitizer", "==ERROR", "SUMMARY:")
#: How long a process may take to exit after quit (the leak check runs then; valgrind is slow).
EXIT_TIMEOUT = 300.0

SINGLE_RUNS = (("x86_64",), ("aarch64",), ("s390x",), ("aarch64", "arm"))
VALGRIND_TARGETS = ("x86_64", "aarch64", "s390x")


# --- a corpus run that also records how each process ended ------------------------------------

class _CheckedQMP(runner.QMPProcess):
    """A QMPProcess that waits for the exit (and its leak check) and keeps status and stderr."""

    exit_status: int | None = None
    final_stderr: str = ""

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send('{"execute":"quit"}')
                self.proc.wait(timeout=EXIT_TIMEOUT)
            except (QMPError, subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait()
        if self.exit_status is None:
            self.exit_status = self.proc.returncode
            self.final_stderr = self.stderr()
        super().close()


@dataclass
class CheckedRun:
    run: runner.Run = field(default_factory=runner.Run)
    #: per corpus file: (exit status, stderr) of each process it took
    ends: dict[str, list[tuple[int | None, str]]] = field(default_factory=dict)
    seconds: float = 0.0

    def problems(self, expected_stderr: dict[str, str] | None = None) -> list[str]:
        """Processes that did not exit 0, stderr with a tool's report or differing from the
        normal harness's."""
        out = []
        for name, ends in self.ends.items():
            for status, err in ends:
                if status != 0 or any(m in err for m in REPORT_MARKERS):
                    out.append(f"{name}: exit status {status}\n{err[-6000:]}")
                elif expected_stderr is not None and err != expected_stderr.get(name, ""):
                    out.append(f"{name}: stderr differs from the normal harness's:\n"
                               f"{err[-3000:]}\n--- normal:\n{expected_stderr.get(name)}")
        return out

    def stderr(self) -> dict[str, str]:
        return {name: "".join(err for _status, err in ends) for name, ends in self.ends.items()}


def run_checked(binary: Path | str, corpus: dict[str, list[Request]],
                args: Sequence[str] = (), no_leak_check: Sequence[str] = ()) -> CheckedRun:
    """Like runner.run_corpus (a process per corpus file, replies normalised); a process that
    dies is recorded with its status and stderr, and the rest of its file runs in a new one.
    The files named in *no_leak_check* run (first, one by one) with LEAK_CHECK_OFF in the
    environment; the others in parallel, a process per CPU."""
    t0 = time.monotonic()
    parts: dict[str, CheckedRun] = {}
    for name in no_leak_check:
        with _Environment(LEAK_CHECK_OFF):
            parts[name] = _run_file(binary, name, corpus[name], args)
    rest = [name for name in corpus if name not in no_leak_check]
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        parts.update(zip(rest, pool.map(lambda n: _run_file(binary, n, corpus[n], args), rest),
                         strict=True))
    result = CheckedRun()
    for name in corpus:
        part = parts[name]
        result.run.greetings.update(part.run.greetings)
        result.run.exchanges += part.run.exchanges
        result.ends.update(part.ends)
    result.seconds = time.monotonic() - t0
    return result


class _Environment:
    """Environment variables changed for the processes started inside a with block."""

    def __init__(self, changes: Mapping[str, str]) -> None:
        self.changes = changes
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for k, v in self.changes.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc: object) -> None:
        for k, old in self.saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def _run_file(binary: Path | str, name: str, requests: list[Request], args: Sequence[str]
              ) -> CheckedRun:
    result = CheckedRun()
    ends = result.ends.setdefault(name, [])
    qmp = _CheckedQMP(binary, args)
    result.run.greetings[name] = runner.normalise(qmp.greeting)
    try:
        for req in requests:
            try:
                replies = qmp.exchange(req.text)
            except QMPError as e:
                replies = [{runner.RUNNER_ERROR: str(e).split("; stderr:")[0]}]
                qmp.close()
                ends.append((qmp.exit_status, qmp.final_stderr))
                qmp = _CheckedQMP(binary, args)
            result.run.exchanges.append(
                runner.Exchange(req, [runner.normalise(m) for m in replies]))
    finally:
        qmp.close()
        ends.append((qmp.exit_status, qmp.final_stderr))
    return result


def _has_duplicate_key(text: str) -> bool:
    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _v in items]
        if len(keys) != len(set(keys)):
            raise _DuplicateKey
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except _DuplicateKey:
        return True
    except (ValueError, RecursionError):
        pass
    return False


class _DuplicateKey(Exception):
    pass


#: The suffix of the corpus files that hold the requests with a duplicate key.
DUPLICATE_KEY_FILE = "+duplicate-key"


def split_known_leaks(corpus: dict[str, list[Request]]
                      ) -> tuple[dict[str, list[Request]], list[str]]:
    """*corpus* with the requests that have a duplicate key moved to files of their own, and
    the names of those files (QEMU's parser leaks there)."""
    out: dict[str, list[Request]] = {}
    leaky: dict[str, list[Request]] = {}
    for name, requests in corpus.items():
        for req in requests:
            if _has_duplicate_key(req.text):
                leaky.setdefault(name + DUPLICATE_KEY_FILE, []).append(req)
            else:
                out.setdefault(name, []).append(req)
    return {**out, **leaky}, sorted(leaky)


@pytest.fixture
def tool_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment of every harness process of a test (normal and instrumented alike)."""
    for k, v in {**SANITIZER_ENV, **GLIB_ENV}.items():
        monkeypatch.setenv(k, v)
    yield


def _corpus(harnesses: Result, args: Sequence[str], binary: Path | None = None
            ) -> tuple[dict[str, list[Request]], list[str]]:
    """The QMP corpus and the per-command and event calls of the target(s) *args* select,
    split by split_known_leaks."""
    with runner.QMPProcess(binary or _single(harnesses), args) as qmp:
        (reply,) = qmp.exchange('{"execute":"query-qmp-schema"}')
    corpus, leaky = split_known_leaks({**runner.load_corpus(), **extra_corpus(reply["return"])})
    # Only a few malformed requests (three today), not whole files by mistake.
    assert leaky == ["malformed" + DUPLICATE_KEY_FILE] and len(corpus[leaky[0]]) < 10, leaky
    return corpus, leaky


def _assert_clean(label: str, checked: CheckedRun, normal: CheckedRun) -> None:
    assert normal.problems() == [], f"normal harness {label}"
    problems = checked.problems(normal.stderr())
    assert problems == [], "\n\n".join(problems[:3])
    report = runner.compare_runs(normal.run, checked.run, f"normal {label}",
                                 f"instrumented {label}")
    assert report is None, report
    assert len(checked.run.exchanges) > 500


# --- the sanitized harnesses ------------------------------------------------------------------

def test_sanitized_harness_is_instrumented(sanitized_harnesses: Result) -> None:
    """The sanitizers are really in: the run-times are linked and our objects call them."""
    for exe in [_single(sanitized_harnesses), *sanitized_harnesses.per_target.values()]:
        libs = subprocess.run(["ldd", str(exe)], capture_output=True, text=True,
                              check=True).stdout
        assert "libasan" in libs and "libubsan" in libs, libs
        undefined = subprocess.run(["nm", "--undefined-only", str(exe)], capture_output=True,
                                   text=True, check=True).stdout
        assert "__asan_report_" in undefined and "__ubsan_handle_" in undefined


@pytest.mark.parametrize("targets", SINGLE_RUNS, ids=lambda t: ",".join(t))
def test_single_under_asan_ubsan(targets: tuple[str, ...], sanitized_harnesses: Result,
                                 harnesses: Result, tool_env: None) -> None:
    args = ("-target", ",".join(targets))
    corpus, leaky = _corpus(harnesses, args)
    normal = run_checked(_single(harnesses), corpus, args, leaky)
    checked = run_checked(_single(sanitized_harnesses), corpus, args, leaky)
    _assert_clean(f"single -target {args[1]}", checked, normal)
    print(f"ASan+UBSan single -target {args[1]}: {len(checked.run.exchanges)} requests in "
          f"{checked.seconds:.1f} s (normal {normal.seconds:.1f} s)")


@pytest.mark.parametrize("target", SANITIZED_PER_TARGET)
def test_per_target_under_asan_ubsan(target: str, sanitized_harnesses: Result,
                                     harnesses: Result, tool_env: None) -> None:
    normal_exe = harnesses.per_target[target]
    corpus, leaky = _corpus(harnesses, (), normal_exe)
    normal = run_checked(normal_exe, corpus, (), leaky)
    checked = run_checked(sanitized_harnesses.per_target[target], corpus, (), leaky)
    _assert_clean(f"per-target {target}", checked, normal)
    print(f"ASan+UBSan per-target {target}: {len(checked.run.exchanges)} requests in "
          f"{checked.seconds:.1f} s (normal {normal.seconds:.1f} s)")


#: Faults planted at the start of query-uuid's marshaller in the sanitized single harness (not
#: query-name: the corpus runner sends that one after every request): the C statement, what the
#: sanitizer's report says, the exit status it must end the process with.  QEMU compiles with
#: -fwrapv, under which signed overflow is defined (UBSan has nothing to report), so the
#: planted undefined behaviour is an oversized shift of a signed int.
PLANTED = {
    "out-of-bounds-read": ("{ char *planted = g_malloc(8); volatile char c = planted[8]; "
                           "(void)c; g_free(planted); }", "heap-buffer-overflow", ASAN_EXIT),
    "shift-overflow": ("{ volatile int n = 40; volatile int planted = 1 << n; (void)planted; }",
                       "shift exponent 40 is too large", UBSAN_EXIT),
}


@pytest.mark.parametrize("fault", PLANTED)
def test_planted_fault_fails_the_sanitized_run(fault: str, sanitized_harnesses: Result,
                                               harnesses: Result, qemu_upstream: QemuBuild,
                                               tool_env: None, tmp_path: Path) -> None:
    """The checks of the runs above have teeth: the sanitized single harness with a planted
    out-of-bounds read (ASan) or undefined shift (UBSan) in a generated marshaller, built with
    the sanitized build's flags, fails them when that command is called."""
    code, report, status = PLANTED[fault]
    fname = "qapi-commands-machine.c"
    text, n = re.subn(r"(\nvoid qmp_marshal_query_uuid\([^)]*\)\n\{\n)", rf"\1    {code}\n",
                      generated(OUT_SANITIZED, fname))
    assert n == 1
    exe = relink_single(OUT_SANITIZED, qemu_upstream.build_dir, {fname: text}, tmp_path,
                        sanitizer_flags(SANITIZERS))
    corpus = {"planted": [Request("planted", 1, '{"execute":"query-uuid"}'),
                          Request("planted", 2, '{"execute":"query-version"}')]}
    args = ("-target", "x86_64")
    normal = run_checked(_single(harnesses), corpus, args)
    assert normal.problems() == []
    checked = run_checked(exe, corpus, args)
    problems = checked.problems(normal.stderr())
    assert problems and report in problems[0], problems
    assert checked.ends["planted"][0][0] == status
    with pytest.raises(AssertionError):
        _assert_clean(f"planted {fault}", checked, normal)
    # The same build without the fault passes the same checks.
    clean = relink_single(OUT_SANITIZED, qemu_upstream.build_dir, {}, tmp_path / "clean",
                          sanitizer_flags(SANITIZERS))
    assert run_checked(clean, corpus, args).problems(normal.stderr()) == []


# --- qapic fuzz's own sanitizer path ---------------------------------------------------------

#: Faults planted in the sanitized single harness and found by ``qapic fuzz --sanitize`` itself
#: (its sanitizer options, its reading of stderr and exit statuses), not by the checkers above:
#: the generated file and marshaller, the C statement at its start, extra compiler flags, what
#: the report says.  The signed overflow is compiled with -fno-wrapv (QEMU's -fwrapv defines
#: it).  "at-quit" fires only when the fuzzer ends a harness with quit, a command it never
#: sends as a request: only the exit status and stderr of the process show it.
FUZZ_PLANTED = {
    "heap-overflow": ("qapi-commands-machine.c", "query_uuid",
                      "{ char *planted = g_malloc(8); ((volatile char *)planted)[8] = 1; "
                      "g_free(planted); }", (), "heap-buffer-overflow"),
    "signed-overflow": ("qapi-commands-machine.c", "query_uuid",
                        "{ volatile int n = INT_MAX; volatile int planted = n + 1; "
                        "(void)planted; }", ("-fno-wrapv",), "signed integer overflow"),
    "at-quit": ("qapi-commands-control.c", "quit",
                "{ char *planted = g_malloc(8); ((volatile char *)planted)[8] = 1; "
                "g_free(planted); }", (), "heap-buffer-overflow"),
}


def _planted_sanitized(fault: str, qemu_build: Path, workdir: Path) -> Path:
    fname, command, code, flags, _report = FUZZ_PLANTED[fault]
    text, n = re.subn(rf"(\nvoid qmp_marshal_{command}\([^)]*\)\n\{{\n)", rf"\1    {code}\n",
                      generated(OUT_SANITIZED, fname))
    assert n == 1
    return relink_single(OUT_SANITIZED, qemu_build, {fname: text}, workdir,
                         [*sanitizer_flags(SANITIZERS), *flags])


@pytest.mark.parametrize("fault", FUZZ_PLANTED)
def test_fuzz_finds_a_planted_sanitizer_fault(fault: str, sanitized_harnesses: Result,
                                              harnesses: Result, qemu_upstream: QemuBuild,
                                              monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """``qapic fuzz --sanitize address,undefined --single MUTANT`` on x86_64, MUTANT the
    sanitized single harness with a fault planted in query-uuid's marshaller (a heap buffer
    overflow for ASan, a signed integer overflow for UBSan) or in quit's: exit status 1, the
    sanitizer's report among the run's reports; for the faults a request reaches, each
    reproducer written replays the report in the corpus runner run here (the process ends
    with the sanitizer's exit status, its stderr has the report), and the unchanged sanitized
    single harness answers it cleanly."""
    _fname, _command, _code, _flags, words = FUZZ_PLANTED[fault]
    mutant = _planted_sanitized(fault, qemu_upstream.build_dir, tmp_path / "mutant")
    out = tmp_path / "out"
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", out,
                            "--harness-dir", OUT, "--single", mutant,
                            "--sanitize", "address,undefined", "--targets", "x86_64",
                            "--commands", "query-uuid,query-version", "--requests", 40,
                            "--seed", 1, "--compat", "default")
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert report["sanitize"] == ["address", "undefined"]
    generators = report["generators"]
    assert isinstance(generators, dict)
    assert generators["single"]["program"] == str(mutant)
    reports = report["reports"]
    assert isinstance(reports, dict) and isinstance(report["sanitizer_reports"], int)
    assert report["sanitizer_reports"] == sum(map(len, reports.values())) > 0
    assert all(words in r for r in reports["x86_64"]), reports
    assert f"sanitizer reports {report['sanitizer_reports']}" in proc.stdout
    files = sorted(out.glob("*.jsonl"))
    if fault == "at-quit":
        # One report per session: the one process that quit; no request made it fire.
        assert (report["sanitizer_reports"], report["crashes"], files) == (1, 0, [])
        assert "qmp_marshal_quit" in reports["x86_64"][0]
        return
    assert isinstance(report["crashes"], int) and report["crashes"] > 0
    assert files
    for k, v in {**SANITIZER_ENV, **GLIB_ENV}.items():
        monkeypatch.setenv(k, v)
    status = ASAN_EXIT if fault == "heap-overflow" else UBSAN_EXIT
    args = ("-target", "x86_64")
    for f in files:
        requests = runner.load_file(f)
        replay = run_checked(mutant, {"r": requests}, args)
        (died, err), *_rest = replay.ends["r"]
        assert died == status and words in err and "qmp_marshal_query_uuid" in err, err
        assert run_checked(_single(sanitized_harnesses), {"r": requests}, args).problems() == []
    print(f"{fault}: {report['crashes']} crashes, {report['sanitizer_reports']} reports, "
          f"reproducers: {[f.read_text().strip() for f in files]}")


# --- valgrind on the normal harness -----------------------------------------------------------

def _valgrind_wrapper(directory: Path, binary: Path) -> Path:
    """A script that runs *binary* under memcheck: a definite leak or any memory error makes
    it exit VALGRIND_EXIT; the report goes to a log file per process (stderr stays the
    harness's)."""
    valgrind = shutil.which("valgrind")
    assert valgrind, "valgrind is not installed (scripts/setup --test installs it)"
    script = directory / "valgrind-harness"
    script.write_text(
        "#!/bin/sh\n"
        f"exec {valgrind} -q --leak-check=${{HARNESS_LEAK_CHECK:-full}} "
        "--show-leak-kinds=definite "
        f"--errors-for-leak-kinds=definite --error-exitcode={VALGRIND_EXIT} "
        f"--log-file={directory}/memcheck.%p.log {binary} \"$@\"\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("target", VALGRIND_TARGETS)
def test_single_under_valgrind(target: str, harnesses: Result, tool_env: None,
                               tmp_path: Path) -> None:
    single = _single(harnesses)
    args = ("-target", target)
    corpus, leaky = _corpus(harnesses, args)
    normal = run_checked(single, corpus, args, leaky)
    checked = run_checked(_valgrind_wrapper(tmp_path, single), corpus, args, leaky)
    logs = sorted(tmp_path.glob("memcheck.*.log"))
    assert len(logs) >= len(corpus)  # every process really ran under valgrind
    reports = [f"{p.name}:\n{p.read_text()[-6000:]}" for p in logs if p.read_text().strip()]
    assert reports == [], "\n".join(reports[:3])
    _assert_clean(f"single -target {target}", checked, normal)
    print(f"valgrind single -target {target}: {len(checked.run.exchanges)} requests in "
          f"{checked.seconds:.1f} s (normal {normal.seconds:.1f} s)")


def test_checker_sees_a_leak(tmp_path: Path, tool_env: None) -> None:
    """The valgrind wrapper's exit status flags a definite leak (the check is not vacuous):
    a harness-shaped program that leaks one allocation per request."""
    cc = shutil.which("cc")
    assert cc
    src = tmp_path / "leaky.c"
    src.write_text(
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
        "int main(void) {\n"
        "    char line[4096];\n"
        '    puts("{\\"QMP\\": {\\"version\\": {}, \\"capabilities\\": []}}");\n'
        "    fflush(stdout);\n"
        "    while (fgets(line, sizeof line, stdin)) {\n"
        "        char *p = malloc(64);\n"
        "        strcpy(p, \"{\\\"return\\\": {}\");\n"
        "        if (strstr(line, \"qmp-corpus-sync\")) {\n"
        "            char *id = strstr(line, \"qmp-corpus-sync\");\n"
        "            *strchr(id, '\"') = 0;\n"
        '            printf("{\\"return\\": {}, \\"id\\": \\"%s\\"}\\n", id);\n'
        "        } else {\n"
        '            printf("%s}\\n", p);\n'
        "        }\n"
        "        fflush(stdout);\n"
        "        p = NULL;\n"
        '        if (strstr(line, "\\"quit\\"")) return 0;\n'
        "    }\n"
        "    return 0;\n"
        "}\n")
    exe = tmp_path / "leaky"
    subprocess.run([cc, "-O0", "-g", "-o", str(exe), str(src)], check=True)
    checked = run_checked(_valgrind_wrapper(tmp_path, exe),
                          {"t": [Request("t", 1, '{"execute":"query-name"}')]})
    ((status, _err),) = checked.ends["t"]
    assert status == VALGRIND_EXIT
    assert any("definitely lost" in p.read_text() for p in tmp_path.glob("memcheck.*.log"))

