"""Installing the live tests' binaries: Debian's QEMU 7.2, pinned to its upstream version.

ensure_installed fails when a binary is still missing after the install (planted: the install
"succeeds" without installing anything), instead of letting the live tests skip it.
scripts/qemu-72-binaries installs the newest Debian revision of 7.2 that apt has, and refuses
another upstream version, installed or offered (dpkg-query, apt-cache and apt-get are stubs here:
nothing is installed).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.live import qemu_binaries
from tests.live.qemu_binaries import INSTALL_SCRIPT, InstallError, ensure_installed

PACKAGES = ("qemu-system-arm", "qemu-system-x86", "qemu-system-ppc", "qemu-system-misc",
            "qemu-system-mips", "qemu-system-sparc")


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
    assert calls == [[str(INSTALL_SCRIPT)]]


def _stubs(tmp_path: Path, installed: dict[str, str], offered: list[str]) -> dict[str, str]:
    """A PATH whose dpkg-query reports *installed* (package -> version), whose apt-cache
    madison offers the *offered* versions of every package, and whose apt-get logs its
    arguments to tmp_path/apt-get.log."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    state = "\n".join(f"{p} {v}" for p, v in installed.items())
    (bin_ / "dpkg-query").write_text(f"""#!/bin/sh
[ "$1" = -L ] && exit 0
p=$(echo "$@" | awk '{{print $NF}}')
v=$(printf '%s\\n' '{state}' | awk -v p="$p" '$1 == p {{print $2}}')
[ -n "$v" ] || exit 1
printf 'install ok installed|%s' "$v"
""")
    rows = "".join(f"echo \" $2 | {v} | http://archive.invalid bookworm/main amd64 Packages\"\n"
                   for v in offered)
    (bin_ / "apt-cache").write_text(f"#!/bin/sh\n[ \"$1\" = madison ] || exit 9\n{rows}")
    (bin_ / "apt-get").write_text(f"#!/bin/sh\necho \"$*\" >> {tmp_path}/apt-get.log\n")
    (bin_ / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for f in bin_.iterdir():
        f.chmod(0o755)
    return dict(os.environ, PATH=f"{bin_}:{os.environ['PATH']}")


def _install_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "apt-get.log"
    return [line for line in log.read_text().splitlines() if " install " in f" {line} "] \
        if log.exists() else []


def test_the_newest_7_2_revision_is_installed(tmp_path: Path) -> None:
    installed = {p: "1:7.2+dfsg-7+deb12u18+b3" for p in PACKAGES if p != "qemu-system-ppc"}
    env = _stubs(tmp_path, installed, ["1:7.2+dfsg-7+deb12u18+b3", "1:7.2+dfsg-7+deb12u20",
                                       "1:10.0.13+ds-0+deb13u1", "1:7.2+dfsg-7+deb12u9"])
    proc = subprocess.run([str(INSTALL_SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    [call] = _install_calls(tmp_path)
    assert call.split()[-1] == "qemu-system-ppc=1:7.2+dfsg-7+deb12u20"
    assert sum(w.startswith("qemu-system-") for w in call.split()) == 1


def test_another_upstream_version_offered_is_refused(tmp_path: Path) -> None:
    installed = {p: "1:7.2+dfsg-7+deb12u18+b3" for p in PACKAGES if p != "qemu-system-ppc"}
    env = _stubs(tmp_path, installed, ["1:10.0.13+ds-0+deb13u1", "1:7.20+dfsg-1"])
    proc = subprocess.run([str(INSTALL_SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("qemu-72-binaries: apt has no QEMU 7.2 for qemu-system-ppc "
                                  "(apt has: 1:7.20+dfsg-1 1:10.0.13+ds-0+deb13u1)")
    assert "1:7.2+dfsg-*" in proc.stderr and proc.stderr.count("\n") == 1
    assert _install_calls(tmp_path) == []


@pytest.mark.parametrize("mode", [[], ["--check"]])
def test_another_upstream_version_installed_is_refused(tmp_path: Path, mode: list[str]) -> None:
    installed = {p: "1:7.2+dfsg-7+deb12u18+b3" for p in PACKAGES}
    installed["qemu-system-x86"] = "1:10.0.13+ds-0+deb13u1"
    env = _stubs(tmp_path, installed, ["1:7.2+dfsg-7+deb12u18+b3"])
    proc = subprocess.run([str(INSTALL_SCRIPT), *mode], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("qemu-72-binaries: installed: qemu-system-x86 "
                                  "1:10.0.13+ds-0+deb13u1, not QEMU 7.2;")
    assert not (tmp_path / "apt-get.log").exists()


def test_the_installed_binaries_are_7_2() -> None:
    """The pin as the live tests see it: --version of Debian's 7.2 builds, any revision."""
    ok = ["QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
          "QEMU emulator version 7.2.0 (Debian 1:7.2+dfsg-7)"]
    wrong = ["QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)",
             "QEMU emulator version 7.2.22", "QEMU emulator version 7.20.1 (Debian 1:7.20+dfsg-1)"]
    assert [bool(qemu_binaries.VERSION_7_2.fullmatch(v)) for v in ok + wrong] == \
        [True] * len(ok) + [False] * len(wrong)
