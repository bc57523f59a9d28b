"""ensure_installed fails when a binary is still missing after the install (planted: apt-get
"succeeds" without installing anything), instead of letting the live tests skip it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.live import qemu_binaries
from tests.live.qemu_binaries import InstallError, ensure_installed


def test_a_binary_missing_after_the_install_fails(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(qemu_binaries, "BINDIR", tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(subprocess, "run", fake_run)
    (tmp_path / "qemu-system-x86_64").touch()
    with pytest.raises(InstallError, match=r"still missing: .*qemu-system-s390x"):
        ensure_installed(["x86_64", "s390x"])
    assert calls[-1][:2] == ["apt-get", "install"] and "qemu-system-misc" in calls[-1]
