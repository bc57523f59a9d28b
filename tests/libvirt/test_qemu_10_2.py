"""libvirt as the real client, QEMU 10.2.2: the per-target interface that upstream lost in 10.1,
restored by qapic with QAPI compiled once.

Three programs per target (aarch64, s390x, x86_64), each probed by libvirt as in production
(``virsh domcapabilities --emulatorbin BIN --virttype qemu --arch ARCH``):

- ``upstream-10.2``: QEMU 10.2.2 built with upstream's generator. Since 10.1 the schema has no
  TARGET_* condition, so every qemu-system-X lists every target's commands (query-sev*,
  rtc-reset-reinjection, query-cpu-model-baseline, ...), and libvirt, which decides many
  capability flags from the mere presence of a command, records them for every target;
- ``qapic-10.2``: the same source built with ``qapic qemu-setup --single-binary``: QAPI compiled
  once, the conditions qapic carries forward from 10.0 (``qapic/carried/qemu-10.2.json``)
  decided at run time per binary;
- ``10.0``: QEMU 10.0.13 built per target with upstream's generator (``tests/qemu``), the last
  release whose binaries showed each its own target's interface.

What is asserted, measured rather than listed (no flag or command name is written here):

1. upstream 10.2 against qapic 10.2: qapic's binary has a subset of upstream's commands (asked
   over QMP, ``query-commands``), and the flags libvirt records differently are exactly the flags
   libvirt derives from the commands qapic's binary lacks: upstream's binary probed again with
   just those commands removed from its QMP interface (``probe.filtered_emulator``) gives the same
   flags as qapic's binary, and then the whole normalised capabilities cache and domcapabilities
   are the same too. So the restored conditions change nothing else libvirt sees.
2. qapic 10.2 against 10.0: the target-dependent commands are those whose presence differs
   between the three 10.0 per-target binaries or between qapic 10.2's binaries; the flags libvirt
   derives from them are measured on each upstream 10.2 binary (which has them all) by dropping
   them; every such flag has in qapic 10.2 the value it has for the 10.0 binary of the same
   target. Upstream 10.2, checked the same way, must fail (it is the fault this work fixes).

The flag table (flag x target x {upstream 10.2, qapic 10.2, 10.0}) is printed (``pytest -s``),
shown in the terminal summary and written to ``<pytest's base temp>/libvirt/flags-10.2.txt``:
the command-derived flags, then the other flags that differ between the binaries of one target
(10.0 against 10.2: QEMU's version); flags that differ only between targets, alike in the three
builds of each, are counted, not listed (``test_qemu_10_0.py`` lists those). The normalised XML
of every probe is kept in ``10.2/<column>-<target>.{caps,domcaps}.xml`` next to it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import pytest

from tests.libvirt.probe import (
    Libvirtd,
    Probe,
    differences,
    differing_flags,
    filtered_emulator,
    flag_table,
    flags_from_commands,
    libvirt_arch,
)
from tests.qemu import QemuBuild
from tests.qmp import runner
from tests.realqemu.builds_10_2 import TARGETS_10_2, build_10_2

QemuBuilds = Callable[[str], QemuBuild]
UPSTREAM, QAPIC, OLD = "upstream-10.2", "qapic-10.2", "10.0"
COLUMNS = (UPSTREAM, QAPIC, OLD)
#: libvirt's encoding of QEMU's version (major * 1000000 + minor * 1000 + micro), by prefix.
VERSION_PREFIX = {UPSTREAM: "10002", QAPIC: "10002", OLD: "10000"}
SHORT = {UPSTREAM: "up-10.2", QAPIC: "qapic-10.2", OLD: "10.0"}

Key = tuple[str, str]  # (column, target)


@pytest.fixture(scope="module")
def binaries(qemu_build: QemuBuilds) -> dict[Key, Path]:
    """(column, target) -> that column's qemu-system-TARGET."""
    upstream, single = build_10_2("upstream"), build_10_2("single")
    old = qemu_build("upstream")
    out = {}
    for target in TARGETS_10_2:
        out[UPSTREAM, target] = upstream / f"qemu-system-{target}"
        out[QAPIC, target] = single / f"qemu-system-{target}"
        out[OLD, target] = old.system(target)
    return out


@pytest.fixture(scope="module")
def probes(libvirtd: Libvirtd, binaries: dict[Key, Path], libvirt_dir: Path) -> dict[Key, Probe]:
    """(column, target) -> what libvirt recorded for that binary."""
    out = {}
    for (column, target), binary in binaries.items():
        probe = libvirtd.probe(binary, arch=libvirt_arch(target))
        probe.save(libvirt_dir / "10.2", f"{column}-{target}")
        out[column, target] = probe
    return out


def _commands(binary: Path) -> frozenset[str]:
    with runner.QMPProcess(binary) as qmp:
        (reply,) = qmp.exchange('{"execute": "query-commands"}')
    assert isinstance(reply, dict) and "return" in reply, reply
    return frozenset(c["name"] for c in reply["return"])


@pytest.fixture(scope="module")
def commands(binaries: dict[Key, Path]) -> dict[Key, frozenset[str]]:
    """(column, target) -> the commands the binary lists (QMP query-commands)."""
    return {key: _commands(binary) for key, binary in binaries.items()}


@pytest.fixture(scope="module")
def filtered_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("filtered-10.2")


def _varying(sets: Collection[frozenset[str]]) -> frozenset[str]:
    """The names that some of *sets* have and others have not."""
    return frozenset().union(*sets) - frozenset.intersection(*sets)


@pytest.fixture(scope="module")
def target_dependent(commands: dict[Key, frozenset[str]]) -> frozenset[str]:
    """The commands whose presence differs between the 10.0 per-target binaries or between
    qapic 10.2's binaries."""
    return (_varying([commands[OLD, t] for t in TARGETS_10_2])
            | _varying([commands[QAPIC, t] for t in TARGETS_10_2]))


@pytest.fixture(scope="module")
def derived(libvirtd: Libvirtd, binaries: dict[Key, Path], commands: dict[Key, frozenset[str]],
            target_dependent: frozenset[str], filtered_dir: Path) -> dict[str, frozenset[str]]:
    """target -> the flags libvirt derives from the target-dependent commands on upstream
    10.2's qemu-system-TARGET (which lists them all): lost when they are removed."""
    return {t: flags_from_commands(libvirtd, binaries[UPSTREAM, t],
                                   target_dependent & commands[UPSTREAM, t], filtered_dir,
                                   arch=libvirt_arch(t))
            for t in TARGETS_10_2}


def mismatches(flags: Mapping[str, frozenset[str]], reference: Mapping[str, frozenset[str]],
               rows: Collection[str]) -> list[str]:
    """``target: flag`` for each flag of *rows* set in one of *flags*/*reference* and not in
    the other for the same target."""
    return [f"{t}: {f} ({'set' if f in flags[t] else 'unset'}, "
            f"{'set' if f in reference[t] else 'unset'} in the reference)"
            for t in reference for f in sorted(rows) if (f in flags[t]) != (f in reference[t])]


@pytest.mark.parametrize("target", TARGETS_10_2)
def test_libvirt_probed(target: str, probes: dict[Key, Probe]) -> None:
    """libvirt talked QMP with each binary: QEMU's version, its architecture, its machine types
    and capability flags are recorded."""
    for column in COLUMNS:
        probe = probes[column, target]
        cache = ET.fromstring(probe.cache)
        assert cache.findtext("version", "").startswith(VERSION_PREFIX[column]), column
        assert cache.findtext("arch") == libvirt_arch(target), column
        assert ET.fromstring(probe.domcaps).findtext("arch") == libvirt_arch(target), column
        assert cache.findall("machine") and probe.flags, column


@pytest.mark.parametrize("target", TARGETS_10_2)
def test_qapic_differs_from_upstream_by_the_restored_conditions(
        target: str, libvirtd: Libvirtd, binaries: dict[Key, Path],
        commands: dict[Key, frozenset[str]], probes: dict[Key, Probe],
        filtered_dir: Path) -> None:
    """The flags upstream 10.2 and qapic 10.2 differ in are exactly those libvirt derives from
    the commands qapic's binary lacks; with those commands removed from upstream's binary,
    libvirt records the same as for qapic's, XML and all."""
    upstream, qapic = commands[UPSTREAM, target], commands[QAPIC, target]
    assert qapic <= upstream, f"commands only in qapic's binary: {sorted(qapic - upstream)}"
    hidden = upstream - qapic
    assert hidden, "the restored conditions hide commands on every one of these targets"
    up_probe, qapic_probe = probes[UPSTREAM, target], probes[QAPIC, target]
    arch = libvirt_arch(target)
    implied = flags_from_commands(libvirtd, binaries[UPSTREAM, target], hidden, filtered_dir,
                                  arch=arch)
    assert up_probe.flags ^ qapic_probe.flags == implied, (
        f"flags only upstream has: {sorted(up_probe.flags - qapic_probe.flags)}; only qapic: "
        f"{sorted(qapic_probe.flags - up_probe.flags)}; implied by the hidden commands "
        f"{sorted(hidden)}: {sorted(implied)}")
    # The probe flags_from_commands just made (kept by the daemon object): upstream's binary
    # without the hidden commands.
    without = libvirtd.probe(filtered_emulator(filtered_dir, binaries[UPSTREAM, target], hidden),
                             arch=arch)
    report = differences(without, qapic_probe, "upstream without the hidden commands", "qapic")
    assert report is None, report


def test_command_derived_flags_as_in_10_0(target_dependent: frozenset[str],
                                          derived: dict[str, frozenset[str]],
                                          probes: dict[Key, Probe]) -> None:
    """Every flag libvirt derives from a target-dependent command has in qapic 10.2 the value
    libvirt records for the 10.0 per-target binary of the same target; upstream 10.2 fails this
    (the planted fault that shows the check can fail: upstream's own binaries)."""
    assert target_dependent
    rows = frozenset().union(*derived.values())
    assert rows, f"libvirt derives no flag from {sorted(target_dependent)}"
    old = {t: probes[OLD, t].flags for t in TARGETS_10_2}
    assert not mismatches({t: probes[QAPIC, t].flags for t in TARGETS_10_2}, old, rows)
    assert mismatches({t: probes[UPSTREAM, t].flags for t in TARGETS_10_2}, old, rows)


def test_flag_table(target_dependent: frozenset[str], derived: dict[str, frozenset[str]],
                    probes: dict[Key, Probe],
                    libvirt_report: Callable[[str, str], Path]) -> None:
    """The flags libvirt derives from the target-dependent commands, then the other flags that
    differ between the three binaries of a target."""
    columns = {f"{t}\n{SHORT[c]}": probes[c, t].flags for t in TARGETS_10_2 for c in COLUMNS}
    from_commands = sorted(frozenset().union(*derived.values()))
    within = set().union(*(differing_flags({c: probes[c, t].flags for c in COLUMNS})
                           for t in TARGETS_10_2))
    others = sorted(within - set(from_commands))
    between = [f for f in differing_flags(columns) if f not in within]
    times = ", ".join(f"{SHORT[c]} {t} {probes[c, t].seconds:.1f}"
                      for t in TARGETS_10_2 for c in COLUMNS)
    measured = "; ".join(f"{t}: {', '.join(sorted(derived[t])) or '-'}" for t in TARGETS_10_2)
    libvirt_report("flags-10.2", (
        "libvirt capability flags: QEMU 10.2.2 built with upstream's generator (up-10.2) and "
        "with qapic's single-binary mode and the carried conditions (qapic-10.2), QEMU 10.0.13 "
        "per target (10.0); x = flag set.\n"
        f"Flags libvirt derives from the target-dependent commands "
        f"({', '.join(sorted(target_dependent))}), measured on up-10.2 per target ({measured}):\n"
        + flag_table(columns, from_commands)
        + f"\nThe {len(others)} other flags that differ between the binaries of one target:\n"
        + flag_table(columns, others)
        + f"\n({len(between)} more flags differ between targets only, alike in all three "
        f"builds of each target.)\nprobe seconds: {times}"))
    assert from_commands
    # The other flags are QEMU 10.0 against 10.2: upstream's and qapic's 10.2 agree on them.
    for t in TARGETS_10_2:
        assert probes[UPSTREAM, t].flags & within <= set(from_commands) | probes[QAPIC, t].flags
        assert probes[QAPIC, t].flags & within <= set(from_commands) | probes[UPSTREAM, t].flags
