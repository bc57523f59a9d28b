"""Shared by the harness tests: where the harness fixtures keep their output, and their parts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from qapic.proof.harness.base import cache_dir
from qapic.proof.harness.build import Result
from tests.harness.requests import JSON, extra_corpus
from tests.qmp import runner

#: Where the harnesses are kept between sessions (objects are cached separately, by content).
OUT = cache_dir() / "harness" / "upstream"
#: The sanitized harnesses (ASan + UBSan): their own OUT, their objects cached beside the normal
#: ones (the sanitizer flags are part of the cache key).
OUT_SANITIZED = cache_dir() / "harness" / "upstream-sanitized"
SANITIZERS = ("address", "undefined")
#: Per-target sanitized harnesses are built for these only (the single one serves every target).
SANITIZED_PER_TARGET = ("x86_64", "s390x")


def single(result: Result) -> Path:
    """The single-binary harness of *result* (the fixtures always build it: a missing one is a
    failure, never a skip)."""
    assert result.single is not None and result.single.is_file(), result
    return result.single


def run_fuzz(*args: str | Path | int) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """``python -m qapic fuzz ARGS``: the process and its report.json (empty if none)."""
    out = Path(str(args[args.index("-o") + 1]))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "qapic", "fuzz", *map(str, args)],
                          capture_output=True, text=True, timeout=1800)
    print(f"qapic fuzz {' '.join(map(str, args))}: {time.monotonic() - t0:.1f} s\n"
          f"{proc.stdout}{proc.stderr[-3000:]}")
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() \
        else {}
    return proc, report


def assert_clean(proc: subprocess.CompletedProcess[str], report: dict[str, object],
                 requests: int) -> None:
    """A fuzz run of *requests* requests that found nothing."""
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert report["requests"] == requests
    assert (report["divergences"], report["crashes"], report["hangs"],
            report["sanitizer_reports"], report["findings"]) == (0, 0, 0, 0, [])


def compare_corpus(per_target: Path, as_target: Path, target: str,
                   schema: list[JSON]) -> tuple[str | None, runner.Run]:
    """The QMP corpus, with the requests made for *target*'s query-qmp-schema value *schema*,
    sent to the per-target harness and to the single one run as *target*: the report of their
    first differences (None: identical) and the per-target run."""
    corpus = {**runner.load_corpus(), **extra_corpus(schema)}
    expected = runner.run_corpus(per_target, corpus)
    got = runner.run_corpus(as_target, corpus)
    return runner.compare_runs(expected, got, f"per-target {target}", f"single as {target}"), \
        expected
