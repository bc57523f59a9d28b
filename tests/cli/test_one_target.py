"""One build has one target: ``-t x86_64 -t s390x`` is a usage error (it used the last one,
silently); ``-D TARGET_X86_64`` that no condition mentions suggests ``--target x86_64``; ``diff
--target nosuch`` is a usage error with the usage line, as on the other commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Run
from tests.support import SYSTEM_SCHEMA


@pytest.mark.parametrize(("argv", "option"), [
    (["introspect", "S", "-t", "x86_64", "-t", "s390x"], "-t/--target"),
    (["introspect", "S", "--target", "x86_64", "-t", "s390x"], "-t/--target"),
    (["docs", "S", "-o", "out", "-t", "x86_64", "-t", "s390x"], "-t/--target"),
    (["diff", "S", "S", "-t", "x86_64", "-t", "s390x"], "-t/--target"),
    (["diff", "S", "S", "--a-target", "x86_64", "--a-target", "s390x"], "--a-target"),
    (["diff", "S", "S", "--b-target", "x86_64", "--b-target", "s390x"], "--b-target"),
])
def test_two_targets(qapic: Run, qemu_10_0: Path, tmp_path: Path, argv: list[str],
                     option: str) -> None:
    system = str(qemu_10_0 / SYSTEM_SCHEMA)
    proc = qapic(*[system if a == "S" else a for a in argv])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"usage: qapic {argv[0]} ")
    assert proc.stderr.splitlines()[-1] == (
        f"qapic {argv[0]}: error: argument {option}: given twice (x86_64, s390x): give one")
    assert not (tmp_path / "out").exists()


def test_the_same_target_twice_is_one(qapic: Run, qemu_10_0: Path) -> None:
    system = qemu_10_0 / SYSTEM_SCHEMA
    once = qapic("introspect", system, "-t", "s390x", "--compact")
    twice = qapic("introspect", system, "-t", "s390x", "-t", "s390x", "--compact")
    assert once.returncode == twice.returncode == 0
    assert once.stdout == twice.stdout


def test_define_of_a_target_symbol_suggests_target(qapic: Run, qemu_10_2: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    proc = qapic("introspect", system, "-D", "TARGET_X86_64", "--compact")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        f"qapic introspect: warning: -D TARGET_X86_64: no condition of {system} mentions it; "
        "for target x86_64, give --target x86_64 (every TARGET_* symbol QEMU defines for it)"]


@pytest.mark.parametrize("argv", [
    ["diff", "S", "S", "--target", "nosuch"],
    ["diff", "S", "S", "--b-target", "nosuch"],
])
def test_diff_unknown_target_is_a_usage_error(qapic: Run, qemu_10_0: Path,
                                              argv: list[str]) -> None:
    system = str(qemu_10_0 / SYSTEM_SCHEMA)
    proc = qapic(*[system if a == "S" else a for a in argv])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("usage: qapic diff ")
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(f"qapic diff: error: {system}: unknown target 'nosuch' (known: "
                           "aarch64, ")
    # As introspect words it.
    proc = qapic("introspect", system, "-t", "nosuch")
    assert proc.returncode == 2 and proc.stderr.startswith("usage: qapic introspect ")
