"""``qapic check`` as the installed command (the console script of the set-up's virtualenv) over
every error case of QEMU 10.0's schema suite: exit status 1, nothing on stdout, and stderr equal
byte for byte to QEMU's ``.err`` golden, normalised as upstream's runner (test-qapi.py) does:
the schema's directory prefix removed from the error text.

One case is not a schema error: ``missing-schema`` names a file that does not exist.  QEMU's
generator says ``can't read schema file 'missing-schema.json': No such file or directory``;
qapic reports a file it cannot read in its one error style for every command
(``qapic check: error: FILE: no such file``, README's "Exit status and messages"), so that
case is held to the golden's content: the file and the cause it names, exit status 1."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.frontend.suite import SUITE, suite_cases
from tests.support import qemu_source


def suite_dir() -> Path:
    """QEMU 10.0's schema suite."""
    return qemu_source("10.0") / SUITE


@functools.cache
def error_cases() -> list[str]:
    """The cases whose golden .err is not empty: QEMU's generator rejects the schema."""
    d = suite_dir()
    return [c for c in suite_cases(qemu_source("10.0"))
            if (d / f"{c}.err").exists() and (d / f"{c}.err").read_text()]


def checked_cases() -> list[str]:
    return [c for c in error_cases() if c != MISSING]

#: The installed command (scripts/setup installs the package into .venv; pytest runs from it).
QAPIC = Path(sys.executable).parent / "qapic"


def _check(case: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(QAPIC), "check", str(suite_dir() / f"{case}.json")],
                          capture_output=True, timeout=120, cwd=Path.home())


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[bytes]]:
    assert QAPIC.is_file() and os.access(QAPIC, os.X_OK), f"{QAPIC}: not installed"
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return dict(zip(error_cases(), pool.map(_check, error_cases()), strict=True))


def test_error_case_count() -> None:
    # QEMU 10.0's suite: the rejected schemas among 206 listed cases, the missing schema and
    # the unlisted ones with goldens (tests/frontend/conftest.py).
    assert len(error_cases()) == 201


#: Not a schema error: the file is missing (see the module's docstring).
MISSING = "missing-schema"


@pytest.mark.parametrize_from("case", checked_cases)
def test_check_command(case: str, runs: dict[str, subprocess.CompletedProcess[bytes]]) -> None:
    proc = runs[case]
    golden = (suite_dir() / f"{case}.err").read_bytes()
    assert proc.stdout == b""
    assert proc.stderr.replace(os.fsencode(f"{suite_dir()}/"), b"") == golden
    assert proc.returncode == 1


def test_missing_schema(runs: dict[str, subprocess.CompletedProcess[bytes]]) -> None:
    proc = runs[MISSING]
    golden = (suite_dir() / f"{MISSING}.err").read_text()
    # QEMU's words: the file, and the operating system's "No such file or directory".
    assert f"'{MISSING}.json'" in golden and "No such file or directory" in golden
    assert proc.stdout == b""
    missing = suite_dir() / f"{MISSING}.json"
    assert proc.stderr.decode() == f"qapic check: error: {missing}: no such file\n"
    assert proc.returncode == 1
