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
