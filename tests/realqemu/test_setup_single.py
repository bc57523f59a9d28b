"""``qapic qemu-setup --single-binary`` on a copy of the files it touches in QEMU 10.0: the patch
lands exactly as written, setup is idempotent, ``--undo`` gives the tree back byte for byte, and
a tree it cannot patch gets a clear error and no change."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic import qemu_setup
from tests.conftest import REPO
from tests.treestate import tree_state

PATCH = REPO / "qapic" / "qemu_patches" / "single-binary-10.0.patch"
#: The files QEMU 10.0's single-binary patch changes (read from the patch, checked below).
PATCHED = ("monitor/qmp-cmds-control.c", "monitor/qmp-cmds.c", "qapi/meson.build")


@pytest.fixture
def tree(qemu_10_0: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "qemu"
    copy.mkdir()
    shutil.copytree(qemu_10_0 / "scripts", copy / "scripts")
    shutil.copy2(qemu_10_0 / "VERSION", copy / "VERSION")
    for name in PATCHED:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(qemu_10_0 / name, copy / name)
    return copy


def _setup(tree: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", "qemu-setup", str(tree), *options],
                          cwd=REPO, capture_output=True, text=True)


def _patch_changes(text: str) -> tuple[list[str], list[str]]:
    """The removed and added lines of a unified diff, read plainly from its text (the
    commentary before the first file header left out)."""
    removed, added = [], []
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("--- a/"))
    for line in lines[start:]:
        if line.startswith(("--- a/", "+++ b/", "@@")):
            continue
        if line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
    return removed, added


def test_patch_names_the_files_it_changes() -> None:
    files = [fp.path for fp in qemu_setup.parse_patch(PATCH.read_text())]
    assert sorted(files) == sorted(PATCHED)


def test_single_binary_setup_applies_patch_idempotent_and_undo_restores(
        tree: Path, qemu_10_0: Path) -> None:
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 0, proc.stderr
    once = tree_state(tree)

    # Every changed line is one the patch removes or adds, and all of them are there.
    removed: list[str] = []
    added: list[str] = []
    for name in PATCHED:
        old = (qemu_10_0 / name).read_text().splitlines()
        new = (tree / name).read_text().splitlines()
        for line in difflib.unified_diff(old, new, lineterm="", n=0):
            if line.startswith(("---", "+++", "@@")):
                continue
            (removed if line.startswith("-") else added).append(line[1:])
    assert (removed, added) == _patch_changes(PATCH.read_text())
    meson = (tree / "qapi" / "meson.build").read_text()
    assert "'qapi-targets.c', 'qapi-targets.h'," in meson
    assert "specific_ss" not in meson        # no QAPI output is compiled per target any more
    assert "qapi_introspect_qobject()" in (tree / "monitor" / "qmp-cmds-control.c").read_text()

    launcher = (tree / qemu_setup.GENERATOR).read_text()
    assert qemu_setup.is_launcher(tree / qemu_setup.GENERATOR)
    assert '"--single-binary", "--targets-from"' in launcher
    assert once["scripts/qapi-gen-upstream.py"] == before["scripts/qapi-gen.py"]

    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 0 and proc.stderr == ""
    assert tree_state(tree) == once                # nothing rewritten, not even a timestamp

    assert _setup(tree, "--undo").returncode == 0
    assert tree_state(tree) == before
    assert _setup(tree, "--undo").returncode == 0
    assert tree_state(tree) == before


def test_per_target_setup_takes_the_patch_back(tree: Path) -> None:
    before = tree_state(tree)
    assert _setup(tree, "--single-binary").returncode == 0
    assert _setup(tree).returncode == 0
    now = tree_state(tree)
    for name in PATCHED:
        assert now[name] == before[name]
    assert '"--single-binary"' not in (tree / qemu_setup.GENERATOR).read_text()
    assert not (tree / qemu_setup.STATE).exists()
    assert _setup(tree, "--undo").returncode == 0
    assert tree_state(tree) == before


def test_a_tree_it_cannot_patch(tree: Path) -> None:
    target = tree / "monitor" / "qmp-cmds.c"
    target.write_text(target.read_text().replace("qmp_init_marshal(&qmp_commands);",
                                                 "qmp_init_marshal(&qmp_commands); /* local */"))
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 1
    assert "cannot apply single-binary-10.0.patch" in proc.stderr
    assert "monitor/qmp-cmds.c: hunk 2" in proc.stderr
    assert tree_state(tree) == before              # all or nothing: not even the launcher


def test_a_release_without_patch(tree: Path) -> None:
    (tree / "VERSION").write_text("9.2.0\n")
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 1
    assert "QEMU 9.2.0: qapic has no single-binary patch for it (only for QEMU 10.0)" \
        in proc.stderr
    assert tree_state(tree) == before


def test_patched_files_edited_later_are_not_overwritten(tree: Path) -> None:
    assert _setup(tree, "--single-binary").returncode == 0
    meson = tree / "qapi" / "meson.build"
    meson.write_text(meson.read_text() + "# a local change\n")
    edited = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 1
    assert "qapi/meson.build: changed since qapic patched it" in proc.stderr
    assert tree_state(tree) == edited


def test_launcher_refuses_single_binary_outside_a_build_dir(tree: Path, tmp_path: Path) -> None:
    assert _setup(tree, "--single-binary").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(tree / qemu_setup.GENERATOR), "-o", "out", "-b",
                           str(tree / "qapi" / "qapi-schema.json")],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--single-binary needs to run in QEMU's build directory" in proc.stderr
    assert not (tmp_path / "out").exists()
