from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.oracle.fixtures import oracle_10_0
from tests.toolsbuild import SUMMARY, ToolsBuild, build

__all__ = ["oracle_10_0", "pytest_terminal_summary", "tools_build"]

@pytest.fixture(scope="session")
def tools_build() -> Callable[[str], ToolsBuild]:
    """``tools_build(compiler)``: QEMU 10.0 with the guest agent and tools, QAPI code by qapic,
    built with -Werror by *compiler* (a cold build takes minutes; a cached one seconds)."""
    return build


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for compiler, lines in SUMMARY.items():
        for line in lines:
            terminalreporter.write_line(f"QEMU tools build ({compiler}): {line}")
