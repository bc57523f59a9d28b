"""``qapic qemu-setup --single-binary --conditions FILE``: a user's own conditions file (carried to
a 10.2.x, or extra conditions for a 10.0.x) is checked as ``qapic check --conditions`` checks it,
kept in the tree, and what QEMU's build runs generates with it exactly what ``qapic generate
--conditions FILE`` generates; a file that fails the check changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.qemu import setup as qemu_setup
from tests.support import REPO, qemu_source
from tests.treestate import content_state, tree_state

#: What each release's own file adds (to the file qapic ships for 10.2; to the schema's own
#: conditions in 10.0): a condition the user decided.
OWN = {"10.2": "{ 'command': 'inject-ghes-v2-error', 'if': 'TARGET_AARCH64' }\n",
       "10.0": "{ 'command': 'rtc-reset-reinjection', 'if': 'CONFIG_KVM' }\n"}
#: The generated file the user's condition shows in (the command's registration).
SHOWN_IN = "qapi-init-commands.c"
SHIPPED = REPO / "qapic" / "carried" / "qemu-10.2.json"
#: Upstream-stubs on 10.1 and later (qapic.qemu.setup.RELEASES).
RELEASE_OPTIONS = {"10.2": ["--upstream-stubs"], "10.0": []}


def _qapic(*argv: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "qapic", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True)


def _tree(version: str, tmp_path: Path) -> Path:
    """What single-binary setup and the system schema need of a QEMU tree."""
    pristine, tree = qemu_source(version), tmp_path / "qemu"
    for part in ("scripts", "qapi", "configs/targets"):
        shutil.copytree(pristine / part, tree / part)
    for name in ("VERSION", "monitor/qmp-cmds-control.c", "monitor/qmp-cmds.c"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pristine / name, tree / name)
    return tree


def _own_file(version: str, tmp_path: Path) -> Path:
    own = tmp_path / "mine.json"
    own.write_text((SHIPPED.read_text() if version == "10.2" else "") + OWN[version])
    return own


def _build_dir(tree: Path, tmp_path: Path) -> Path:
    """A build directory as the launcher sees it: meson's info and three targets' headers
    (x86_64 without KVM: 10.0's own condition hides rtc-reset-reinjection there)."""
    build = tmp_path / "build"
    (build / "meson-info").mkdir(parents=True)
    (build / "meson-info" / "meson-info.json").write_text(
        json.dumps({"directories": {"source": str(tree)}}))
    for target, kvm in (("aarch64", True), ("s390x", True), ("x86_64", False)):
        (build / f"{target}-softmmu-config-target.h").write_text(
            "#define CONFIG_KVM 1\n" if kvm else "")
    return build


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


@pytest.mark.parametrize("version", ["10.2", "10.0"])
def test_own_conditions_are_what_the_build_generates_with(version: str, tmp_path: Path) -> None:
    tree, own = _tree(version, tmp_path), _own_file(version, tmp_path)
    before = content_state(tree)
    proc = _qapic("qemu-setup", "--single-binary", "--conditions", own, tree)
    assert (proc.returncode, proc.stderr) == (
        0, f"qapic qemu-setup: installed qapic's single-binary launcher and patch in {tree}, "
        f"with the conditions of {own}\n")
    assert (tree / qemu_setup.STATE_CONDITIONS).read_bytes() == own.read_bytes()
    proc = _qapic("qemu-setup", "--single-binary", "--conditions", own, tree)
    assert (proc.returncode, proc.stderr) == (
        0, f"qapic qemu-setup: {tree} is already set up for qapic (single binary, with the "
        f"conditions of {own}); nothing was changed\n")

    # What QEMU's build runs, in its build directory, against qapic generate by hand.
    build = _build_dir(tree, tmp_path)
    schema = tree / "qapi" / "qapi-schema.json"
    launched = subprocess.run([sys.executable, str(tree / qemu_setup.GENERATOR), "-o", "qapi",
                               "-b", str(schema)], cwd=build, capture_output=True, text=True)
    assert launched.returncode == 0, launched.stderr
    single: list[str | Path] = ["--single-binary", "--targets-from", build,
                                *RELEASE_OPTIONS[version], "-b"]
    by_hand = {}
    shipped: list[str | Path] = ["--conditions", SHIPPED] if version == "10.2" else []
    for name, options in (("own", ["--conditions", own]), ("shipped", shipped)):
        proc = _qapic("generate", *single, *options, "-o", tmp_path / name, schema)
        assert proc.returncode == 0, proc.stderr
        by_hand[name] = _files(tmp_path / name)
    assert _files(build / "qapi") == by_hand["own"]
    assert by_hand["own"][SHOWN_IN] != by_hand["shipped"][SHOWN_IN]
    # Should this qapic go, the launcher says how to set the tree up again: with the kept file.
    assert ("SETUP_OPTIONS = ['--single-binary', '--conditions', ('.qapic-setup', "
            "'conditions.json')]") in (tree / qemu_setup.GENERATOR).read_text()

    # Set up again without it: the release's own conditions again; undone: QEMU's files.
    launcher = (tree / qemu_setup.GENERATOR).read_text()
    assert _qapic("qemu-setup", "--single-binary", tree).returncode == 0
    assert not (tree / qemu_setup.STATE_CONDITIONS).exists()
    assert (tree / qemu_setup.GENERATOR).read_text() != launcher
    assert _qapic("qemu-setup", "--undo", tree).returncode == 0
    assert content_state(tree) == before


BAD = "{ 'command': 'query-nothing', 'if': 'TARGET_S390X' }\n"
#: 10.2's query-sev (no condition in its schema) returns SevInfo: hidden on all but s390x.
CONFLICT = "{ 'union': 'SevInfo', 'if': 'TARGET_S390X' }\n"


@pytest.mark.parametrize("set_up_before", [False, True])
def test_conditions_that_fail_the_check_change_nothing(tmp_path: Path,
                                                       set_up_before: bool) -> None:
    tree = _tree("10.2", tmp_path)
    if set_up_before:
        assert _qapic("qemu-setup", "--single-binary", tree).returncode == 0
    bad, conflict = tmp_path / "bad.json", tmp_path / "conflict.json"
    bad.write_text(BAD)
    conflict.write_text(CONFLICT)
    before = tree_state(tree)
    for conditions in (bad, conflict):
        checked = _qapic("check", "--conditions", conditions, tree / "qapi" / "qapi-schema.json")
        proc = _qapic("qemu-setup", "--single-binary", "--conditions", conditions, tree)
        assert proc.returncode == checked.returncode == 1
        found = checked.stderr.splitlines()
        assert proc.stderr.splitlines()[:-1] == found        # as check finds it
        why = (f"it does not fit the schema of {tree} (above)" if conditions == bad else
               "on some targets an item visible there refers to a type it hides there "
               "(1 problem above, as 'qapic check --conditions' finds them)")
        assert proc.stderr.splitlines()[-1] == (
            f"qapic qemu-setup: error: {conditions}: not applied: {why}; nothing was changed")
        assert tree_state(tree) == before
    assert found == [f"{tree}/qapi/misc-i386.json:143: command 'query-sev': its return type "
                     "refers to 'SevInfo', which is hidden on aarch64, alpha, arm, avr, hppa, "
                     "i386, loongarch64, m68k, microblaze, microblazeel, mips, mips64, mips64el, "
                     "mipsel, or1k, ppc, ppc64, riscv32, riscv64, rx, sh4, sh4eb, sparc, sparc64, "
                     "tricore, x86_64, xtensa, xtensaeb"]


def test_conditions_need_single_binary(tmp_path: Path) -> None:
    tree = _tree("10.2", tmp_path)
    before = tree_state(tree)
    for options in ((), ("--undo",)):
        proc = _qapic("qemu-setup", *options, "--conditions", "10.2", tree)
        assert proc.returncode == 2
        assert proc.stderr.splitlines()[-1] == (
            "qapic qemu-setup: error: --conditions needs --single-binary (they are the target "
            "conditions it decides at run time)")
    assert tree_state(tree) == before
