"""QEMU 10.0's schema built once (single-binary mode) and run as target X behaves like the
per-target build for X.  Expectations come from outside qapic: query-qmp-schema from upstream's
own generator (tests/oracle/upstream.py: its qapi-introspect.c evaluated for X's symbols and the
build's config-host.h), error texts from QEMU's visitors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from qapic.frontend import Command, load_schema
from tests.oracle.targets import host_cpu_family, kvm_targets, target_symbols
from tests.oracle.upstream import shared_oracle
from tests.qemu import QemuBuild
from tests.single.cprog import build_check_program, defined_symbols, run_check

TARGETS = ("x86_64", "i386", "aarch64", "arm", "s390x", "ppc64", "riscv64", "loongarch64",
           "mips64el", "sparc", "tricore", "avr")
EXPANSION = '{"model": {"name": "max"}, "deprecated-props": ["x"]}'


@pytest.fixture(scope="module")
def check(single_out: Path, qemu_upstream: QemuBuild,
          tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_check_program(qemu_upstream.build_dir, single_out,
                               tmp_path_factory.mktemp("check"), visit_header="qapi-visit.h",
                               types=["CpuModelExpansionInfo"], init_marshal="qmp_init_marshal")


@pytest.fixture(scope="module")
def build_defined(qemu_10_0: Path, qemu_upstream: QemuBuild,
                  tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The build-time symbols of the schema's conditions that the build defines."""
    symbols = shared_oracle(qemu_10_0).symbols(qemu_10_0 / "qapi" / "qapi-schema.json")
    build = {s for s in symbols if not s.startswith("TARGET_") and s != "CONFIG_KVM"}
    return defined_symbols(qemu_upstream.build_dir, build, tmp_path_factory.mktemp("probe"))


def _per_target_schema(qemu_10_0: Path, build_defined: set[str], target: str) -> object:
    # The target's config-target.h and CONFIG_KVM by meson.build's rule for this host, both as
    # the test oracle reads QEMU's tree (not qapic's target table).
    kvm = {"CONFIG_KVM"} if target in kvm_targets(qemu_10_0, host_cpu_family()) else set()
    defined = build_defined | target_symbols(qemu_10_0, target) | kvm
    return shared_oracle(qemu_10_0).introspect(qemu_10_0 / "qapi" / "qapi-schema.json", defined)


def _not_generated(qemu_10_0: Path) -> set[str]:
    """Commands with 'gen': false: QEMU registers them by hand, qmp_init_marshal() never does."""
    schema = load_schema(str(qemu_10_0 / "qapi" / "qapi-schema.json"))
    return {e.name for e in schema.entities if isinstance(e, Command) and not e.gen}


@pytest.mark.parametrize("target", TARGETS)
def test_introspection_and_commands_as_per_target(target: str, check: Path, qemu_10_0: Path,
                                                  build_defined: set[str]) -> None:
    expected = _per_target_schema(qemu_10_0, build_defined, target)
    assert json.loads(run_check(check, target, "schema")) == expected
    assert isinstance(expected, list)
    commands = {e["name"] for e in expected if e["meta-type"] == "command"}
    registered = run_check(check, target, "commands").split()
    assert len(registered) == len(set(registered))
    assert set(registered) == commands - _not_generated(qemu_10_0)


def test_introspection_follows_active_target_changes(check: Path, qemu_10_0: Path,
                                                     build_defined: set[str]) -> None:
    # query-qmp-schema's value is filtered once per active-target set and kept: within one
    # process, every change of the active targets (back to a set seen before, too) gives that
    # set's value, and what a caller does to a value it was given (check_targets changes each
    # one) does not reach the next.
    sequence = ["x86_64", "s390x", "s390x", "aarch64,s390x", "x86_64", "aarch64", "s390x"]
    got = [json.loads(line)
           for line in run_check(check, sequence[0], "schemas", *sequence[1:]).splitlines()]
    assert len(got) == len(sequence)
    expected = {t: _per_target_schema(qemu_10_0, build_defined, t)
                for t in ("x86_64", "s390x", "aarch64")}
    assert len({json.dumps(v) for v in expected.values()}) == 3      # the values differ
    for active, value in zip(sequence, got, strict=True):
        if active in expected:
            assert value == expected[active], active
        else:       # several targets: the union (of the names not masked)
            assert _commands_and_events(value) == set().union(
                *(_commands_and_events(expected[t]) for t in active.split(","))), active


def _commands_and_events(schema: object) -> set[tuple[str, str]]:
    assert isinstance(schema, list)
    return {(e["meta-type"], e["name"]) for e in schema if e["meta-type"] in ("command", "event")}


def test_several_targets_see_the_union(check: Path) -> None:
    # The documented policy: visible when the condition holds for at least one active target.
    each = [set(run_check(check, t, "commands").split()) for t in ("aarch64", "s390x")]
    assert set(run_check(check, "aarch64,s390x", "commands").split()) == each[0] | each[1]
    assert "query-gic-capabilities" in each[0] - each[1]
    assert "dump-skeys" in each[1] - each[0]


def _unexpected_message(qemu_10_0: Path, member: str) -> str:
    source = (qemu_10_0 / "qapi" / "qobject-input-visitor.c").read_text()
    assert "\"Parameter '%s' is unexpected\"" in source
    return f"Parameter '{member}' is unexpected"


@pytest.mark.parametrize("target", ["x86_64", "aarch64", "riscv64"])
def test_unavailable_member_rejected_and_never_emitted(target: str, check: Path,
                                                       qemu_10_0: Path) -> None:
    # CpuModelExpansionInfo exists on these targets; its deprecated-props only on s390x.
    out = run_check(check, target, "input", "CpuModelExpansionInfo", EXPANSION).strip()
    assert out == _unexpected_message(qemu_10_0, "deprecated-props")
    out = run_check(check, target, "output", "CpuModelExpansionInfo", EXPANSION)
    assert json.loads(out) == {"model": {"name": "max"}}


def test_available_member_accepted_and_emitted(check: Path) -> None:
    assert run_check(check, "s390x", "input", "CpuModelExpansionInfo", EXPANSION).strip() == "ok"
    out = run_check(check, "s390x", "output", "CpuModelExpansionInfo", EXPANSION)
    assert json.loads(out) == json.loads(EXPANSION)


def test_parse_errors(check: Path) -> None:
    proc = subprocess.run([str(check), "x86_64,vax", "commands"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Unknown target 'vax'" in proc.stderr
