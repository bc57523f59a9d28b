"""QEMU 10.2.2 with qapic's shipped conditions (qapic/carried/qemu-10.2.json) against outside
expectations:

- upstream 10.2.2's own generator run on a copy of the schema with the conditions written into
  its JSON (tests/carry/rewrite.py): ``qapic introspect --conditions`` must give exactly the
  value that generator's ``qapi-introspect.c`` gives, for every target, with and without KVM;
- upstream 10.0.13's generator on 10.0.13's schema, the last with target conditions: on every
  target the target-dependent commands and events of 10.2.2 + conditions are 10.0.13's, except
  items that do not exist in both releases (listed below, each with its reason).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from qapic.frontend import load_overlay, load_schema
from qapic.schema_info import introspect
from tests.carry.fixtures import SHIPPED_10_2
from tests.carry.qapi_text import top_level
from tests.carry.rewrite import kind_of
from tests.oracle.diff import describe
from tests.oracle.targets import softmmu_targets, target_symbols
from tests.oracle.upstream import UpstreamOracle
from tests.support import REPO, qemu_source


@functools.cache
def targets_10_0() -> list[str]:
    return softmmu_targets(qemu_source("10.0"))


@functools.cache
def targets_10_2() -> list[str]:
    return softmmu_targets(qemu_source("10.2"))


#: Target-dependent items that exist in only one of the two releases, and why.
ONLY_ONE_SIDE = {
    # New in 10.1, emitted by s390x's SCLP CPI device only; conditioned by hand.
    ("event", "SCLP_CPI_INFO_AVAILABLE"),
}


@cache
def _qapic_schema(qemu_10_2: Path) -> Any:
    return load_schema(qemu_10_2 / "qapi" / "qapi-schema.json",
                       overlay=load_overlay(SHIPPED_10_2))


def _symbols(tree: Path, target: str, kvm: bool) -> frozenset[str]:
    return target_symbols(tree, target) | ({"CONFIG_KVM"} if kvm else frozenset())


def test_both_releases_have_the_same_targets() -> None:
    assert targets_10_0() == targets_10_2()
    assert len(targets_10_2()) == 29


@pytest.mark.parametrize("kvm", [False, True], ids=["tcg", "kvm"])
@pytest.mark.parametrize_from("target", targets_10_2)
def test_introspection_equals_upstream_on_the_rewritten_schema(
        target: str, kvm: bool, qemu_10_2: Path, oracle_10_2: UpstreamOracle,
        schema_10_2_with_conditions: Path) -> None:
    defined = _symbols(qemu_10_2, target, kvm)
    expected = oracle_10_2.introspect(schema_10_2_with_conditions, defined)
    actual = introspect(_qapic_schema(qemu_10_2), set(defined))
    assert actual == expected, describe(expected, actual)


def test_the_command_line_applies_the_conditions(
        qemu_10_2: Path, oracle_10_2: UpstreamOracle, schema_10_2_with_conditions: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qapic", "introspect", str(qemu_10_2 / "qapi/qapi-schema.json"),
         "--conditions", str(SHIPPED_10_2), "--target", "s390x", "-D", "CONFIG_KVM"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    expected = oracle_10_2.introspect(schema_10_2_with_conditions,
                                      _symbols(qemu_10_2, "s390x", True))
    assert json.loads(proc.stdout) == expected


def _commands_and_events(value: Any) -> set[tuple[str, str]]:
    return {(e["meta-type"], e["name"]) for e in value if e["meta-type"] in ("command", "event")}


def test_target_dependent_interface_is_10_0s(
        qemu_10_0: Path, qemu_10_2: Path, oracle_10_0: UpstreamOracle,
        oracle_10_2: UpstreamOracle, schema_10_2_with_conditions: Path) -> None:
    old_schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    cases = [(t, kvm) for t in targets_10_2() for kvm in (False, True)]
    old = {c: _commands_and_events(oracle_10_0.introspect(old_schema, _symbols(qemu_10_0, *c)))
           for c in cases}
    new = {c: _commands_and_events(oracle_10_2.introspect(schema_10_2_with_conditions,
                                                          _symbols(qemu_10_2, *c)))
           for c in cases}

    def dependent(sets: dict[Any, set[tuple[str, str]]]) -> set[tuple[str, str]]:
        values = list(sets.values())
        return set().union(*values) - values[0].intersection(*values[1:])

    old_dep, new_dep = dependent(old), dependent(new)
    everywhere_old: set[tuple[str, str]] = set().union(*old.values())
    everywhere_new: set[tuple[str, str]] = set().union(*new.values())
    one_side = {i for i in old_dep | new_dep if (i in everywhere_old) != (i in everywhere_new)}
    assert one_side == ONLY_ONE_SIDE
    compared = (old_dep | new_dep) - one_side
    # Every item that depends on the target in 10.0 still exists in 10.2 and depends on it:
    # the sev, sgx, xen, s390x, cpu-model and gic commands, rtc-reset-reinjection, ...
    assert new_dep - one_side == old_dep
    table = []
    for case in cases:
        want, got = old[case] & compared, new[case] & compared
        assert got == want, (f"{case}: missing {sorted(want - got)}, "
                             f"extra {sorted(got - want)}")
        table.append(f"{case[0]:12} {'kvm' if case[1] else 'tcg'} {len(got):3} "
                     + " ".join(sorted(n for _, n in got)))
    print("\ntarget-dependent commands and events (10.0.13 = 10.2.2 + conditions):")
    print("\n".join(table))


def _entries(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for e in top_level(text):
        kind = kind_of(e.value)
        assert kind is not None
        out[(kind, e.value[kind])] = e.value
    return out


def test_shipped_file_is_the_derivation_plus_the_reviewed_additions(
        qemu_10_0: Path, qemu_10_2: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qapic", "carry-conditions",
         str(qemu_10_0 / "qapi/qapi-schema.json"), str(qemu_10_2 / "qapi/qapi-schema.json")],
        cwd=REPO, capture_output=True, text=True, check=False)
    # 10.1 renamed SGXInfo to SgxInfo: the one item the derivation cannot carry.
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    problems = [ln for ln in lines if not ln.startswith("qapic carry-conditions: note: ")]
    assert len(problems) == 1 and "struct 'SGXInfo'" in problems[0], problems
    assert "misc-target.json:" in problems[0]
    # What is new since 10.0 is listed for review; the s390x-only event added in 10.1 (one
    # of the reviewed additions below) among it.
    assert lines[-1].startswith("qapic carry-conditions: note: ") and "new since OLD" in lines[-1]
    assert "#   event 'SCLP_CPI_INFO_AVAILABLE'" in proc.stdout.splitlines()
    derived = _entries(proc.stdout)
    shipped = _entries(SHIPPED_10_2.read_text(encoding="utf-8"))
    assert {k: shipped[k] for k in derived} == derived
    assert set(shipped) - set(derived) == {("struct", "SgxInfo"),
                                           ("event", "SCLP_CPI_INFO_AVAILABLE")}


def test_shipped_file_is_consistent_on_every_target(qemu_10_2: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qapic", "check", str(qemu_10_2 / "qapi/qapi-schema.json"),
         "--conditions", str(SHIPPED_10_2)],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
