"""``qapic qemu-setup --single-binary`` on a copy of the files it touches in QEMU 10.0 and 10.2:
the patch lands exactly as written, setup is idempotent, ``--undo`` gives the tree back byte for
byte, and a tree it cannot patch gets a clear error and no change.  On 10.2 the launcher also
applies the conditions qapic carries forward and leaves QEMU's own handler stubs in charge."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.qemu import setup as qemu_setup
from tests.support import REPO, qemu_source
from tests.treestate import content_state, tree_state, without_times

VERSIONS = ("10.0", "10.2")
#: The files each single-binary patch changes (read from the patch, checked below).
PATCHED = ("monitor/qmp-cmds-control.c", "monitor/qmp-cmds.c", "qapi/meson.build")
#: The hunk of each patch that touches the line next to qmp_init_marshal() in qmp-cmds.c.
INIT_HUNK = {"10.0": 2, "10.2": 3}


def _patch(version: str) -> Path:
    return REPO / "qapic" / "qemu" / "patches" / f"single-binary-{version}.patch"


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pristine(version: str) -> Path:
    return qemu_source(version)


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "qemu"
    copy.mkdir()
    shutil.copytree(pristine / "scripts", copy / "scripts")
    shutil.copy2(pristine / "VERSION", copy / "VERSION")
    for name in PATCHED:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pristine / name, copy / name)
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


def test_patch_names_the_files_it_changes(version: str) -> None:
    files = [fp.path for fp in qemu_setup.parse_patch(_patch(version).read_text())]
    assert sorted(files) == sorted(PATCHED)


def test_single_binary_setup_applies_patch_idempotent_and_undo_restores(
        tree: Path, pristine: Path, version: str) -> None:
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 0, proc.stderr
    once = tree_state(tree)

    # Every changed line is one the patch removes or adds, and all of them are there.
    removed: list[str] = []
    added: list[str] = []
    for name in PATCHED:
        old = (pristine / name).read_text().splitlines()
        new = (tree / name).read_text().splitlines()
        for line in difflib.unified_diff(old, new, lineterm="", n=0):
            if line.startswith(("---", "+++", "@@")):
                continue
            (removed if line.startswith("-") else added).append(line[1:])
    assert (removed, added) == _patch_changes(_patch(version).read_text())
    meson = (tree / "qapi" / "meson.build").read_text()
    assert "'qapi-targets.c', 'qapi-targets.h'," in meson
    assert "specific_ss" not in meson        # no QAPI output is compiled per target any more
    assert "qapi_introspect_qobject()" in (tree / "monitor" / "qmp-cmds-control.c").read_text()

    launcher = (tree / qemu_setup.GENERATOR).read_text()
    assert qemu_setup.is_launcher(tree / qemu_setup.GENERATOR)
    assert '"--single-binary", "--targets-from"' in launcher
    if version == "10.2":
        # 10.1 dropped the target conditions and added stubs for target-only handlers
        assert "CONDITIONS = ('qapic', 'carried', 'qemu-10.2.json')" in launcher
        assert "RELEASE_OPTIONS = ['--upstream-stubs']" in launcher
    else:
        assert "CONDITIONS = None" in launcher and "RELEASE_OPTIONS = []" in launcher
    assert once["scripts/qapi-gen-upstream.py"] == before["scripts/qapi-gen.py"]

    proc = _setup(tree, "--single-binary")
    assert (proc.returncode, proc.stderr) == (0, f"qapic qemu-setup: {tree} is already set up "
                                              "for qapic (single binary); nothing was changed\n")
    assert tree_state(tree) == once                # nothing rewritten, not even a timestamp

    assert _setup(tree, "--undo").returncode == 0
    assert content_state(tree) == without_times(before)
    # Restored files are newer than before: the tree's next build notices them.
    after = tree_state(tree)
    for name in [*PATCHED, "scripts/qapi-gen.py"]:
        assert after[name][2] > once[name][2], name
    assert _setup(tree, "--undo").returncode == 0
    assert tree_state(tree) == after


def test_per_target_setup_takes_the_patch_back(tree: Path) -> None:
    before = tree_state(tree)
    assert _setup(tree, "--single-binary").returncode == 0
    assert _setup(tree).returncode == 0
    now = content_state(tree)
    for name in PATCHED:
        assert now[name] == without_times(before)[name]
    assert '"--single-binary"' not in (tree / qemu_setup.GENERATOR).read_text()
    assert not (tree / qemu_setup.STATE).exists()
    assert _setup(tree, "--undo").returncode == 0
    assert content_state(tree) == without_times(before)


def test_a_tree_it_cannot_patch(tree: Path, version: str) -> None:
    target = tree / "monitor" / "qmp-cmds.c"
    target.write_text(target.read_text().replace("qmp_init_marshal(&qmp_commands);",
                                                 "qmp_init_marshal(&qmp_commands); /* local */"))
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 1
    assert f"cannot apply single-binary-{version}.patch" in proc.stderr
    assert f"monitor/qmp-cmds.c: hunk {INIT_HUNK[version]}" in proc.stderr
    assert tree_state(tree) == before              # all or nothing: not even the launcher


def test_a_release_without_patch(tree: Path) -> None:
    (tree / "VERSION").write_text("9.2.0\n")
    before = tree_state(tree)
    proc = _setup(tree, "--single-binary")
    assert proc.returncode == 1
    assert proc.stderr == (f"qapic qemu-setup: error: {tree}: QEMU 9.2.0 is not supported: "
                           "qapic builds QEMU 10.0 and 10.2; nothing was changed\n")
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
