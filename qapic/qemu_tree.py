"""What qapic reads from a QEMU source tree: the targets it can build and the symbols each defines.

QEMU's meson.build turns ``configs/targets/<name>-softmmu.mak`` into ``<name>-config-target.h``:
every ``TARGET_*`` key of the file is defined (a ``y`` as 1, an ``n`` as 0 -- still defined),
``TARGET_<ARCH>`` and ``TARGET_<BASE_ARCH>`` are added (the base arch defaults to the arch),
``TARGET_BIG_ENDIAN`` is always present, and a few keys are not turned into macros at all.

CONFIG_KVM is per target too (``Target.kvm``), and not in the ``.mak`` files: meson.build decides
it from the *host*.  Its ``kvm_targets`` list (one ``if cpu == ...`` branch per host CPU family,
turned into ``accelerator_targets = { 'CONFIG_KVM': kvm_targets }``) names the targets KVM can
run on that host, and only a Linux host has KVM at all (``accelerators += 'CONFIG_KVM'`` when
``host_os == 'linux'``).  A *build* directory says it exactly: ``<target>-config-target.h``
defines ``CONFIG_KVM`` for each target built with it.  :func:`read_targets_with_kvm` reads a
source tree by meson's rule for the host qapic runs on (or the host named), a build directory
from its headers (and then lists only the targets the build configured).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from qapic.conditions import Target, TargetTable

# Keys QEMU's meson.build deliberately leaves out of config-target.h (its `ignored` list),
# and keys it writes under another name (TARGET_BASE_ARCH becomes TARGET_<BASE_ARCH>).
_NOT_MACROS = frozenset({"TARGET_XML_FILES", "TARGET_ABI_DIR", "TARGET_ARCH", "TARGET_BASE_ARCH"})


class QemuTreeError(Exception):
    """A QEMU tree is missing or does not look like one."""


def find_tree(start: Path) -> Path | None:
    """The QEMU source tree containing *start* (a schema file or a directory), if any."""
    path = start.resolve()
    for candidate in (path, *path.parents):
        if (candidate / "configs" / "targets").is_dir():
            return candidate
    return None


_VERSION = re.compile(r"(\d+)\.(\d+)(\.\d+)*")


def read_version(tree: Path) -> tuple[int, int]:
    """The QEMU release (major, minor) of *tree*, from its ``VERSION`` file."""
    path = tree / "VERSION"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise QemuTreeError(f"{path}: cannot read it: {err.strerror}") from None
    match = _VERSION.fullmatch(text)
    if match is None:
        raise QemuTreeError(f"{path}: not a QEMU version: {text!r}")
    return int(match.group(1)), int(match.group(2))


def parse_version(text: str) -> tuple[int, int]:
    """``10.2`` or ``10.2.2`` as (10, 2); ValueError otherwise."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a QEMU version (MAJOR.MINOR): {text!r}")
    return int(match.group(1)), int(match.group(2))


def _read_mak(path: Path) -> dict[str, str]:
    keys: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        keys[key.strip()] = value.strip()
    return keys


def read_target(mak: Path) -> Target:
    name = mak.name.removesuffix("-softmmu.mak")
    keys = _read_mak(mak)
    arch = keys.get("TARGET_ARCH")
    if not arch:
        raise QemuTreeError(f"{mak}: no TARGET_ARCH")
    base_arch = keys.get("TARGET_BASE_ARCH", arch)
    symbols = {k for k in keys if k.startswith("TARGET_") and k not in _NOT_MACROS}
    symbols |= {"TARGET_" + arch.upper(), "TARGET_" + base_arch.upper(), "TARGET_BIG_ENDIAN"}
    return Target(name=name, arch=arch, base_arch=base_arch, symbols=frozenset(symbols))


def read_target_table(tree: Path) -> TargetTable:
    """Every system-emulation target of source tree *tree*, in name order (``kvm`` left
    False: see :func:`read_targets_with_kvm`)."""
    directory = tree / "configs" / "targets"
    if not directory.is_dir():
        raise QemuTreeError(f"{tree} is not a QEMU source tree (no configs/targets)")
    targets = [read_target(mak) for mak in sorted(directory.glob("*-softmmu.mak"))]
    if not targets:
        raise QemuTreeError(f"{directory}: no *-softmmu.mak files")
    return TargetTable(tuple(targets))


# --- CONFIG_KVM --------------------------------------------------------------------------------

#: platform.machine() spellings of meson's host CPU families (host_machine.cpu_family()).
_CPU_FAMILIES = {
    "x86_64": "x86_64", "amd64": "x86_64", "i386": "x86", "i486": "x86", "i586": "x86",
    "i686": "x86", "aarch64": "aarch64", "arm64": "aarch64", "s390x": "s390x",
    "ppc": "ppc", "ppc64": "ppc64", "ppc64le": "ppc64", "mips": "mips", "mips64": "mips64",
    "riscv32": "riscv32", "riscv64": "riscv64", "loongarch64": "loongarch64",
}

_KVM_BRANCH = re.compile(r"if cpu == '(\w+)'\s*\n\s*kvm_targets = \[([^\]]*)\]")


def host_cpu_family() -> str:
    """meson's name for the CPU family of the host qapic runs on."""
    # Imported here: importing it costs every qapic command's start-up.
    import platform
    machine = platform.machine().lower()
    return _CPU_FAMILIES.get(machine, machine)


def kvm_targets(tree: Path, cpu_family: str, host_is_linux: bool = True) -> frozenset[str]:
    """The targets (``x86_64``, not ``x86_64-softmmu``) QEMU's meson.build in *tree* builds with
    CONFIG_KVM on a host of *cpu_family*; none unless the host is Linux."""
    meson = tree / "meson.build"
    try:
        text = meson.read_text(encoding="utf-8")
    except OSError as err:
        raise QemuTreeError(f"{meson}: {err.strerror}") from None
    end = text.find("accelerator_targets = { 'CONFIG_KVM': kvm_targets }")
    if end < 0:
        raise QemuTreeError(f"{meson}: no kvm_targets (QEMU's rule for CONFIG_KVM) found")
    if not host_is_linux:
        return frozenset()
    for cpu, names in _KVM_BRANCH.findall(text[:end]):
        if cpu == cpu_family:
            return frozenset(n.strip().strip("'").removesuffix("-softmmu")
                             for n in names.split(",") if n.strip())
    return frozenset()


def _with_kvm(table: TargetTable, kvm: frozenset[str]) -> TargetTable:
    return TargetTable(tuple(t.with_kvm(t.name in kvm) for t in table))


def is_build_dir(path: Path) -> bool:
    return (path / "meson-info" / "meson-info.json").is_file()


def _build_source_dir(build: Path) -> Path:
    import json  # here: importing it costs every qapic command's start-up
    info = json.loads((build / "meson-info" / "meson-info.json").read_text(encoding="utf-8"))
    return Path(info["directories"]["source"])


def _defines(header: Path) -> frozenset[str]:
    return frozenset(re.findall(r"^#define (\w+)", header.read_text(encoding="utf-8"), re.M))


def read_targets_with_kvm(path: Path, cpu_family: str | None = None) -> TargetTable:
    """The targets of a QEMU source tree or build directory *path*, in name order, with
    CONFIG_KVM per target (see the module's docstring)."""
    if is_build_dir(path):
        source = read_target_table(_build_source_dir(path))
        configured: list[Target] = []
        for target in source:
            header = path / f"{target.name}-softmmu-config-target.h"
            if header.is_file():
                configured.append(target.with_kvm("CONFIG_KVM" in _defines(header)))
        if not configured:
            raise QemuTreeError(f"{path}: a build directory with no system-emulation target")
        return TargetTable(tuple(configured))
    table = read_target_table(path)
    linux = sys.platform.startswith("linux") if cpu_family is None else True
    return _with_kvm(table, kvm_targets(path, cpu_family or host_cpu_family(), linux))
