"""Shared fixtures: QEMU source trees obtained by scripts/qemu-source (downloaded once, cached)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def qemu_source(key: str) -> Path:
    """The unpacked QEMU source tree for *key* (a line of scripts/qemu-versions)."""
    out = subprocess.run(
        [str(REPO / "scripts" / "qemu-source"), key],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return Path(out.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def qemu_10_0() -> Path:
    return qemu_source("10.0")


@pytest.fixture(scope="session")
def qemu_10_2() -> Path:
    return qemu_source("10.2")


@pytest.fixture(scope="session")
def qemu_7_2() -> Path:
    return qemu_source("7.2")
