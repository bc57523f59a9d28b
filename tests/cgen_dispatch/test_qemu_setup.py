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

from qapic.qemu import setup as qemu_setup
from tests.support import REPO
from tests.treestate import content_state, tree_state, without_times


@pytest.fixture
def tree(qemu_10_0: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "qemu"
    copy.mkdir()
    shutil.copytree(qemu_10_0 / "scripts", copy / "scripts")
    shutil.copytree(qemu_10_0 / "tests" / "qapi-schema", copy / "tests" / "qapi-schema")
    shutil.copy2(qemu_10_0 / "VERSION", copy / "VERSION")
    return copy


def _setup(tree: Path, *options: str, pythonpath: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    """``qapic qemu-setup`` (of the qapic package in *pythonpath*, default this checkout)."""
    root = pythonpath or REPO       # python -m puts the working directory first on the path
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-m", "qapic", "qemu-setup", str(tree), *options],
                          cwd=root, capture_output=True, text=True, env=env)


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
    undone = tree_state(tree)
    assert without_times(undone) == without_times(before)
    # QEMU's script is back, newer than qapic's launcher was: a build regenerates with it.
    assert undone["scripts/qapi-gen.py"][2] > once["scripts/qapi-gen.py"][2]
    assert _setup(tree, "--undo").returncode == 0       # nothing to undo: no change
    assert tree_state(tree) == undone


@pytest.mark.parametrize("version", ["7.2.0", "9.2.0", "10.1.0", "11.0.0"])
def test_unsupported_release_is_refused_and_nothing_changes(tree: Path, version: str) -> None:
    (tree / "VERSION").write_text(version + "\n")
    before = tree_state(tree)
    for options in ((), ("--single-binary",)):
        proc = _setup(tree, *options)
        assert (proc.returncode, proc.stderr) == (
            1, f"qapic qemu-setup: error: {tree}: QEMU {version} is not supported: qapic "
            "builds QEMU 10.0 and 10.2; nothing was changed\n")
        assert tree_state(tree) == before


def test_a_7_2_tree_is_refused(qemu_7_2: Path, tmp_path: Path) -> None:
    copy = tmp_path / "qemu-7.2"
    copy.mkdir()
    shutil.copytree(qemu_7_2 / "scripts", copy / "scripts")
    shutil.copy2(qemu_7_2 / "VERSION", copy / "VERSION")
    before = tree_state(copy)
    proc = _setup(copy)
    assert proc.returncode == 1
    assert "QEMU 7.2.0 is not supported" in proc.stderr
    assert tree_state(copy) == before


def test_no_version_file(tree: Path) -> None:
    (tree / "VERSION").unlink()
    before = tree_state(tree)
    proc = _setup(tree)
    assert (proc.returncode, proc.stderr) == (
        1, f"qapic qemu-setup: error: {tree}: no VERSION file: cannot tell which QEMU this is; "
        "nothing was changed\n")
    assert tree_state(tree) == before


def test_launcher_follows_qapic_changes(tree: Path, tmp_path: Path) -> None:
    """The launcher carries a digest of qapic's files: setup run again rewrites it (and QEMU's
    build, whose QAPI outputs depend on it, regenerates) exactly when qapic changed."""
    copy = tmp_path / "installed"
    shutil.copytree(REPO / "qapic", copy / "qapic",
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert _setup(tree, pythonpath=copy).returncode == 0
    launcher = tree / qemu_setup.GENERATOR
    first, first_state = launcher.read_text(), tree_state(tree)
    assert repr(str(copy)) in first
    # Bytecode written by running qapic is no change of qapic.
    assert _setup(tree, pythonpath=copy).returncode == 0
    assert tree_state(tree) == first_state
    output = copy / "qapic" / "qemu" / "generate" / "output.py"
    output.write_text(output.read_text().replace('GENERATOR = "qapic"', 'GENERATOR = "qapic 2"'))
    proc = _setup(tree, pythonpath=copy)
    assert proc.returncode == 0, proc.stderr
    assert launcher.read_text() != first
    assert tree_state(tree)["scripts/qapi-gen.py"][2] > first_state["scripts/qapi-gen.py"][2]


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


@pytest.mark.parametrize("mode", [0o644, 0o755])
def test_generator_keeps_its_mode(tree: Path, mode: int) -> None:
    """meson decides at configure time to run scripts/qapi-gen.py directly (executable) or
    through its #! line: setup and undo never change its mode, or a configured build breaks
    ('Permission denied' after undo on Debian's non-executable script)."""
    generator = tree / qemu_setup.GENERATOR
    generator.chmod(mode)
    assert _setup(tree).returncode == 0
    assert generator.stat().st_mode & 0o7777 == mode
    assert _setup(tree, "--undo").returncode == 0
    assert generator.stat().st_mode & 0o7777 == mode
    # A launcher an earlier qapic wrote executable over a non-executable script stays so.
    assert _setup(tree).returncode == 0
    generator.chmod(0o755)
    assert _setup(tree, "--undo").returncode == 0
    assert generator.stat().st_mode & 0o7777 == 0o755


def test_setup_twice_and_undo_with_nothing_to_undo_say_what_they_found(tree: Path) -> None:
    """Run again, setup changes nothing and says the tree is set up already; --undo on a tree
    that is not set up says there is nothing to undo; both exit 0."""
    said = []
    for options in ((), (), ("--undo",), ("--undo",)):
        proc = _setup(tree, *options)
        assert proc.returncode == 0, proc.stderr
        said.append(proc.stderr)
    assert said == [f"qapic qemu-setup: installed qapic's launcher in {tree}\n",
                    f"qapic qemu-setup: {tree} is already set up for qapic (per target); "
                    "nothing was changed\n",
                    f"qapic qemu-setup: restored QEMU's files in {tree}\n",
                    f"qapic qemu-setup: nothing to undo: {tree} is not set up for qapic\n"]


#: The files the single-binary patch of QEMU 10.0 changes.
_PATCHED = ("monitor/qmp-cmds-control.c", "monitor/qmp-cmds.c", "qapi/meson.build")


def _add_patched_files(tree: Path, qemu_10_0: Path) -> None:
    for name in _PATCHED:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(qemu_10_0 / name, tree / name)


def _owners(tree: Path) -> dict[str, tuple[int, int, int]]:
    """Every file's and directory's owner, group and mode."""
    return {path.relative_to(tree).as_posix(): (st.st_uid, st.st_gid, st.st_mode)
            for path in [tree, *tree.rglob("*")] if "__pycache__" not in path.parts
            for st in [path.stat()]}


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_root_keeps_another_users_tree_theirs(tree: Path, qemu_10_0: Path) -> None:
    """Set up and undone by root, a tree another user owns keeps every file's owner and mode;
    what setup adds (the kept originals, QEMU's script beside the launcher) is that user's."""
    _add_patched_files(tree, qemu_10_0)
    (tree / "qapi" / "meson.build").chmod(0o640)
    user = (4242, 4243)                             # no such user needed: only numbers
    for path in [tree, *tree.rglob("*")]:
        os.chown(path, *user)
    before, contents = _owners(tree), content_state(tree)
    for options in (("--single-binary",), ()):
        assert _setup(tree, *options).returncode == 0
        now = _owners(tree)
        assert {name: owner[:2] for name, owner in now.items()} == dict.fromkeys(now, user)
        for name in _PATCHED:
            assert now[name] == before[name]      # patched (or patched and taken back)
        assert now["scripts/qapi-gen.py"] == before["scripts/qapi-gen.py"]
    assert _setup(tree, "--single-binary").returncode == 0
    assert _setup(tree, "--undo").returncode == 0
    assert _owners(tree) == before
    assert content_state(tree) == contents


def test_launcher_says_when_qapic_is_gone(tree: Path, qemu_10_0: Path, tmp_path: Path) -> None:
    """The installation that set the tree up is removed (its Python, or its qapic package): the
    launcher, run by QEMU's build, says so in one line and how to go on, with no traceback."""
    _add_patched_files(tree, qemu_10_0)
    installed = tmp_path / "env"
    shutil.copytree(REPO / "qapic", installed / "qapic",
                    ignore=shutil.ignore_patterns("__pycache__"))
    python = installed / "bin" / "python3"
    python.parent.mkdir()
    python.symlink_to(sys.executable)
    env = dict(os.environ, PYTHONPATH=str(installed))
    for options, setup_command in (((), "qemu-setup"),
                                   (("--single-binary",), "qemu-setup --single-binary")):
        proc = subprocess.run([str(python), "-m", "qapic", "qemu-setup", str(tree), *options],
                              cwd=installed, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert repr(str(python)) in (tree / qemu_setup.GENERATOR).read_text()
        for gone, missing in ((installed / "qapic", installed), (python, python)):
            hidden = gone.with_name(gone.name + ".away")
            gone.rename(hidden)
            launcher = subprocess.run(
                [sys.executable, str(tree / qemu_setup.GENERATOR), "-o", "out",
                 str(tree / "tests" / "qapi-schema" / "qapi-schema-test.json")],
                cwd=tmp_path, capture_output=True, text=True)
            hidden.rename(gone)
            assert (launcher.returncode, launcher.stderr) == (1, (
                f"{tree / qemu_setup.GENERATOR}: qapic is gone ({missing} no longer exists): "
                f"with qapic installed again, run 'qapic {setup_command} {tree}' to build with "
                f"it, or 'qapic qemu-setup --undo {tree}' to build with QEMU's own "
                "generator\n"))
            assert not (tmp_path / "out").exists()
