"""pytest fixtures for the libvirt tests; import them into a conftest.py to use them.

- ``libvirtd`` (session): Debian's libvirtd, installed by scripts/libvirt-setup when missing,
  started with a private configuration (``probe.Libvirtd``) and stopped at the end of the
  session; teardown fails if any process it started was still running.
- ``libvirt_dir`` (session): ``<pytest's base temp>/libvirt``, for the normalised XML of the
  probes (``Probe.save``) and the reports.
- ``libvirt_report`` (session): ``libvirt_report(name, text)`` writes *text* to
  ``libvirt_dir/NAME.txt``, prints it (seen with ``pytest -s``) and queues it for the terminal
  summary (``terminal_summary``, called by tests/libvirt/conftest.py's hook).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.libvirt.probe import Libvirtd, ensure_installed

#: (name, text, file) of every report of this session, in order.
REPORTS: list[tuple[str, str, Path]] = []


@pytest.fixture(scope="session")
def libvirtd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Libvirtd]:
    ensure_installed()
    daemon = Libvirtd(tmp_path_factory.mktemp("libvirtd"))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
    assert not daemon.leftovers, f"left running by libvirtd (killed): {daemon.leftovers}"


@pytest.fixture(scope="session")
def libvirt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.getbasetemp() / "libvirt"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture(scope="session")
def libvirt_report(libvirt_dir: Path) -> Callable[[str, str], Path]:
    def report(name: str, text: str) -> Path:
        path = libvirt_dir / f"{name}.txt"
        path.write_text(text + "\n")
        REPORTS.append((name, text, path))
        print(f"\n{text}\n(written to {path})")
        return path
    return report


def terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show this session's reports (call it from a conftest's pytest_terminal_summary)."""
    for _name, text, path in REPORTS:
        terminalreporter.write_sep("-", f"libvirt: {path.name}")
        for line in text.splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(written to {path})")
