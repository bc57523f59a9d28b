from __future__ import annotations

import pytest

from tests.qemu.fixtures import qemu_build, qemu_upstream

__all__ = ["pytest_terminal_summary", "qemu_build", "qemu_upstream"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.qemu.test_unit_tests import CASE_COUNTS

    for generator, counts in CASE_COUNTS.items():
        terminalreporter.write_line(
            f"QEMU QAPI unit tests ({generator} generator): {sum(counts.values())} test cases "
            f"passed in {len(counts)} programs")
