"""Shared fixtures: QEMU source trees obtained by scripts/qemu-source (downloaded once, cached)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import qemu_source


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.parametrize_from(NAME, FUNCTION)``: parametrize NAME with FUNCTION()'s
    values, computed when the test is collected (not when its module is imported)."""
    for mark in metafunc.definition.iter_markers("parametrize_from"):
        name, values = mark.args
        metafunc.parametrize(name, values())


@pytest.fixture(scope="session")
def qemu_10_0() -> Path:
    return qemu_source("10.0")


@pytest.fixture(scope="session")
def qemu_10_2() -> Path:
    return qemu_source("10.2")


@pytest.fixture(scope="session")
def qemu_7_2() -> Path:
    return qemu_source("7.2")


# --- skip accounting ------------------------------------------------------------------------
#
# A skip hides a proof, so the run lists every skip, and only skips that name a cause outside
# qapic are allowed: any other skip fails the run (a missing tool is installed by the set-up or
# the fixture, a missing capability of qapic is a failure).  QAPIC_ALLOW_SKIPS=1 relaxes this
# for a local run on a machine that is not the project's (Debian 12, root).

#: The only skips allowed: a pattern on the skip's reason, the tests that may skip for it (node
#: ids, exactly), and why it is outside qapic.  The same reason on any other test fails the run.
ALLOWED_SKIPS: dict[str, tuple[tuple[str, ...], str]] = {
    r"^upstream's generator rejects it: ": (
        ("tests/cgen_dispatch/test_schema_suite.py::test_suite_schema[include-cycle-b.json]",
         "tests/cgen_dispatch/test_schema_suite.py::test_suite_schema[include-cycle-c.json]"),
        "tests/cgen_dispatch/test_schema_suite.py compares qapic's generated C with upstream's "
        "for every .json of QEMU's schema suite that has no .err golden; two of them "
        "(include-cycle-b.json, include-cycle-c.json) are only the helpers of the include-cycle "
        "case, and upstream's own generator rejects them (an inclusion loop): there is no "
        "upstream output to compare with"),
}


@dataclass
class _Skip:
    nodeid: str
    reason: str

    @property
    def allowed(self) -> bool:
        return any(re.search(p, self.reason) and self.nodeid in nodes
                   for p, (nodes, _why) in ALLOWED_SKIPS.items())


_skips: list[_Skip] = []


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        reason = _skip_reason(report)
        if hasattr(report, "wasxfail"):
            reason = f"xfail: {report.wasxfail}"
        _skips.append(_Skip(report.nodeid, reason))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:      # a whole module skipped while collecting
        _skips.append(_Skip(report.nodeid, _skip_reason(report)))


def _strict() -> bool:
    return os.environ.get("QAPIC_ALLOW_SKIPS", "") in ("", "0")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _strict() and exitstatus == 0 and any(not s.allowed for s in _skips):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    allowed = [s for s in _skips if s.allowed]
    other = [s for s in _skips if not s.allowed]
    tr = terminalreporter
    tr.write_sep("=", f"skips: {len(_skips)} ({len(allowed)} allowed, {len(other)} not)")
    for pattern, (nodes, why) in ALLOWED_SKIPS.items():
        n = sum(re.search(pattern, s.reason) is not None for s in allowed)
        tr.write_line(f"allowed, {n} skipped: {pattern} (only {', '.join(nodes)})\n    {why}")
    for s in other:
        tr.write_line(f"NOT ALLOWED: {s.nodeid}: {s.reason}", red=True)
    if other:
        tr.write_line("a skip not in tests/conftest.py ALLOWED_SKIPS fails the run"
                      + ("" if _strict() else " (not this one: QAPIC_ALLOW_SKIPS is set)"),
                      red=_strict())
