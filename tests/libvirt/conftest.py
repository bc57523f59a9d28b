from __future__ import annotations

import pytest

from tests.libvirt.fixtures import libvirt_dir, libvirt_report, libvirtd, terminal_summary
from tests.qemu.fixtures import qemu_build, qemu_upstream

__all__ = ["libvirt_dir", "libvirt_report", "libvirtd", "pytest_terminal_summary", "qemu_build",
           "qemu_upstream"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminal_summary(terminalreporter)
