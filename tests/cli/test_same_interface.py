"""A schema without target conditions (QEMU 10.1 and later) gives every target the same
interface: ``introspect --target``, ``targets``, ``docs`` and ``diff --target`` say so once, on
standard error, with the way out (``--conditions`` and the file qapic ships for that release);
``targets --kvm`` on a schema where no condition mentions CONFIG_KVM warns as ``-D CONFIG_KVM``
does.  A schema with target conditions (10.0, or 10.2 with ``--conditions 10.2``) gets no word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Run
from tests.support import SYSTEM_SCHEMA


def same_interface(schema: Path | str, command: str, hint: str | None = None) -> str:
    hint = hint or "--conditions 10.2 (the file qapic ships for QEMU 10.2)"
    return (f"qapic {command}: warning: no condition of {schema} mentions a target (TARGET_*; "
            "QEMU 10.1 removed them from its schema): every target gets the same interface; "
            f"for each target's own, give {hint}")


def test_introspect_says_every_target_is_alike(qapic: Run, qemu_10_2: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    x86 = qapic("introspect", system, "-t", "x86_64")
    s390x = qapic("introspect", system, "-t", "s390x")
    assert x86.returncode == s390x.returncode == 0
    assert x86.stdout == s390x.stdout
    assert x86.stderr.splitlines() == [same_interface(system, "introspect")]
    # The way out it names works, and says nothing.
    x86 = qapic("introspect", system, "-t", "x86_64", "--conditions", "10.2")
    s390x = qapic("introspect", system, "-t", "s390x", "--conditions", "10.2")
    assert (x86.stderr, s390x.stderr) == ("", "")
    assert x86.stdout != s390x.stdout
    # Without --target nobody asked about targets: nothing to say.
    assert qapic("introspect", system).stderr == ""


def test_targets_and_kvm(qapic: Run, qemu_10_2: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    proc = qapic("targets", system)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [same_interface(system, "targets")]
    proc = qapic("targets", system, "--kvm", "x86_64,s390x")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        same_interface(system, "targets"),
        f"qapic targets: warning: --kvm x86_64,s390x: no condition of {system} mentions "
        "CONFIG_KVM"]
    # The shipped conditions carry set-cpu-topology's CONFIG_KVM too.
    proc = qapic("targets", system, "--kvm", "x86_64,s390x", "--conditions", "10.2")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_docs_and_diff_say_it_once(qapic: Run, qemu_10_2: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    proc = qapic("docs", system, "-o", "out", "--format", "rst")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [same_interface(system, "docs")]
    proc = qapic("diff", system, system, "--a-target", "x86_64", "--b-target", "s390x")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [same_interface(system, "diff")]
    assert qapic("docs", system, "-o", "out2", "--format", "rst",
                 "--conditions", "10.2").stderr == ""


@pytest.mark.parametrize("argv", [
    ["introspect", "SCHEMA", "-t", "x86_64"],
    ["targets", "SCHEMA", "--kvm", "x86_64"],
    ["docs", "SCHEMA", "-o", "out", "--format", "rst"],
])
def test_a_schema_with_target_conditions_gets_no_word(qapic: Run, qemu_10_0: Path,
                                                      argv: list[str]) -> None:
    system = str(qemu_10_0 / SYSTEM_SCHEMA)
    proc = qapic(*[system if a == "SCHEMA" else a for a in argv])
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_release_qapic_ships_nothing_for(qapic: Run, tmp_path: Path) -> None:
    """A tree of a release without a shipped file: the hint says how to make one."""
    tree = tmp_path / "qemu-10.1.0"
    (tree / "configs" / "targets").mkdir(parents=True)
    for name, arch in (("x86_64", "x86_64"), ("s390x", "s390x")):
        (tree / "configs" / "targets" / f"{name}-softmmu.mak").write_text(
            f"TARGET_ARCH={arch}\n")
    (tree / "VERSION").write_text("10.1.0\n")
    (tree / "qapi").mkdir()
    schema = tree / "qapi" / "s.json"
    schema.write_text("{ 'command': 'query-sev' }\n")
    proc = qapic("targets", schema)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [same_interface(
        schema, "targets", "--conditions FILE (qapic carry-conditions OLD NEW writes one from "
        "an older release's schema; qapic ships one for 10.2)")]
