"""Reads debian-7.2-amd64.config: the CONFIG_* (and HAVE_*) symbols of Debian 12's QEMU build."""

from __future__ import annotations

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
