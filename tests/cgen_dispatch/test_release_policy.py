"""One policy for ``qapic generate`` and ``qapic qemu-setup``: every patch release of the series
qapic builds (10.0.x, 10.2.x) is accepted, any other release is refused with the reason and
nothing written -- a QEMU tree's ``VERSION``, and ``generate --qemu-version``.  A schema outside
any QEMU tree keeps 10.0's structure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.qemu import releases
from qapic.qemu.setup import RELEASES
from tests.support import REPO
from tests.treestate import tree_state

SCHEMA = "{ 'struct': 'Paint', 'data': { 'colour': 'str', '*brand': 'str' } }\n"
#: Releases qapic builds and releases it does not.
ACCEPTED = ("10.0", "10.0.0", "10.0.13", "10.0.50", "10.2.0", "10.2.2", "10.2.7")
REFUSED = ("7.2.0", "9.2.0", "10.1.0", "10.1.90", "10.3.0", "11.0.0")


def _qapic(*argv: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "qapic", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True)


def _tree(tmp_path: Path, version: str) -> Path:
    """The least a QEMU tree needs for both commands: its VERSION, configs/targets (a tree for
    generate), scripts/qapi and scripts/qapi-gen.py (a tree for qemu-setup), a schema."""
    tree = tmp_path / "qemu"
    for directory in ("configs/targets", "scripts/qapi", "qapi"):
        (tree / directory).mkdir(parents=True)
    (tree / "VERSION").write_text(version + "\n")
    (tree / "scripts" / "qapi-gen.py").write_text("#!/usr/bin/env python3\n")
    (tree / "qapi" / "qapi-schema.json").write_text(SCHEMA)
    return tree


def test_setup_knows_every_series_qapic_builds() -> None:
    assert tuple(RELEASES) == releases.SERIES == ("10.0", "10.2")


@pytest.mark.parametrize("version", ACCEPTED + REFUSED)
def test_generate_and_setup_accept_and_refuse_the_same_releases(tmp_path: Path,
                                                               version: str) -> None:
    tree = _tree(tmp_path, version)
    before = tree_state(tree)
    out = tmp_path / "out"
    generate = _qapic("generate", "-o", out, tree / "qapi" / "qapi-schema.json")
    setup = _qapic("qemu-setup", tree)
    if version in ACCEPTED:
        assert (generate.returncode, generate.stderr) == (0, "")
        assert (setup.returncode, setup.stderr) == (
            0, f"qapic qemu-setup: installed qapic's launcher in {tree}\n")
        return
    reason = f"{tree}: QEMU {version} is not supported: qapic builds QEMU 10.0 and 10.2"
    assert (generate.returncode, generate.stderr) == (
        1, f"qapic generate: error: {reason}; nothing was written\n")
    assert (setup.returncode, setup.stderr) == (
        1, f"qapic qemu-setup: error: {reason}; nothing was changed\n")
    assert not out.exists()
    assert tree_state(tree) == before


@pytest.mark.parametrize("version", ["7.2", "9.2", "10.1", "11.0", "7.2.0"])
def test_generate_refuses_a_qemu_version_it_does_not_build(tmp_path: Path, version: str) -> None:
    schema = tmp_path / "paint.json"
    schema.write_text(SCHEMA)
    proc = _qapic("generate", "-o", tmp_path / "out", "--qemu-version", version, schema)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"qapic generate: error: --qemu-version: QEMU {version} is not supported: qapic builds "
        "QEMU 10.0 and 10.2")
    assert not (tmp_path / "out").exists()


def test_a_patch_release_follows_its_series(tmp_path: Path) -> None:
    """A tree of 10.2.7 (a patch release no test has) gets 10.2's C, as --qemu-version 10.2;
    a schema outside any tree gets 10.0's, as --qemu-version 10.0.13."""
    tree = _tree(tmp_path, "10.2.7")
    schema = tree / "qapi" / "qapi-schema.json"
    outside = tmp_path / "paint.json"
    outside.write_text(SCHEMA)
    runs: dict[str, list[str | Path]] = {
        "tree": [schema], "10.2": ["--qemu-version", "10.2", schema],
        "outside": [outside], "10.0.13": ["--qemu-version", "10.0.13", outside]}
    for name, argv in runs.items():
        proc = _qapic("generate", "-o", tmp_path / name, *argv)
        assert (proc.returncode, proc.stderr) == (0, ""), name
    commands = "qapi-commands.c"
    texts = {name: (tmp_path / name / commands).read_text() for name in runs}
    assert texts["tree"] == texts["10.2"] != texts["outside"] == texts["10.0.13"]


def test_a_7_2_tree_is_refused(qemu_7_2: Path, tmp_path: Path) -> None:
    """QEMU 7.2's generator writes has_ flags for optional pointer members and no
    qapi-features.[ch]: qapic's 10.x C is not what a 7.2 tree compiles, so generate refuses
    the tree (with or without --lenient-docs, which loads its schema) and writes nothing."""
    schema = qemu_7_2 / "qapi" / "qapi-schema.json"
    for lenient in ((), ("--lenient-docs",)):
        proc = _qapic("generate", "-o", tmp_path / "out", *lenient, schema)
        assert (proc.returncode, proc.stderr) == (
            1, f"qapic generate: error: {qemu_7_2}: QEMU 7.2.0 is not supported: qapic builds "
            "QEMU 10.0 and 10.2; nothing was written\n")
        assert not (tmp_path / "out").exists()
