"""The README's example for QMP users runs as written against a real qemu-system-x86_64 (QEMU
10.0.13 built with upstream's generator) and prints what the README shows; mypy --strict
accepts it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from tests.bindings.packages import package
from tests.qemu import QemuBuild
from tests.qemu.fixtures import qemu_build, qemu_upstream
from tests.support import REPO

__all__ = ["qemu_build", "qemu_upstream"]

MARKER = "<!-- tests/bindings/test_readme.py"


def _example() -> tuple[str, list[str]]:
    text = (REPO / "README.md").read_text()
    after = text[text.index(MARKER):]
    code = re.search(r"```python\n(.*?)```", after, re.S)
    shown = re.search(r"```console\n(.*?)```", after, re.S)
    assert code and shown
    return code.group(1), shown.group(1).splitlines()


def test_readme_example_runs_against_real_qemu(qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    code, expected = _example()
    out, name = package("10.0")
    script = tmp_path / "example.py"
    script.write_text(code.replace("qemu_qmp_types", name))
    qemu = subprocess.Popen(
        [str(qemu_upstream.system("x86_64")), "-machine", "none", "-nodefaults", "-display",
         "none", "-blockdev", "driver=null-co,node-name=disk0",
         "-qmp", "unix:vm1.qmp,server=on,wait=off"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "vm1.qmp").exists():
            assert qemu.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, env={"PYTHONPATH": str(out)})
    finally:
        qemu.kill()
        qemu.wait()
    assert proc.returncode == 0, proc.stderr
    stamp = re.compile(r"^stopped at \(\d+, \d+\)$")
    got = [stamp.sub("stopped at (TIME)", line) for line in proc.stdout.splitlines()]
    assert got == [stamp.sub("stopped at (TIME)", line) for line in expected]
    check = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir",
                            str(tmp_path / "cache"), script.name], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600,
                           env={"MYPYPATH": str(out), "PATH": "/usr/bin:/bin"})
    assert check.returncode == 0, check.stdout
