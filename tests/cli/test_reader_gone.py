"""``qapic introspect S | head -2``: the reader goes away before qapic has written all of its
output (more than a pipe holds); qapic stops quietly with status 1, as the README says (it
exited 0: the write the reader cut short ended without an error), no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import QAPIC
from tests.support import REPO, SYSTEM_SCHEMA


@pytest.mark.parametrize(("argv", "status"), [
    (["introspect", "SCHEMA"], 1),
    (["targets", "SCHEMA", "--json", "--all"], 1),
    (["diff", "OLD", "SCHEMA", "--lenient-docs", "--json"], 2),     # 90 kB
])
def test_head_of_a_large_output(qemu_10_0: Path, qemu_7_2: Path, tmp_path: Path,
                                argv: list[str], status: int) -> None:
    names = {"SCHEMA": str(qemu_10_0 / SYSTEM_SCHEMA), "OLD": str(qemu_7_2 / SYSTEM_SCHEMA)}
    with subprocess.Popen([str(QAPIC), *[names.get(a, a) for a in argv]],
                          cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        head = proc.stdout.read(16)        # what 'head -c 16' takes, then it goes away
        proc.stdout.close()
        stderr = proc.stderr.read()
        returncode = proc.wait(timeout=300)
    assert head
    assert (returncode, stderr) == (status, b"")


def test_the_whole_output_still_arrives(qemu_10_0: Path, tmp_path: Path) -> None:
    system = str(qemu_10_0 / SYSTEM_SCHEMA)
    proc = subprocess.run([str(QAPIC), "targets", system, "--json", "--all"], cwd=tmp_path,
                          capture_output=True, check=False, timeout=300)
    assert proc.returncode == 0 and len(proc.stdout) > 100_000
    assert proc.stdout.endswith(b"}\n")


def test_readme_says_status_1() -> None:
    text = " ".join((REPO / "README.md").read_text().split())
    assert ("When the reader of the output goes away before qapic has written all of it "
            "(`qapic introspect S | head -2`), qapic stops quietly with status 1") in text
