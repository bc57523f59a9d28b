"""Running the installed ``qapic`` console script the way a user does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import QAPIC, SCHEMA, Run


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
