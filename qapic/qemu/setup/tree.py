"""Setting a QEMU source tree up for qapic, and undoing it: which QEMU release the tree is, the
launcher in place of ``scripts/qapi-gen.py``, the single-binary patch (see
:mod:`qapic.qemu.setup`)."""

from __future__ import annotations

import os
from pathlib import Path

from qapic.qemu.releases import UnsupportedRelease, tree_series
from qapic.qemu.setup.launcher import RELEASES, Release, is_launcher, launcher_text
from qapic.qemu.setup.patching import (
    SetupError,
    apply_patch,
    copy_kept,
    replace_keeping_owner,
    revert_patch,
    write_atomic,
)

GENERATOR = Path("scripts/qapi-gen.py")
UPSTREAM = Path("scripts/qapi-gen-upstream.py")
PATCHES = Path(__file__).resolve().parent.parent / "patches"


def check_tree(tree: Path) -> None:
    if not (tree / "scripts" / "qapi").is_dir() or not (
            (tree / GENERATOR).is_file() or (tree / UPSTREAM).is_file()):
        raise SetupError(f"{tree} is not a QEMU source tree (no scripts/qapi-gen.py)")


def tree_release(tree: Path) -> Release:
    """The release of *tree* (its VERSION file), if qapic builds it (:mod:`qapic.qemu.releases`,
    the policy ``qapic generate`` follows too); else SetupError, before anything is changed."""
    try:
        return RELEASES[tree_series(tree)]
    except UnsupportedRelease as err:
        raise SetupError(f"{err}; nothing was changed") from None


def release_for(tree: Path) -> tuple[Release, Path]:
    """What single-binary mode knows of the QEMU release of *tree*, and its patch."""
    release = tree_release(tree)
    patch = PATCHES / f"single-binary-{release.series}.patch"
    if not patch.is_file():
        raise SetupError(f"{tree}: QEMU {release.series}: qapic has no single-binary patch for "
                         "it; nothing was changed")
    return release, patch


def patch_for(tree: Path) -> Path:
    """The project's single-binary patch for the QEMU version of *tree*."""
    return release_for(tree)[1]


def setup(tree: Path, python: str, package_root: str, single_binary: bool = False) -> bool:
    """Install the launcher in *tree* (and the single-binary patch when asked); return whether
    anything changed."""
    check_tree(tree)
    release: Release | None = tree_release(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists() and is_launcher(generator):
        raise SetupError(f"{generator} is qapic's launcher but {upstream} is missing")
    if single_binary:
        release, patch = release_for(tree)
        changed = apply_patch(tree, patch)
    else:
        release = None
        changed = revert_patch(tree)
    if not upstream.exists():
        copy_kept(generator, upstream)        # content, mode, owner: --undo restores them
    text = launcher_text(python, package_root, single_binary, release)
    try:
        if generator.read_text(encoding="utf-8") == text:
            return changed
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(generator, text.encode("utf-8"), generator_mode(generator))
    return True


def generator_mode(generator: Path) -> int:
    """The mode scripts/qapi-gen.py keeps whatever it holds: meson decides at configure time
    whether to run it directly (executable) or through its ``#!`` interpreter, so changing the
    mode would break a configured build (Debian's QEMU source has it non-executable)."""
    try:
        return generator.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o755


def undo(tree: Path) -> bool:
    """Put QEMU's generator and the files a patch changed back in *tree*; return whether
    anything changed."""
    check_tree(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists() and is_launcher(generator):
        raise SetupError(f"{upstream} is missing: cannot restore QEMU's generator")
    changed = revert_patch(tree)
    if not upstream.exists():
        return changed
    mode = generator_mode(generator)
    replace_keeping_owner(upstream, generator)
    os.chmod(generator, mode)
    os.utime(generator)     # newer than qapic's outputs: the next build regenerates them
    return True
