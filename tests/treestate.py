"""What a test of ``qapic qemu-setup`` compares before and after: a tree's files, exactly."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_state(tree: Path) -> dict[str, tuple[str, int, int]]:
    """Every file's content hash, mode and modification time."""
    out = {}
    for path in sorted(tree.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            st = path.stat()
            out[path.relative_to(tree).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mode, st.st_mtime_ns)
    return out



def without_times(state: dict[str, tuple[str, int, int]]) -> dict[str, tuple[str, int]]:
    """*state* with content hashes and modes only."""
    return {name: (digest, mode) for name, (digest, mode, _) in state.items()}


def content_state(tree: Path) -> dict[str, tuple[str, int]]:
    """Every file's content hash and mode: what ``qemu-setup --undo`` restores exactly (it gives
    restored files the current time, so that the tree's next build notices them)."""
    return without_times(tree_state(tree))
