"""``qapic introspect`` against QEMU's own generator (run as a subprocess, output evaluated).

For QEMU 10.0's system-emulator schema: every ``*-softmmu`` target with ``--target``; several
CONFIG_* sets on several targets; ``--unmask``; the guest agent's and the storage daemon's
schemas.  For 10.2 (no TARGET_* conditions left in its schema): a few targets.

The expectation is upstream's ``qapi-introspect.c`` compiled, in effect, with the same symbols
(see tests/oracle/upstream.py); the target's TARGET_* symbols come from tests/oracle/targets.py,
written from QEMU's meson.build independently of qapic.

qapic runs as a subprocess, once per case; the cases selected for this session are started up
front on a small thread pool (one per core, at most 4), so the module takes about
(cases x qapic's time) / cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.oracle.diff import describe
from tests.oracle.qapic_run import Prefetch, QapicFailed, run_introspect, selected_params
from tests.oracle.targets import softmmu_targets, target_symbols
from tests.oracle.upstream import UpstreamOracle, shared_oracle

# --- symbol sets (only symbols that occur in the schemas' 'if's, unless noted) ---------------

NONE: frozenset[str] = frozenset()

ACCEL_TCG = frozenset({"CONFIG_TCG"})
ACCEL_KVM = frozenset({"CONFIG_KVM", "CONFIG_TCG"})

# What a Linux distribution's build typically defines (Debian-like, x86_64 host), including
# the HAVE_* macros that QEMU's own headers define on Linux and CONFIG_SLIRP, which occurs in no
# 'if' (so it must change nothing).
DISTRO = frozenset({
    "CONFIG_LINUX", "CONFIG_POSIX", "CONFIG_TCG", "CONFIG_KVM", "CONFIG_SLIRP",
    "CONFIG_SPICE", "CONFIG_SPICE_PROTOCOL", "CONFIG_VNC", "CONFIG_TPM", "CONFIG_REPLICATION",
    "CONFIG_GTK", "CONFIG_SDL", "CONFIG_OPENGL", "CONFIG_CURSES", "CONFIG_BRLAPI",
    "CONFIG_PIXMAN", "CONFIG_DBUS_DISPLAY",
    "CONFIG_AUDIO_ALSA", "CONFIG_AUDIO_PA", "CONFIG_AUDIO_PIPEWIRE", "CONFIG_AUDIO_JACK",
    "CONFIG_AUDIO_OSS", "CONFIG_AUDIO_SDL",
    "CONFIG_LIBUDEV", "CONFIG_FDT", "CONFIG_ZSTD", "CONFIG_LINUX_IO_URING",
    "CONFIG_SECRET_KEYRING", "CONFIG_VHOST_CRYPTO", "CONFIG_VHOST_USER_BLK_SERVER",
    "CONFIG_VDUSE_BLK_EXPORT", "CONFIG_FUSE", "CONFIG_EBPF", "CONFIG_AF_XDP",
    "CONFIG_LIBPMEM", "CONFIG_POSIX_FALLOCATE", "CONFIG_INOTIFY1", "CONFIG_MEM_DEVICE",
    "CONFIG_BLKIO", "CONFIG_BLKIO_VHOST_VDPA_FD", "CONFIG_GLUSTERFS_ZEROFILL",
    "CONFIG_GLUSTERFS_FALLOCATE",
    "HAVE_CHARDEV_PARALLEL", "HAVE_CHARDEV_SERIAL", "HAVE_HOST_BLOCK_DEVICE",
    "HAVE_IPPROTO_MPTCP", "HAVE_TCP_KEEPCNT", "HAVE_TCP_KEEPIDLE", "HAVE_TCP_KEEPINTVL",
})

# A Windows build: no CONFIG_POSIX / CONFIG_LINUX, and the few Windows-only symbols.
WINDOWS = frozenset({
    "CONFIG_WIN32", "CONFIG_TCG", "CONFIG_VNC", "CONFIG_SDL", "CONFIG_GTK", "CONFIG_OPENGL",
    "CONFIG_AUDIO_DSOUND", "CONFIG_AUDIO_SDL", "CONFIG_PIXMAN", "CONFIG_ZSTD",
    "HAVE_CHARDEV_SERIAL",
})

# A macOS build.
MACOS = frozenset({
    "CONFIG_POSIX", "CONFIG_DARWIN", "CONFIG_TCG", "CONFIG_COCOA", "CONFIG_VMNET",
    "CONFIG_AUDIO_COREAUDIO", "CONFIG_VNC", "CONFIG_PIXMAN", "HAVE_CHARDEV_SERIAL",
    "HAVE_HOST_BLOCK_DEVICE",
})

# Everything any 10.0/10.2 schema tests (and a Windows+POSIX mix no real build has).
EVERYTHING = DISTRO | WINDOWS | MACOS | frozenset({
    "CONFIG_FREEBSD", "CONFIG_AUDIO_SNDIO", "CONFIG_QPL", "CONFIG_UADK", "CONFIG_QATZIP",
    "CONFIG_PASST", "CONFIG_IGVM",
})

QGA_LINUX = frozenset({"CONFIG_POSIX", "CONFIG_LINUX", "CONFIG_FSFREEZE", "CONFIG_FSTRIM",
                       "CONFIG_GETLOADAVG", "CONFIG_LIBUDEV", "HAVE_GETIFADDRS", "HAVE_UTMPX"})
QGA_FREEBSD = frozenset({"CONFIG_POSIX", "CONFIG_FREEBSD", "CONFIG_FSFREEZE",
                         "CONFIG_GETLOADAVG", "HAVE_GETIFADDRS", "HAVE_UTMPX"})
QGA_WINDOWS = frozenset({"CONFIG_WIN32", "CONFIG_FSFREEZE", "CONFIG_FSTRIM"})

SETS: dict[str, frozenset[str]] = {
    "none": NONE, "tcg": ACCEL_TCG, "kvm": ACCEL_KVM, "distro": DISTRO, "windows": WINDOWS,
    "macos": MACOS, "everything": EVERYTHING, "qga-linux": QGA_LINUX,
    "qga-freebsd": QGA_FREEBSD, "qga-windows": QGA_WINDOWS,
}

SYSTEM = "qapi/qapi-schema.json"
QGA = "qga/qapi-schema.json"
STORAGE_DAEMON = "storage-daemon/qapi/qapi-schema.json"


@dataclass(frozen=True)
class Case:
    version: str            # "10.0" | "10.2"
    schema: str             # relative to the tree
    target: str | None
    symset: str             # key of SETS
    unmask: bool = False

    @property
    def id(self) -> str:
        parts = [self.version, Path(self.schema).parts[0] if self.schema != SYSTEM else "system",
                 self.target or "notarget", self.symset]
        if self.unmask:
            parts.append("unmask")
        return "-".join(parts)


# The 29 softmmu targets of 10.0 (checked against the tree by test_target_list_is_complete).
TARGETS_10_0 = [
    "aarch64", "alpha", "arm", "avr", "hppa", "i386", "loongarch64", "m68k", "microblaze",
    "microblazeel", "mips", "mips64", "mips64el", "mipsel", "or1k", "ppc", "ppc64", "riscv32",
    "riscv64", "rx", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "tricore", "x86_64", "xtensa",
    "xtensaeb",
]


def _cases() -> list[Case]:
    cases = [Case("10.0", SYSTEM, t, "none") for t in TARGETS_10_0]
    for symset, targets in [
        ("kvm", ["x86_64", "aarch64", "s390x", "ppc64", "riscv64", "loongarch64", "mips64el"]),
        ("distro", ["x86_64", "i386", "aarch64", "arm", "s390x", "riscv64", "ppc64"]),
        ("windows", ["x86_64", "aarch64"]),
        ("macos", ["aarch64", "x86_64"]),
        ("everything", ["x86_64", "s390x", "loongarch64"]),
    ]:
        cases += [Case("10.0", SYSTEM, t, symset) for t in targets]
    cases += [
        Case("10.0", SYSTEM, None, "distro"),
        Case("10.0", SYSTEM, "x86_64", "distro", unmask=True),
        Case("10.0", SYSTEM, "aarch64", "none", unmask=True),
        Case("10.0", QGA, None, "none"),
        Case("10.0", QGA, None, "qga-linux"),
        Case("10.0", QGA, None, "qga-freebsd"),
        Case("10.0", QGA, None, "qga-windows"),
        Case("10.0", QGA, None, "qga-linux", unmask=True),
        Case("10.0", STORAGE_DAEMON, None, "none"),
        Case("10.0", STORAGE_DAEMON, None, "distro"),
        Case("10.0", STORAGE_DAEMON, None, "distro", unmask=True),
        Case("10.2", SYSTEM, "x86_64", "distro"),
        Case("10.2", SYSTEM, "aarch64", "distro"),
        Case("10.2", SYSTEM, "s390x", "kvm"),
        Case("10.2", SYSTEM, "riscv64", "none"),
        Case("10.2", SYSTEM, None, "everything"),
        Case("10.2", SYSTEM, "x86_64", "distro", unmask=True),
        Case("10.2", QGA, None, "qga-linux"),
        Case("10.2", STORAGE_DAEMON, None, "distro"),
    ]
    return cases


CASES = {c.id: c for c in _cases()}
assert len(CASES) == len(_cases()), "duplicate case ids"

_TREE_FIXTURE = {"10.0": "qemu_10_0", "10.2": "qemu_10_2"}


def _run_qapic(case: Case, tree: Path) -> Any:
    return run_introspect(tree / case.schema, defines=SETS[case.symset], target=case.target,
                          qemu_src=tree, unmask=case.unmask)


@pytest.fixture(scope="module")
def qapic_results(request: pytest.FixtureRequest, qemu_10_0: Path,
                  qemu_10_2: Path) -> Iterator[Prefetch]:
    trees = {"10.0": qemu_10_0, "10.2": qemu_10_2}

    def run(cid: str) -> Any:
        case = CASES[cid]
        return _run_qapic(case, trees[case.version])

    prefetch = Prefetch(run, selected_params(request, "cid"))
    yield prefetch
    prefetch.close()


@pytest.fixture(scope="module")
def oracles(qemu_10_0: Path, qemu_10_2: Path) -> dict[str, UpstreamOracle]:
    return {"10.0": shared_oracle(qemu_10_0), "10.2": shared_oracle(qemu_10_2)}


def _expected(case: Case, tree: Path, oracle: UpstreamOracle) -> Any:
    defined = set(SETS[case.symset])
    if case.target is not None:
        defined |= target_symbols(tree, case.target)
    return oracle.introspect(tree / case.schema, defined, unmask=case.unmask)


@pytest.mark.parametrize("cid", list(CASES))
def test_introspect_matches_upstream(cid: str, qapic_results: Prefetch,
                                     oracles: dict[str, UpstreamOracle],
                                     request: pytest.FixtureRequest) -> None:
    case = CASES[cid]
    tree: Path = request.getfixturevalue(_TREE_FIXTURE[case.version])
    expected = _expected(case, tree, oracles[case.version])
    failure = None
    try:
        actual = qapic_results.result(cid)
    except QapicFailed as err:
        failure = str(err)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    if actual != expected:
        pytest.fail(f"qapic introspect differs from upstream's generator for {cid}:\n"
                    + describe(expected, actual), pytrace=False)


def test_target_list_is_complete(qemu_10_0: Path) -> None:
    assert softmmu_targets(qemu_10_0) == TARGETS_10_0


def test_cases_are_distinct(oracles: dict[str, UpstreamOracle], qemu_10_0: Path) -> None:
    """The oracle tells the chosen symbol sets apart (so the cases test something)."""
    schema = qemu_10_0 / SYSTEM
    values = {name: oracles["10.0"].introspect(schema, SETS[name] | target_symbols(qemu_10_0,
                                                                                  "x86_64"))
              for name in ("none", "kvm", "distro", "windows", "macos", "everything")}
    seen: list[Any] = []
    for name, v in values.items():
        assert v not in seen, f"symbol set {name} gives the same schema as an earlier one"
        seen.append(v)
    # and CONFIG_SLIRP, which no 'if' tests, changes nothing
    assert oracles["10.0"].introspect(schema, DISTRO) == \
        oracles["10.0"].introspect(schema, DISTRO - {"CONFIG_SLIRP"})


def test_10_2_has_no_target_conditions(oracles: dict[str, UpstreamOracle],
                                       qemu_10_2: Path) -> None:
    """10.2 decides target-specific commands at run time: its introspection has no TARGET_*
    conditions, so --target must not change it."""
    schema = qemu_10_2 / SYSTEM
    assert not {s for s in oracles["10.2"].symbols(schema) if s.startswith("TARGET_")}
    assert oracles["10.2"].introspect(schema, DISTRO) == \
        oracles["10.2"].introspect(schema, DISTRO | target_symbols(qemu_10_2, "x86_64"))
