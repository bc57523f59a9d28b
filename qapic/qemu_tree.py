"""What qapic reads from a QEMU source tree: the targets it can build and the symbols each defines.

QEMU's meson.build turns ``configs/targets/<name>-softmmu.mak`` into ``<name>-config-target.h``:
every ``TARGET_*`` key of the file is defined (a ``y`` as 1, an ``n`` as 0 -- still defined),
``TARGET_<ARCH>`` and ``TARGET_<BASE_ARCH>`` are added (the base arch defaults to the arch),
``TARGET_BIG_ENDIAN`` is always present, and a few keys are not turned into macros at all.
"""

from __future__ import annotations

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
    """Every system-emulation target of *tree*, in name order."""
    directory = tree / "configs" / "targets"
    if not directory.is_dir():
        raise QemuTreeError(f"{tree} is not a QEMU source tree (no configs/targets)")
    targets = [read_target(mak) for mak in sorted(directory.glob("*-softmmu.mak"))]
    if not targets:
        raise QemuTreeError(f"{directory}: no *-softmmu.mak files")
    return TargetTable(tuple(targets))
