"""``qapic targets`` against QEMU's own generator: for every target, the commands and events it
lists are exactly those in upstream's introspection of a build of that target."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from qapic.cli import main
from tests.oracle.targets import softmmu_targets, target_symbols
from tests.oracle.upstream import UpstreamOracle

BUILD = ["CONFIG_LINUX", "CONFIG_POSIX", "CONFIG_SPICE", "CONFIG_VNC", "CONFIG_TPM"]
KVM = ["x86_64", "i386", "s390x"]


def run_qapic(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


@pytest.fixture(scope="module")
def matrix(qemu_10_0: Path) -> dict[str, Any]:
    schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    argv = ["targets", str(schema), "--json", "--exact", "--kvm", ",".join(KVM)]
    for sym in BUILD:
        argv += ["--define", sym]
    status, out = run_qapic(*argv)
    assert status == 0
    result: dict[str, Any] = json.loads(out)
    return result


def test_every_target_matches_upstream(
    matrix: dict[str, Any], oracle_10_0: UpstreamOracle, qemu_10_0: Path
) -> None:
    schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    targets = softmmu_targets(qemu_10_0)
    assert matrix["targets"] == sorted(targets)
    for target in targets:
        defined = set(BUILD) | target_symbols(qemu_10_0, target)
        if target in KVM:
            defined.add("CONFIG_KVM")
        value = oracle_10_0.introspect(schema, defined)
        assert isinstance(value, list)
        for kind, section in (("command", "commands"), ("event", "events")):
            expected = {e["name"] for e in value
                        if isinstance(e, dict) and e["meta-type"] == kind}
            listed = {
                name for name, groups in matrix[section].items()
                if any(target in g["targets"] and g["if"] is None for g in groups)
            }
            assert listed == expected, (target, kind, listed ^ expected)


def test_open_build_conditions_are_shown(qemu_10_0: Path) -> None:
    status, out = run_qapic("targets", str(qemu_10_0 / "qapi" / "qapi-schema.json"))
    assert status == 0
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("command ")}
    assert "aarch64 arm" in lines["query-gic-capabilities"]
    assert "i386 x86_64" in lines["query-sev"]
    assert "CONFIG_SPICE" in lines["query-spice"]
    # 'if': {'all': ['TARGET_S390X', 'CONFIG_KVM']}: only s390x, and only with KVM
    assert lines["query-s390x-cpu-polarization"].split(None, 2)[2] == "s390x (if CONFIG_KVM)"
