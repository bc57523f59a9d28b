"""The skip accounting of tests/conftest.py: a skip whose reason is not in ALLOWED_SKIPS fails
the run (planted here in a throw-away test file, run by a pytest of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

PLANTED = '''
import pytest

def test_runs():
    assert True

def test_skips():
    pytest.skip({reason!r})
'''


def _run(tmp_path: Path, reason: str, allow: str | None = None, only: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_planted.py").write_text(PLANTED.format(reason=reason))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("QAPIC_ALLOW_SKIPS", None)
    if allow is not None:
        env["QAPIC_ALLOW_SKIPS"] = allow
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest",
                           "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path / only) if only else str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_a_skip_naming_no_outside_cause_fails_the_run(tmp_path: Path) -> None:
    proc = _run(tmp_path, "qapic generate --single-binary is not implemented yet")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout
    assert "skips: 1 (0 allowed, 1 not)" in proc.stdout
    assert "NOT ALLOWED: test_planted.py::test_skips: qapic generate --single-binary" \
        in proc.stdout


SUITE = '''
import pytest

@pytest.mark.parametrize("name", {names!r})
def test_suite_schema(name):
    pytest.skip("upstream's generator rejects it: an inclusion loop")
'''


def _run_suite(tmp_path: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    """The allowed reason, from the test and module it is allowed for, for schemas *names*."""
    suite = tmp_path / "tests" / "cgen_dispatch"
    suite.mkdir(parents=True)
    (suite / "test_schema_suite.py").write_text(SUITE.format(names=names))
    return _run(tmp_path, "an unrelated skip", only="tests")


def test_an_allowed_skip_passes_and_is_listed(tmp_path: Path) -> None:
    proc = _run_suite(tmp_path, ["include-cycle-b.json", "include-cycle-c.json"])
    assert proc.returncode == 0, proc.stdout
    assert "skips: 2 (2 allowed, 0 not)" in proc.stdout
    assert "allowed, 2 skipped: ^upstream's generator rejects it" in proc.stdout


def test_the_allowed_reason_on_a_third_schema_fails_the_run(tmp_path: Path) -> None:
    proc = _run_suite(tmp_path, ["include-cycle-b.json", "include-cycle-c.json",
                                 "include-cycle-d.json"])
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout
    assert "skips: 3 (2 allowed, 1 not)" in proc.stdout
    assert ("NOT ALLOWED: tests/cgen_dispatch/test_schema_suite.py::test_suite_schema"
            "[include-cycle-d.json]: upstream's generator rejects it") in proc.stdout


def test_the_allowed_reason_elsewhere_fails_the_run(tmp_path: Path) -> None:
    proc = _run(tmp_path, "upstream's generator rejects it: some error")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout
    assert "skips: 1 (0 allowed, 1 not)" in proc.stdout


def test_a_module_skipped_while_collecting_counts(tmp_path: Path) -> None:
    (tmp_path / "test_module_skip.py").write_text(
        "import pytest\npytest.skip('no frontend yet', allow_module_level=True)\n")
    proc = _run(tmp_path, "a skip of its own")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout
    assert "skips: 2 (0 allowed, 2 not)" in proc.stdout
    assert "NOT ALLOWED: test_module_skip.py: no frontend yet" in proc.stdout


def test_a_local_run_may_relax_it(tmp_path: Path) -> None:
    proc = _run(tmp_path, "not on this machine", allow="1")
    assert proc.returncode == 0, proc.stdout
    assert "NOT ALLOWED" in proc.stdout and "QAPIC_ALLOW_SKIPS is set" in proc.stdout
