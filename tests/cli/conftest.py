"""Running the installed ``qapic`` console script the way a user does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: The console script ``pip install`` made (the one on a user's PATH).
QAPIC = Path(sys.executable).parent / "qapic"

#: A valid schema with one conditional command (CONFIG_SPICE is the only symbol it mentions).
SCHEMA = """\
##
# @Thing:
#
# @name: its name
##
{ 'struct': 'Thing', 'data': { 'name': 'str' } }

##
# @get-thing:
##
{ 'command': 'get-thing', 'returns': 'Thing', 'if': 'CONFIG_SPICE' }
"""

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def qapic(tmp_path: Path) -> Run:
    """``qapic(*args, **popen_kwargs)``: the console script run in *tmp_path*."""
    assert QAPIC.is_file(), f"{QAPIC}: the console script is not installed (scripts/setup)"

    def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if "stdout" not in kwargs and "stderr" not in kwargs:
            kwargs["capture_output"] = True
        kwargs.setdefault("timeout", 300)
        return subprocess.run([str(QAPIC), *map(str, args)], cwd=tmp_path, text=True,
                              check=False, **kwargs)
    return run


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "s.json"
    path.write_text(SCHEMA)
    return path
