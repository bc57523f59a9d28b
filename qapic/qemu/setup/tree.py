"""Setting a QEMU source tree up for qapic, and undoing it: which QEMU release the tree is, the
launcher in place of ``scripts/qapi-gen.py``, the single-binary patch (see
:mod:`qapic.qemu.setup`)."""

from __future__ import annotations

import os
from pathlib import Path

from qapic.qemu.releases import UnsupportedRelease, tree_series
from qapic.qemu.setup.launcher import (
    RELEASES,
    SINGLE_BINARY_SCHEMAS,
    Release,
    is_launcher,
    launcher_text,
)
from qapic.qemu.setup.patching import (
    STATE_CONDITIONS,
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


class ConditionsRejected(SetupError):
    """The conditions file given to setup does not pass ``qapic check --conditions``; *details*
    are what the check found, one line each."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details


def checked_conditions(tree: Path, conditions: Path) -> bytes:
    """The content of the conditions file *conditions*, checked on the system schema of *tree*
    (``qapi/qapi-schema.json``, the one the launcher gives it to) as ``qapic check
    --conditions`` checks it: every name it gives is in the schema and every condition well
    formed, and on no target of the tree (with or without KVM) does an item visible there refer
    to a type the conditions hide there.  ConditionsRejected when it does not pass."""
    from qapic.check import conditions_problems
    from qapic.frontend import QAPIError, load_schema
    from qapic.frontend.overlay import load_optional
    from qapic.qemu_tree import QemuTreeError, read_target_table

    data = conditions.read_bytes()
    unchanged = "; nothing was changed"
    try:
        schema = load_schema(str(tree / SINGLE_BINARY_SCHEMAS[0]),
                             overlay=load_optional(str(conditions)))
        table = read_target_table(tree)
    except QAPIError as err:
        raise ConditionsRejected(f"{conditions}: not applied: it does not fit the schema of "
                                 f"{tree} (above){unchanged}", str(err).splitlines()) from None
    except (QemuTreeError, OSError) as err:
        raise SetupError(f"{tree}: {err}{unchanged}") from None
    problems = conditions_problems(schema, table)
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise ConditionsRejected(
            f"{conditions}: not applied: on some targets an item visible there refers to a type "
            f"it hides there ({count} above, as 'qapic check --conditions' finds them)"
            f"{unchanged}", problems)
    return data


def setup(tree: Path, python: str, package_root: str, single_binary: bool = False,
          conditions: Path | None = None) -> bool:
    """Install the launcher in *tree* (and the single-binary patch when asked, with the
    conditions file *conditions* instead of the one qapic ships for the release, if any);
    return whether anything changed."""
    check_tree(tree)
    release: Release | None = tree_release(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists() and is_launcher(generator):
        raise SetupError(f"{generator} is qapic's launcher but {upstream} is missing")
    own = None
    if single_binary:
        release, patch = release_for(tree)
        if conditions is not None:
            own = checked_conditions(tree, conditions)
        changed = apply_patch(tree, patch)
        changed = _keep_conditions(tree, own) or changed
    else:
        release = None
        changed = revert_patch(tree)
    if not upstream.exists():
        copy_kept(generator, upstream)        # content, mode, owner: --undo restores them
    text = launcher_text(python, package_root, single_binary, release, own)
    try:
        if generator.read_text(encoding="utf-8") == text:
            return changed
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(generator, text.encode("utf-8"), generator_mode(generator))
    return True


def _keep_conditions(tree: Path, own: bytes | None) -> bool:
    """Keep *own* (the checked conditions file) in the tree for the launcher, or none; return
    whether that changed anything."""
    kept = tree / STATE_CONDITIONS
    try:
        before: bytes | None = kept.read_bytes()
    except FileNotFoundError:
        before = None
    if before == own:
        return False
    if own is None:
        kept.unlink()
    else:
        write_atomic(kept, own, 0o644)
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
