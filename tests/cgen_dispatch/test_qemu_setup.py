"""``qapic qemu-setup`` on a copy of QEMU 10.0's scripts directory: the launcher runs qapic and
writes what ``qapic generate`` writes, QEMU's generator stays runnable beside it, setup is
idempotent, and ``--undo`` gives back the tree byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic import qemu_setup
from tests.conftest import REPO
from tests.treestate import tree_state


@pytest.fixture
def tree(qemu_10_0: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "qemu"
    copy.mkdir()
    shutil.copytree(qemu_10_0 / "scripts", copy / "scripts")
    shutil.copytree(qemu_10_0 / "tests" / "qapi-schema", copy / "tests" / "qapi-schema")
    return copy


def _setup(tree: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``qapic qemu-setup``."""
    return subprocess.run([sys.executable, "-m", "qapic", "qemu-setup", str(tree), *options],
                          cwd=REPO, capture_output=True, text=True)


def test_setup_is_idempotent_and_undo_restores(tree: Path) -> None:
    before = tree_state(tree)
    assert _setup(tree).returncode == 0
    once = tree_state(tree)
    assert once != before
    assert qemu_setup.is_launcher(tree / qemu_setup.GENERATOR)
    assert once["scripts/qapi-gen-upstream.py"] == before["scripts/qapi-gen.py"]
    assert _setup(tree).returncode == 0
    assert tree_state(tree) == once
    assert _setup(tree, "--undo").returncode == 0
    assert tree_state(tree) == before
    assert _setup(tree, "--undo").returncode == 0       # nothing to undo: no change
    assert tree_state(tree) == before


def test_launcher_runs_qapic_and_upstream_stays(tree: Path, tmp_path: Path) -> None:
    assert _setup(tree).returncode == 0
    schema = tree / "tests" / "qapi-schema" / "qapi-schema-test.json"
    options = ["-p", "test-", "--suppress-tracing", str(schema)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    launched, direct, upstream = tmp_path / "launched", tmp_path / "direct", tmp_path / "up"
    for argv, out in (([sys.executable, str(tree / qemu_setup.GENERATOR)], launched),
                      ([sys.executable, "-m", "qapic", "generate"], direct),
                      ([sys.executable, str(tree / qemu_setup.UPSTREAM)], upstream)):
        proc = subprocess.run([*argv, "-o", str(out), *options], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert tree_state(launched).keys() == tree_state(direct).keys()
    for name in tree_state(direct):
        assert (launched / name).read_bytes() == (direct / name).read_bytes(), name
    assert "qapic" in (launched / "test-qapi-commands.h").read_text().splitlines()[0]
    assert "qapi-gen-upstream.py" in (upstream / "test-qapi-commands.h").read_text().splitlines()[0]
    # The launcher names the installation that ran the setup (found at run time).
    text = (tree / qemu_setup.GENERATOR).read_text()
    assert repr(sys.executable) in text


def test_not_a_qemu_tree(tmp_path: Path) -> None:
    proc = _setup(tmp_path)
    assert proc.returncode == 1
    assert "not a QEMU source tree" in proc.stderr


def test_setup_after_qemu_build_generator_keeps_upstream(tree: Path) -> None:
    """scripts/qemu-build --generator already saved QEMU's script under the same name."""
    original = (tree / qemu_setup.GENERATOR).read_bytes()
    shutil.copy2(tree / qemu_setup.GENERATOR, tree / qemu_setup.UPSTREAM)
    (tree / qemu_setup.GENERATOR).write_text("#!/bin/sh\necho another generator\n")
    assert _setup(tree).returncode == 0
    assert (tree / qemu_setup.UPSTREAM).read_bytes() == original
    assert _setup(tree, "--undo").returncode == 0
    assert (tree / qemu_setup.GENERATOR).read_bytes() == original
