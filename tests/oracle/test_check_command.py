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

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import qemu_source
from tests.frontend.conftest import SUITE, suite_cases

TREE = qemu_source("10.0")
DIR = TREE / SUITE
#: The cases whose golden .err is not empty: QEMU's generator rejects the schema.
ERROR_CASES = [c for c in suite_cases(TREE)
               if (DIR / f"{c}.err").exists() and (DIR / f"{c}.err").read_text()]
#: The installed command (scripts/setup installs the package into .venv; pytest runs from it).
QAPIC = Path(sys.executable).parent / "qapic"


def _check(case: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(QAPIC), "check", str(DIR / f"{case}.json")],
                          capture_output=True, timeout=120, cwd=Path.home())


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[bytes]]:
    assert QAPIC.is_file() and os.access(QAPIC, os.X_OK), f"{QAPIC}: not installed"
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return dict(zip(ERROR_CASES, pool.map(_check, ERROR_CASES), strict=True))


def test_error_case_count() -> None:
    # QEMU 10.0's suite: the rejected schemas among 206 listed cases, the missing schema and
    # the unlisted ones with goldens (tests/frontend/conftest.py).
    assert len(ERROR_CASES) == 201


#: Not a schema error: the file is missing (see the module's docstring).
MISSING = "missing-schema"


@pytest.mark.parametrize("case", [c for c in ERROR_CASES if c != MISSING])
def test_check_command(case: str, runs: dict[str, subprocess.CompletedProcess[bytes]]) -> None:
    proc = runs[case]
    golden = (DIR / f"{case}.err").read_bytes()
    assert proc.stdout == b""
    assert proc.stderr.replace(os.fsencode(f"{DIR}/"), b"") == golden
    assert proc.returncode == 1


def test_missing_schema(runs: dict[str, subprocess.CompletedProcess[bytes]]) -> None:
    proc = runs[MISSING]
    golden = (DIR / f"{MISSING}.err").read_text()
    # QEMU's words: the file, and the operating system's "No such file or directory".
    assert f"'{MISSING}.json'" in golden and "No such file or directory" in golden
    assert proc.stdout == b""
    assert proc.stderr.decode() == f"qapic check: error: {DIR / MISSING}.json: no such file\n"
    assert proc.returncode == 1
