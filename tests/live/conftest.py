"""Live QEMU binaries (Debian 12's QEMU 7.2 packages): marker and fixtures."""

from __future__ import annotations

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
    """Makes sure the qemu-system-* binaries of LIVE_TARGETS are installed: every one of them,
    or the tests fail (never a skip: the fixture installs what the proof needs)."""
    try:
        ensure_installed(LIVE_TARGETS)
    except InstallError as err:
        pytest.fail(f"live QEMU binaries unavailable: {err}", pytrace=False)
    return LIVE_TARGETS
