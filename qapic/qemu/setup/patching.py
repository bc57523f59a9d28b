"""The QEMU-side patch of single-binary mode: parsed from a unified diff and applied to a tree all
or nothing, exactly (``patch -p1`` semantics, no fuzz), with the original files kept under
``.qapic-setup/`` so that it can be taken back byte for byte (see :mod:`qapic.qemu.setup`)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Where the files a patch changed are kept (at their paths below STATE_ORIG), with the patch.
STATE = Path(".qapic-setup")
STATE_PATCH = STATE / "applied.patch"
STATE_ORIG = STATE / "orig"
#: The conditions file given to ``qemu-setup --conditions``, as it was checked (the launcher
#: names it).
STATE_CONDITIONS = STATE / "conditions.json"

class SetupError(Exception):
    """The tree cannot be set up (or restored); the message says why."""


def owner_of(path: Path) -> tuple[int, int]:
    """The owner and group of *path*, else of the nearest directory above it that exists."""
    for candidate in (path, *path.parents):
        try:
            st = candidate.stat()
        except FileNotFoundError:
            continue
        return st.st_uid, st.st_gid
    return os.geteuid(), os.getegid()


def give_owner(path: Path, owner: tuple[int, int]) -> None:
    """Give *path* the user and group *owner*: setup run as root on another user's tree leaves
    every file it writes that user's, as the file it replaces or the directory it is made in.
    Anyone else cannot give a file away; the file stays theirs then, as before."""
    st = path.stat()
    if (st.st_uid, st.st_gid) != owner:
        with contextlib.suppress(PermissionError):
            os.chown(path, *owner)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` *path*, each new directory owned as the one it is made in."""
    if path.is_dir():
        return
    make_dirs(path.parent)
    path.mkdir()
    give_owner(path, owner_of(path.parent))


def copy_kept(source: Path, copy: Path) -> None:
    """*source* copied to *copy* with its content, mode and owner (what --undo restores)."""
    shutil.copy2(source, copy)
    give_owner(copy, owner_of(source))


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace *path* by a file holding *data* with *mode* and the owner of the file it
    replaces (or of its directory), or leave it as it was."""
    owner = owner_of(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        give_owner(Path(tmp), owner)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_keeping_owner(source: Path, path: Path) -> None:
    """Move *source* over *path*, with the owner *path* had (its mode is *source*'s)."""
    owner = owner_of(path)
    give_owner(source, owner)
    os.replace(source, path)


# --- parsing and applying ---------------------------------------------------------------------

@dataclass(frozen=True)
class Hunk:
    old_start: int                 # 1-based line number in the original
    old: tuple[str, ...]           # context and removed lines, with their line ends
    new: tuple[str, ...]           # context and added lines


@dataclass(frozen=True)
class FilePatch:
    path: str                      # relative to the tree (one leading component stripped)
    hunks: tuple[Hunk, ...]


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_patch(text: str, name: str = "patch") -> list[FilePatch]:
    """The files and hunks of unified diff *text* (``diff -u`` / ``git diff`` output; lines
    outside a file's hunks are commentary).  Paths lose one leading component (``patch -p1``)."""
    lines = text.splitlines(keepends=True)
    files: list[FilePatch] = []
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("--- ") and i + 1 < len(lines)
                and lines[i + 1].startswith("+++ ")):
            i += 1
            continue
        target = lines[i + 1][4:].rstrip("\n").split("\t")[0].strip()
        path = target.split("/", 1)[1] if "/" in target else ""
        if not path or path.startswith("/") or ".." in Path(path).parts:
            raise SetupError(f"{name}: bad file name {target!r}")
        i += 2
        hunks: list[Hunk] = []
        while i < len(lines) and (m := _HUNK.match(lines[i])):
            old_len = int(m.group(2) or 1)
            new_len = int(m.group(4) or 1)
            old: list[str] = []
            new: list[str] = []
            i += 1
            while len(old) < old_len or len(new) < new_len:
                if i >= len(lines):
                    raise SetupError(f"{name}: {path}: hunk {len(hunks) + 1} is cut short")
                line = lines[i]
                tag, rest = line[:1], line[1:]
                if line == "\n":                    # an empty context line, its space lost
                    tag, rest = " ", "\n"
                if tag == " ":
                    old.append(rest)
                    new.append(rest)
                elif tag == "-":
                    old.append(rest)
                elif tag == "+":
                    new.append(rest)
                elif not line.startswith("\\"):
                    raise SetupError(f"{name}: {path}: bad line in hunk {len(hunks) + 1}: "
                                     f"{line.rstrip()!r}")
                i += 1
            hunks.append(Hunk(int(m.group(1)), tuple(old), tuple(new)))
        if not hunks:
            raise SetupError(f"{name}: {path}: no hunks")
        files.append(FilePatch(path, tuple(hunks)))
    if not files:
        raise SetupError(f"{name}: no file to patch")
    return files


def apply_file_patch(text: str, fp: FilePatch) -> str:
    """*text* with the hunks of *fp* applied; SetupError when one does not match exactly.

    Each hunk is looked for at its line (moved as much as the hunks before it moved the file),
    else at the nearest line after the previous hunk where all its lines match; no fuzz."""
    lines = text.splitlines(keepends=True)
    shift = 0
    at_least = 0
    for number, hunk in enumerate(fp.hunks, 1):
        want = list(hunk.old)
        size = len(want)
        expected = max(hunk.old_start - 1, 0) + shift
        for pos in sorted(range(at_least, len(lines) - size + 1),
                          key=lambda p: abs(p - expected)):
            if lines[pos:pos + size] == want:
                break
        else:
            raise SetupError(f"{fp.path}: hunk {number} (line {hunk.old_start}) does not match")
        lines[pos:pos + size] = hunk.new
        shift += len(hunk.new) - size
        at_least = pos + len(hunk.new)
    return "".join(lines)


def _read_texts(root: Path, paths: list[str]) -> dict[str, str]:
    texts = {}
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            texts[path] = (root / path).read_text(encoding="utf-8")
    return texts


def _patched(tree: Path, files: list[FilePatch], name: str,
             sources: dict[str, str]) -> dict[str, str]:
    """The new content of every file in *files*, applied to *sources* (path to text)."""
    result = {}
    for fp in files:
        if fp.path not in sources:
            raise SetupError(f"{tree}: cannot apply {name}: no {fp.path}")
        try:
            result[fp.path] = apply_file_patch(sources[fp.path], fp)
        except SetupError as err:
            raise SetupError(f"{tree}: cannot apply {name}: {err} (not the QEMU release it was "
                             "made for, or changed since?); nothing was changed") from None
    return result


def apply_patch(tree: Path, patch: Path) -> bool:
    """Apply *patch* to *tree* (all files or none), keeping the originals under STATE; return
    whether anything changed.  A different patch applied before is taken back first."""
    text = patch.read_text(encoding="utf-8")
    files = parse_patch(text, patch.name)
    paths = [fp.path for fp in files]
    state = tree / STATE_PATCH
    if state.is_file():
        before = state.read_text(encoding="utf-8")
        before_files = parse_patch(before, str(STATE_PATCH))
        before_paths = [fp.path for fp in before_files]
        originals = _read_texts(tree / STATE_ORIG, before_paths)
        now = _read_texts(tree, before_paths)
        expected = _patched(tree, before_files, str(STATE_PATCH), originals)
        if now != expected:
            edited = ", ".join(p for p in before_paths if now.get(p) != expected[p])
            raise SetupError(f"{tree}: {edited}: changed since qapic patched it; --undo puts "
                             "QEMU's original back (and drops the change)")
        if before == text:
            return False
        # The originals must take the new patch before they are put back.
        _patched(tree, files, patch.name, {**_read_texts(tree, paths), **originals})
    revert_patch(tree)
    want = _patched(tree, files, patch.name, _read_texts(tree, paths))
    orig = tree / STATE_ORIG
    for path in want:
        make_dirs((orig / path).parent)
        copy_kept(tree / path, orig / path)     # content, mode, owner: --undo restores them
    write_atomic(tree / STATE_PATCH, text.encode("utf-8"), 0o644)
    for path, content in want.items():
        mode = (tree / path).stat().st_mode & 0o7777
        write_atomic(tree / path, content.encode("utf-8"), mode)
    return True


def revert_patch(tree: Path) -> bool:
    """Put back the files a patch changed (kept under STATE); return whether there was one."""
    state = tree / STATE
    if not state.exists():
        return False
    orig = tree / STATE_ORIG
    if orig.is_dir():
        for kept in sorted(p for p in orig.rglob("*") if p.is_file()):
            restored = tree / kept.relative_to(orig)
            replace_keeping_owner(kept, restored)
            # Content and mode as before, but a new time: the build must notice the change
            # (meson reconfigures from the restored meson.build, the C files recompile).
            os.utime(restored)
    shutil.rmtree(state)
    return True
