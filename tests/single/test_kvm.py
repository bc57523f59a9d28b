"""CONFIG_KVM per target, read as QEMU decides it (expectations from QEMU's meson.build text and
from a configured build's headers, not from qapic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qapic.qemu_tree import kvm_targets, read_targets_with_kvm
from tests.oracle import targets as oracle


def test_host_rule_from_meson_build(qemu_10_0: Path) -> None:
    # meson.build: "elif cpu == 'x86_64' / kvm_targets = ['i386-softmmu', 'x86_64-softmmu']"
    assert kvm_targets(qemu_10_0, "x86_64") == {"i386", "x86_64"}
    assert kvm_targets(qemu_10_0, "aarch64") == {"aarch64"}
    assert kvm_targets(qemu_10_0, "s390x") == {"s390x"}
    assert kvm_targets(qemu_10_0, "mips64") == {"mips", "mipsel", "mips64", "mips64el"}
    assert kvm_targets(qemu_10_0, "sparc64") == frozenset()
    assert kvm_targets(qemu_10_0, "x86_64", host_is_linux=False) == frozenset()


def test_source_tree_table(qemu_10_0: Path) -> None:
    table = read_targets_with_kvm(qemu_10_0, "s390x")
    assert len(table) == 29
    assert [t.name for t in table if t.kvm] == ["s390x"]
    assert "CONFIG_KVM" in table.target_symbols(table.get("s390x"))
    assert "CONFIG_KVM" not in table.target_symbols(table.get("x86_64"))


def _fake_build(tmp: Path, source: Path, headers: dict[str, str]) -> Path:
    (tmp / "meson-info").mkdir(parents=True)
    info = {"directories": {"source": str(source), "build": str(tmp)}}
    (tmp / "meson-info" / "meson-info.json").write_text(json.dumps(info))
    for target, text in headers.items():
        (tmp / f"{target}-softmmu-config-target.h").write_text(text)
    return tmp


def test_build_dir_headers(qemu_10_0: Path, tmp_path: Path) -> None:
    # As meson writes them: "#define CONFIG_KVM 1" for a target built with KVM.
    build = _fake_build(tmp_path, qemu_10_0, {
        "x86_64": "#pragma once\n\n#define CONFIG_KVM 1\n\n#define TARGET_I386 1\n",
        "aarch64": "#pragma once\n\n#define CONFIG_TCG 1\n",
    })
    table = read_targets_with_kvm(build)
    assert [(t.name, t.kvm) for t in table] == [("aarch64", False), ("x86_64", True)]


@pytest.mark.parametrize("cpu", ["x86", "x86_64", "aarch64", "s390x", "ppc64", "mips64",
                                 "riscv64", "loongarch64", "sparc64"])
def test_host_rule_is_the_oracles(cpu: str, qemu_10_0: Path) -> None:
    """qapic's reading of meson.build's rule agrees with the oracle's for every host family
    (and this host's table, detected by qapic, with the oracle's detection)."""
    assert kvm_targets(qemu_10_0, cpu) == oracle.kvm_targets(qemu_10_0, cpu)
    table = read_targets_with_kvm(qemu_10_0)
    host = oracle.host_cpu_family()
    assert {t.name for t in table if t.kvm} == oracle.kvm_targets(qemu_10_0, host)
