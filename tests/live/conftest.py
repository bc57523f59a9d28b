"""Live QEMU binaries (Debian 12's QEMU 7.2 packages): marker and fixtures."""

from __future__ import annotations

import os

import pytest

from tests.live.qemu_binaries import LIVE_TARGETS, InstallError, ensure_installed
from tests.oracle.fixtures import oracle_7_2

__all__ = ["oracle_7_2"]

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: runs real QEMU binaries (Debian 12's qemu-system-* packages, "
        "installed with apt-get when missing)")


@pytest.fixture(scope="session")
def live_installed() -> list[str]:
    """Makes sure the qemu-system-* packages of LIVE_TARGETS are installed."""
    try:
        ensure_installed(LIVE_TARGETS)
    except InstallError as err:
        if os.geteuid() != 0:
            pytest.skip(f"live QEMU binaries unavailable: {err}")
        raise
    return LIVE_TARGETS
