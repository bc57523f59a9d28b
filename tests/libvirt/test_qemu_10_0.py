"""libvirt as the real client, QEMU 10.0: the single-binary qemu-system-{aarch64,arm,s390x,x86_64}
(QAPI compiled once by ``qapic qemu-setup --single-binary``) against the same programs built per
target with upstream's generator (the "single" and "upstream" builds of ``tests/qemu``, as in
``tests/realqemu``).

libvirt probes each binary as in production (``virsh domcapabilities --emulatorbin BIN
--virttype qemu --arch ARCH``); what it records — its capabilities cache and domcapabilities,
normalised (``probe.CACHE_DROPPED``, ``probe.DOMCAPS_DROPPED``) — must be identical for each
target. The table of target-dependent flags (flags whose value differs between targets) is
printed (``pytest -s``), shown in the terminal summary and written to
``<pytest's base temp>/libvirt/flags-10.0.txt``; the normalised XML of every probe is kept next to
it (``10.0/<kind>-<target>.{caps,domcaps}.xml``).

Planted faults: the same single-binary qemu-system-x86_64 behind ``qmp_filter.py`` — relaying
QMP unchanged, libvirt must record exactly the same (control); with the commands that the
per-target x86_64 binary has and the per-target s390x one has not removed from its QMP
interface (measured with QMP, not listed here), the comparison must fail, on flags.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
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
from tests.qemu import SINGLE_TARGETS, QemuBuild
from tests.qmp import runner

QemuBuilds = Callable[[str], QemuBuild]
KINDS = ("per-target", "single")
BUILD_OF = {"per-target": "upstream", "single": "single"}


@pytest.fixture(scope="module")
def builds(qemu_build: QemuBuilds) -> dict[str, QemuBuild]:
    return {kind: qemu_build(BUILD_OF[kind]) for kind in KINDS}


@pytest.fixture(scope="module")
def probes(libvirtd: Libvirtd, builds: dict[str, QemuBuild], libvirt_dir: Path
           ) -> dict[tuple[str, str], Probe]:
    """(kind, target) -> what libvirt recorded for that qemu-system-TARGET."""
    out = {}
    for target in SINGLE_TARGETS:
        for kind in KINDS:
            probe = libvirtd.probe(builds[kind].system(target), arch=libvirt_arch(target))
            probe.save(libvirt_dir / "10.0", f"{kind}-{target}")
            out[kind, target] = probe
    return out


@pytest.mark.parametrize("target", SINGLE_TARGETS)
def test_libvirt_probed(target: str, probes: dict[tuple[str, str], Probe]) -> None:
    """libvirt talked QMP with each binary: QEMU's version, its architecture, its machine types
    and capability flags are recorded."""
    for kind in KINDS:
        probe = probes[kind, target]
        cache = ET.fromstring(probe.cache)
        # libvirt encodes QEMU's version as major * 1000000 + minor * 1000 + micro.
        assert cache.findtext("version", "").startswith("10000"), kind
        assert cache.findtext("arch") == libvirt_arch(target), kind
        assert ET.fromstring(probe.domcaps).findtext("arch") == libvirt_arch(target), kind
        assert cache.findall("machine") and probe.flags, kind


@pytest.mark.parametrize("target", SINGLE_TARGETS)
def test_capabilities_identical(target: str, probes: dict[tuple[str, str], Probe]) -> None:
    """Capabilities cache and domcapabilities: single-binary == per-target, normalised."""
    report = differences(probes["single", target], probes["per-target", target],
                         f"single qemu-system-{target}", f"per-target qemu-system-{target}")
    assert report is None, report


def test_target_dependent_flags(probes: dict[tuple[str, str], Probe],
                                libvirt_report: Callable[[str, str], Path]) -> None:
    """The flags whose value differs between targets, per build: the comparisons above are
    only worth something if libvirt tells the targets apart."""
    per_target = {t: probes["per-target", t].flags for t in SINGLE_TARGETS}
    rows = differing_flags(per_target)
    columns = {f"{t}\n{kind}": probes[kind, t].flags for t in SINGLE_TARGETS for kind in KINDS}
    counts = ", ".join(f"{t} {len(per_target[t])}" for t in SINGLE_TARGETS)
    times = ", ".join(f"{kind} {t} {probes[kind, t].seconds:.1f}"
                      for t in SINGLE_TARGETS for kind in KINDS)
    libvirt_report("flags-10.0", (
        f"libvirt: {len(rows)} target-dependent capability flags, QEMU 10.0, per-target vs "
        f"single-binary qemu-system-X (x = flag set; flags per target: {counts})\n"
        + flag_table(columns, rows) + f"\nprobe seconds: {times}"))
    assert rows
    for target in SINGLE_TARGETS:
        assert {f for f in rows if f in columns[f"{target}\nsingle"]} == \
            {f for f in rows if f in columns[f"{target}\nper-target"]}


# --- planted faults -------------------------------------------------------------------------

def _commands(binary: Path) -> set[str]:
    with runner.QMPProcess(binary) as qmp:
        (reply,) = qmp.exchange('{"execute": "query-commands"}')
    assert isinstance(reply, dict), reply
    return {c["name"] for c in reply["return"]}


def test_relay_changes_nothing(libvirtd: Libvirtd, builds: dict[str, QemuBuild],
                               probes: dict[tuple[str, str], Probe], tmp_path: Path) -> None:
    """Control for the fault below: the QMP relay itself changes nothing libvirt records."""
    binary = builds["single"].system("x86_64")
    relayed = libvirtd.probe(filtered_emulator(tmp_path, binary, ()), arch="x86_64")
    report = differences(relayed, probes["single", "x86_64"], "relayed", "direct")
    assert report is None, report


def test_missing_commands_are_noticed(libvirtd: Libvirtd, builds: dict[str, QemuBuild],
                                      probes: dict[tuple[str, str], Probe], tmp_path: Path,
                                      libvirt_report: Callable[[str, str], Path]) -> None:
    """Planted fault: single-binary qemu-system-x86_64 without the commands the per-target
    x86_64 has and the per-target s390x has not (as a single binary that failed to register
    its target's commands would be): the comparison with per-target x86_64 must fail, on flags
    lost and none gained."""
    upstream = builds["per-target"]
    only_x86 = _commands(upstream.system("x86_64")) - _commands(upstream.system("s390x"))
    assert only_x86
    faulty = libvirtd.probe(filtered_emulator(tmp_path, builds["single"].system("x86_64"),
                                              only_x86), arch="x86_64")
    reference = probes["per-target", "x86_64"]
    report = differences(faulty, reference, "faulty single", "per-target")
    assert report is not None
    lost = reference.flags - faulty.flags
    assert lost and faulty.flags < reference.flags, report
    # The same measured on the single binary alone (the helper for later comparisons).
    assert flags_from_commands(libvirtd, builds["single"].system("x86_64"), only_x86, tmp_path,
                               arch="x86_64") == lost
    libvirt_report("flags-from-x86_64-only-commands-10.0", (
        f"libvirt flags derived from the {len(only_x86)} commands that QEMU 10.0 x86_64 has and "
        f"s390x has not ({', '.join(sorted(only_x86))}): lost when they are missing\n"
        + flag_table({"per-target": reference.flags, "without them": faulty.flags},
                     sorted(lost))))
