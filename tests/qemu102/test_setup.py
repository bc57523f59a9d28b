"""``qapic qemu-setup`` (per target) on QEMU 10.2.2's tree: the launcher QEMU's build runs writes
qapic's files with 10.2's C structure, and ``--undo`` gives the tree back byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.qemu import setup as qemu_setup
from tests.cgen_dispatch.csource import code
from tests.support import REPO
from tests.treestate import content_state, tree_state, without_times


@pytest.fixture
def tree(qemu_10_2: Path, tmp_path: Path) -> Path:
    """The parts of a 10.2.2 tree that setup and the test schema need (VERSION and the target
    configurations make it a QEMU tree for qapic)."""
    copy = tmp_path / "qemu"
    copy.mkdir()
    for part in ("scripts", "tests/qapi-schema", "configs/targets"):
        shutil.copytree(qemu_10_2 / part, copy / part)
    shutil.copy2(qemu_10_2 / "VERSION", copy / "VERSION")
    return copy


def _setup(tree: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", "qemu-setup", str(tree), *options],
                          cwd=REPO, capture_output=True, text=True)


def test_setup_and_undo(tree: Path, tmp_path: Path) -> None:
    before = tree_state(tree)
    proc = _setup(tree)
    assert proc.returncode == 0, proc.stderr
    assert qemu_setup.is_launcher(tree / qemu_setup.GENERATOR)

    schema = tree / "tests" / "qapi-schema" / "qapi-schema-test.json"
    options = ["-b", "-p", "test-", str(schema)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    outs = {}
    for which, script in (("qapic", qemu_setup.GENERATOR), ("upstream", qemu_setup.UPSTREAM)):
        outs[which] = tmp_path / which
        proc = subprocess.run([sys.executable, str(tree / script), "-o", str(outs[which]),
                               *options], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    commands = "test-qapi-commands.c"
    assert "qapic" in (outs["qapic"] / commands).read_text().splitlines()[0]
    assert "qapi-gen" in (outs["upstream"] / commands).read_text().splitlines()[0]
    assert code((outs["qapic"] / commands).read_text()) == \
        code((outs["upstream"] / commands).read_text())
    assert "ov = qobject_output_visitor_new_qmp(ret);" in (outs["qapic"] / commands).read_text()

    proc = _setup(tree, "--undo")
    assert proc.returncode == 0, proc.stderr
    assert content_state(tree) == without_times(before)
