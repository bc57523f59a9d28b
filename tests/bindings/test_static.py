"""Generated packages pass ``mypy --strict`` and ``ruff`` as they are, and their types have teeth:
a client script with deliberate mistakes is rejected by mypy, line by line."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.bindings.packages import KINDS, package

# The package's own pyproject.toml holds the configuration both tools use.


def _run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.parametrize("kind", KINDS)
def test_ruff_passes_as_generated(kind: str) -> None:
    out, name = package(kind)
    proc = _run("ruff", "check", "--no-cache", name, cwd=out)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("kind", KINDS)
def test_mypy_strict_passes_as_generated(kind: str, tmp_path: Path) -> None:
    out, name = package(kind)
    text = (out / "pyproject.toml").read_text()
    assert re.search(r"^\[tool\.mypy\]\nstrict = true$", text, re.M), text
    proc = _run("mypy", "--cache-dir", str(tmp_path / "cache"), "-p", name, cwd=out)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert re.search(r"^Success: no issues found in \d+ source files", proc.stdout, re.M)


# Each line ending in "# error: CODE" must get exactly that mypy error there; no other line may.
SCRIPT = '''
from __future__ import annotations

import asyncio

from PKG import CommandNotAvailable, exists
from PKG import types as t
from PKG.client import QMP, SyncQMP


async def good(qmp: QMP) -> None:
    await qmp.block_resize(node_name="disk0", size=1 << 30)
    blocks: list[t.BlockInfo] = await qmp.query_block()
    for block in blocks:
        if block.inserted is not None:
            print(block.device, block.inserted.node_name, block.inserted.detect_zeroes)
    opts = t.BlockdevOptions_qcow2(node_name="n", file="f", detect_zeroes="unmap")
    await qmp.blockdev_add(opts)
    with qmp.listen(t.StopEvent) as stops:
        await qmp.stop()
        event = await stops.get()
        print(event.timestamp)
    try:
        await qmp.query_sev()
    except CommandNotAvailable as err:
        print(err.where)
    print(exists("query-sev", target="s390x"))


def good_sync(qmp: SyncQMP) -> None:
    name: str | None = qmp.query_name().name
    print(name, qmp.query_status().running)


async def bad(qmp: QMP) -> None:
    await qmp.block_resize(node_name="disk0", size="1G")  # error: arg-type
    await qmp.block_resize(nodename="disk0", size=1)  # error: call-arg
    await qmp.block_resize(node_name="disk0")  # error: call-arg
    t.BlockdevOptions_qcow2(node_name="n", file="f", detect_zeroes="sometimes")  # error: arg-type
    print((await qmp.query_block())[0].devcie)  # error: attr-defined
    count: int = (await qmp.query_name()).name  # error: assignment
    await qmp.blockdev_add(t.BlockdevOptionsQcow2(file="f"))  # error: arg-type
    await qmp.query_block(device="x")  # error: call-arg
    await qmp.no_such_command()  # error: attr-defined
    print(count)


def bad_sync(qmp: SyncQMP) -> None:
    running: str = qmp.query_status().running  # error: assignment
    print(running)
    exists("query-sev")  # error: call-arg


def deprecated_use(qmp: SyncQMP) -> None:
    qmp.query_migrationthreads()  # error: deprecated


asyncio.run(good(QMP()))
'''


def test_type_errors_are_caught(tmp_path: Path) -> None:
    out, name = package("10.0")
    script = tmp_path / "client_script.py"
    script.write_text(textwrap.dedent(SCRIPT).replace("PKG", name))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--enable-error-code", "deprecated",
         "--cache-dir", str(tmp_path / "cache"), script.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={"MYPYPATH": str(out), "PATH": "/usr/bin:/bin"})
    lines = script.read_text().splitlines()
    expected = {i + 1: m.group(1) for i, line in enumerate(lines)
                if (m := re.search(r"# error: ([a-z-]+)$", line))}
    found: dict[int, set[str]] = {}
    for m in re.finditer(r"^client_script\.py:(\d+): error: .*\[([a-z-]+)\]$", proc.stdout,
                         re.M):
        found.setdefault(int(m.group(1)), set()).add(m.group(2))
    assert len(expected) >= 12
    missed = {n: code for n, code in expected.items() if code not in found.get(n, set())}
    extra = {n: codes for n, codes in found.items() if n not in expected}
    assert not missed and not extra, (missed, extra, proc.stdout[-4000:])
    # The package itself is clean under the same options (errors only in the script).
    assert f"Found {sum(map(len, found.values()))} errors in 1 file" in proc.stdout, proc.stdout
