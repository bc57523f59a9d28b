"""The target table read from QEMU 10.0's tree, checked against facts QEMU documents."""

from __future__ import annotations

from pathlib import Path

from qapic.qemu_tree import find_tree, read_target_table


def test_qemu_10_0_targets(qemu_10_0: Path) -> None:
    table = read_target_table(qemu_10_0)
    assert len(table) == 29                       # 29 softmmu targets (REFERENCES.md)
    aarch64 = table.get("aarch64")
    assert {"TARGET_AARCH64", "TARGET_ARM"} <= aarch64.symbols
    assert "TARGET_I386" not in aarch64.symbols
    assert {"TARGET_X86_64", "TARGET_I386"} <= table.get("x86_64").symbols
    assert {"TARGET_PPC64", "TARGET_PPC"} <= table.get("ppc64").symbols
    assert {"TARGET_RISCV64", "TARGET_RISCV"} <= table.get("riscv64").symbols
    # meson writes TARGET_BIG_ENDIAN for every target (as 0 when little-endian)
    assert all("TARGET_BIG_ENDIAN" in t.symbols for t in table)
    # keys QEMU's meson.build does not turn into macros
    assert all("TARGET_XML_FILES" not in t.symbols for t in table)


def test_find_tree(qemu_10_0: Path) -> None:
    assert find_tree(qemu_10_0 / "qapi" / "qapi-schema.json") == qemu_10_0.resolve()
    assert find_tree(Path("/")) is None
