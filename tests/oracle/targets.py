"""A target's TARGET_* preprocessor symbols, the way QEMU's meson.build makes config-target.h.

Written from QEMU 10.0's meson.build (the ``foreach target : target_dirs`` loop; 7.2's is the
same in these respects), independently of qapic's own implementation:

* ``config_target`` starts as ``{TARGET_NAME: <target without -softmmu>}`` and gets every
  ``KEY=VALUE`` line of ``configs/targets/<target>.mak`` (meson's ``keyval.load``);
* ``TARGET_<ARCH>`` (``TARGET_ARCH`` upper-cased) is added as 'y';
* ``TARGET_BASE_ARCH`` defaults to ``TARGET_ARCH``; ``TARGET_BIG_ENDIAN`` defaults to 'n';
* writing config-target.h: keys not starting with ``TARGET_``/``CONFIG_`` are skipped, as are
  ``TARGET_XML_FILES``, ``TARGET_ABI_DIR``, ``TARGET_ARCH``; ``TARGET_BASE_ARCH`` becomes
  ``TARGET_<BASE_ARCH>`` = 1; every other key is ``#define``d ('y' -> 1, 'n' -> 0, else its
  value), so a key whose value is 'n' (``TARGET_BIG_ENDIAN``) is still *defined*.

Only the TARGET_* symbols are returned (the CONFIG_* ones of config-target.h, such as
CONFIG_SOFTMMU or the accelerators, depend on the build, not on the target file).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

IGNORED = frozenset({"TARGET_XML_FILES", "TARGET_ABI_DIR", "TARGET_ARCH"})


def load_keyval(path: Path) -> dict[str, str]:
    """meson's ``keyval.load``: ``KEY=VALUE`` lines; '#' comments and blank lines skipped."""
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


def softmmu_targets(tree: Path) -> list[str]:
    """Names of the system-emulation targets of *tree* (``aarch64``, ``arm``, ...)."""
    return sorted(p.name[: -len("-softmmu.mak")]
                  for p in (Path(tree) / "configs" / "targets").glob("*-softmmu.mak"))


def target_config(tree: Path, target: str) -> dict[str, str]:
    """The TARGET_* keys of config-target.h for *target* with their meson values."""
    config: dict[str, str] = {"TARGET_NAME": target}
    config.update(load_keyval(Path(tree) / "configs" / "targets" / f"{target}-softmmu.mak"))
    config[f"TARGET_{config['TARGET_ARCH'].upper()}"] = "y"
    config.setdefault("TARGET_BASE_ARCH", config["TARGET_ARCH"])
    config.setdefault("TARGET_BIG_ENDIAN", "n")
    header: dict[str, str] = {}
    for key, value in config.items():
        if not key.startswith("TARGET_") or key in IGNORED:
            continue
        if key == "TARGET_BASE_ARCH":
            header[f"TARGET_{value.upper()}"] = "1"
        elif value == "y":
            header[key] = "1"
        elif value == "n":
            header[key] = "0"
        else:
            header[key] = value
    return header


def target_symbols(tree: Path, target: str) -> frozenset[str]:
    """The TARGET_* macros config-target.h defines for *target* (e.g. ``aarch64``)."""
    return frozenset(target_config(tree, target))


# --- CONFIG_KVM: meson.build's kvm_targets, for the host's CPU family --------------------------

#: The first word of the C compiler's target triple (``cc -dumpmachine``) -> meson's CPU family
#: (meson's host_machine.cpu_family(), which QEMU's meson.build tests as ``cpu``).
_TRIPLE_CPU = {"i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86", "x86_64": "x86_64",
               "aarch64": "aarch64", "arm": "arm", "armv7l": "arm", "s390x": "s390x",
               "powerpc": "ppc", "powerpc64": "ppc64", "powerpc64le": "ppc64", "mips": "mips",
               "mipsel": "mips", "mips64": "mips64", "mips64el": "mips64",
               "riscv32": "riscv32", "riscv64": "riscv64", "loongarch64": "loongarch64"}


def host_cpu_family() -> str:
    """meson's CPU family of this machine, from the target triple of the C compiler QEMU is
    built with (not assumed, and not qapic's reading of the host)."""
    cc = shutil.which("cc")
    if cc is None:
        raise RuntimeError("no C compiler (scripts/setup --test installs one)")
    triple = subprocess.run([cc, "-dumpmachine"], capture_output=True, text=True,
                            check=True).stdout.strip()
    cpu = triple.split("-", 1)[0]
    return _TRIPLE_CPU.get(cpu, cpu)


def kvm_targets(tree: Path, cpu_family: str) -> frozenset[str]:
    """The targets meson.build builds with CONFIG_KVM on a Linux host of *cpu_family*: the
    ``kvm_targets = [...]`` of the branch for it in the ``if cpu == 'X'`` / ``elif cpu in
    ['X', 'Y']`` / ``else`` chain that sets kvm_targets."""
    lines = (Path(tree) / "meson.build").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines[:-1]) if line.startswith("if cpu ")
                 and lines[i + 1].split()[:2] == ["kvm_targets", "="])
    branches: dict[str | None, list[str]] = {}
    conditions: list[str | None] = []
    for line in lines[start:]:
        words = line.split(None, 1)
        if words and words[0] in ("if", "elif"):
            cond = words[1].removeprefix("cpu").strip()
            op, _, value = cond.partition(" ")
            assert op in ("==", "in"), line
            conditions = [v.strip(" '") for v in value.strip("[] ").split(",")]
        elif words == ["else"]:
            conditions = [None]
        elif words == ["endif"]:
            break
        elif words[:1] == ["kvm_targets"]:
            value = line.split("=", 1)[1].strip().strip("[]")
            for c in conditions:
                branches[c] = [v.strip(" '") for v in value.split(",") if v.strip()]
    chosen = branches.get(cpu_family, branches.get(None, []))
    return frozenset(v.removesuffix("-softmmu") for v in chosen)
