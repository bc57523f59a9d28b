"""Reads debian-7.2-amd64.config: the CONFIG_* (and HAVE_*) symbols of Debian 12's QEMU build."""

from __future__ import annotations

import fnmatch
import re
import tarfile
from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("debian-7.2-amd64.config")


def load(path: Path = CONFIG_FILE) -> dict[str, frozenset[str] | None]:
    """Symbol -> the targets it is defined for (None: every target)."""
    out: dict[str, frozenset[str] | None] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and not words[1].startswith("@")):
            raise ValueError(f"{path.name}:{n}: expected 'SYMBOL [@t1,t2]', got {raw!r}")
        sym = words[0]
        if sym in out:
            raise ValueError(f"{path.name}:{n}: {sym} listed twice")
        out[sym] = frozenset(words[1][1:].split(",")) if len(words) == 2 else None
    return out


def symbols_for(target: str, path: Path = CONFIG_FILE) -> frozenset[str]:
    """The CONFIG_*/HAVE_* symbols the Debian build defines for *target*."""
    return frozenset(sym for sym, targets in load(path).items()
                     if targets is None or target in targets)


def debian_tarball(qemu_tree: Path) -> Path | None:
    """The ``qemu_*.debian.tar.xz`` that scripts/qemu-source downloaded next to *qemu_tree*."""
    found = sorted((qemu_tree.parent / "download-7.2").glob("qemu_*.debian.tar.*"))
    return found[-1] if found else None


def read_debian_files(tarball: Path, names: tuple[str, ...] = ("debian/control", "debian/rules")
                      ) -> dict[str, str]:
    with tarfile.open(tarball) as tar:
        out: dict[str, str] = {}
        for name in names:
            f = tar.extractfile(name)
            if f is None:
                raise FileNotFoundError(f"{name} not in {tarball.name}")
            out[name] = f.read().decode("utf-8")
        return out


def configure_flags(control: str, os_arch: str = "linux-amd64") -> list[str]:
    """What ``debian/extract-config-opts OS-ARCH debian/control`` prints: the ``# --flag<TAB>
    pattern`` comments of debian/control whose shell case pattern matches *os_arch* (no pattern:
    every architecture)."""
    flags: list[str] = []
    for line in control.splitlines():
        m = re.match(r"^# ?(--.*)$", line)
        if m is None:
            continue
        fields = m.group(1).split("\t")
        flag = fields[0]
        pattern = next((f for f in fields[1:] if f), "*").strip()
        if any(fnmatch.fnmatchcase(os_arch, alt) for alt in pattern.split("|")):
            flags.extend(flag.split())
    return flags


def claimed_flags(path: Path = CONFIG_FILE) -> dict[str, str]:
    """Symbol -> the configure flag its comment says debian/rules passes ('rules: --enable-x')."""
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        words = raw.split("#", 1)
        if len(words) == 2 and words[0].split():
            m = re.search(r"\brules: (--[\w-]+)", words[1])
            if m:
                out[words[0].split()[0]] = m.group(1)
    return out
