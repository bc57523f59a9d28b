"""``qapic qemu-setup QEMU_SRC [--single-binary] [--undo]``: make a QEMU source tree build its QAPI
code with qapic.

QEMU's meson runs ``scripts/qapi-gen.py`` for every schema it compiles.  Setup puts a small
launcher there that runs ``python -m qapic generate`` with the same arguments, using the Python
and the qapic package of the installation that ran the setup (found at run time, so no path is
stored anywhere but in the prepared tree).  QEMU's own script is kept beside it as
``scripts/qapi-gen-upstream.py``, runnable as before, so that both generators can be compared on
the same tree.  (``scripts/qemu-build --generator`` keeps it under the same name.)

``--single-binary`` builds every QAPI output once for all targets:

- The launcher adds ``--single-binary --targets-from BUILD_DIR`` for the two schemas whose output
  QEMU's programs link (``qapi/qapi-schema.json``; ``storage-daemon/qapi/qapi-schema.json``,
  which shares ``monitor/qmp-cmds-control.c``); other schemas (tests, guest agent) are generated
  as before.  BUILD_DIR is the directory meson runs the generator in (its build root, which is
  why QEMU passes ``-o qapi``): its ``<target>-softmmu-config-target.h`` files say which targets
  the build has and which of them have CONFIG_KVM (``qapic.qemu_tree``), so a build configured
  without KVM gives no target KVM-only things.  Run outside a meson build directory, the launcher
  refuses with an error instead of guessing.
- A QEMU-side patch kept in this package (``qemu_patches/single-binary-<major.minor>.patch``,
  chosen by the tree's ``VERSION``) is applied: ``qapi/meson.build`` compiles every generated
  ``.c`` in ``system_ss`` (once) instead of the per-target ``specific_ss`` and lists
  ``qapi-targets.[ch]`` among the outputs; ``query-qmp-schema`` returns
  ``qapi_introspect_qobject()``; and ``monitor/qmp-cmds.c``, right before ``qmp_init_marshal()``
  (in a constructor, so before ``main``), makes the active target ``target_name()``.  That name
  is ``TARGET_NAME`` compiled into ``cpu-target.c`` per target, so a binary runs as what it was
  linked for whatever its file is called (libvirt, distributions and tests rename or wrap
  them); argv[0] is not even available in a constructor.  A binary holding several targets would
  pick its target from argv[0] or ``-target`` instead (``qapi_targets_from_argv0``,
  ``qapi_targets_parse``).
- The patch is applied all or nothing, with ``patch -p1`` semantics but no fuzz: every hunk's
  context must match exactly (at its line or elsewhere in the file), else setup fails naming
  the file and hunk and changes nothing.  The original files are kept under ``.qapic-setup/``
  with the patch text; running setup again with the same patch changes nothing, a changed patch
  is taken back and the new one applied, and setup without ``--single-binary`` takes it back.

Setup first checks the tree's ``VERSION``: qapic sets up the QEMU releases of :data:`RELEASES`
(those its tests build) and refuses any other, changing nothing.  (QEMU 7.2's schema loads with
``qapic --lenient-docs``, but qapic does not build 7.2 trees.)

The launcher carries a digest of the qapic package's files.  Running setup again changes nothing
unless the installation, qapic itself or the patch changed; after upgrading or editing qapic, run
it again: the launcher is rewritten, and since QEMU's meson makes every QAPI output depend on
``scripts/qapi-gen.py``, the tree's next build regenerates them with the new qapic.

``scripts/qapi-gen.py`` keeps its mode through setup and undo (meson fixes at configure time
whether it runs the script directly or through its ``#!`` line).  ``--undo`` puts QEMU's script
and patched files back, byte for byte and with their modes, but with the current time: newer
than the outputs qapic generated, so the tree's next build regenerates them with QEMU's
generator (and meson reconfigures from a restored meson.build).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import qapic

HELP = "make a QEMU source tree generate its QAPI code with qapic (or undo that)"
DESCRIPTION = (
    "Replace QEMU_SRC/scripts/qapi-gen.py by a launcher that runs 'qapic generate' with this "
    "installation's Python and qapic; QEMU's generator is kept as scripts/qapi-gen-upstream.py. "
    "With --single-binary, QEMU's system schema is generated with --single-binary and a patch "
    "makes QEMU compile its QAPI code once for all targets. Checks the tree's QEMU version "
    "first. Idempotent; run it again after upgrading qapic. With --undo, restore QEMU's files "
    "(the next build regenerates with QEMU's generator).")

GENERATOR = Path("scripts/qapi-gen.py")
UPSTREAM = Path("scripts/qapi-gen-upstream.py")
MARKER = "# qapic-launcher: installed by 'qapic qemu-setup'"
#: Where the files a patch changed are kept (at their paths below STATE_ORIG), with the patch.
STATE = Path(".qapic-setup")
STATE_PATCH = STATE / "applied.patch"
STATE_ORIG = STATE / "orig"
PATCHES = Path(__file__).resolve().parent / "qemu_patches"
#: The schemas (relative to the tree) that the single-binary launcher generates --single-binary.
SINGLE_BINARY_SCHEMAS = ("qapi/qapi-schema.json", "storage-daemon/qapi/qapi-schema.json")

_LAUNCHER = """#!/usr/bin/env python3
{marker}
# QEMU's build runs this instead of its own QAPI generator (kept beside it as
# qapi-gen-upstream.py); 'qapic qemu-setup --undo' puts QEMU's generator back.
import os
import sys

PYTHON = {python!r}
PACKAGE_ROOT = {package_root!r}
# The qapic this launcher was written for (a digest of its package files): 'qapic qemu-setup'
# rewrites the launcher when qapic changed, and QEMU's build regenerates what depends on it.
QAPIC_DIGEST = {digest!r}

env = dict(os.environ)
env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
args = sys.argv[1:]
{single}os.execve(PYTHON, [PYTHON, "-m", "qapic", "generate", *args], env)
"""

_SINGLE = """
# Single binary ('qapic qemu-setup --single-binary'): QEMU's system schema is generated once for
# the targets that the build directory (meson's working directory) configures, with CONFIG_KVM
# per target from their <target>-config-target.h.
SINGLE_BINARY_SCHEMAS = {schemas!r}
# Options for this QEMU release (qapic.qemu_setup.RELEASES): the target conditions qapic carries
# forward for the system schema (a file of the qapic package), whether QEMU has its own handlers
# for target-only commands on every target.
CONDITIONS = {conditions!r}
RELEASE_OPTIONS = {release_options!r}
tree = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
schema = os.path.realpath(args[-1]) if args else ""
if schema in {{os.path.join(tree, s) for s in SINGLE_BINARY_SCHEMAS}}:
    if not os.path.isfile(os.path.join("meson-info", "meson-info.json")):
        sys.exit(sys.argv[0] + ": --single-binary needs to run in QEMU's build directory, "
                 "not in " + os.getcwd())
    extra = ["--single-binary", "--targets-from", os.getcwd(), *RELEASE_OPTIONS]
    if CONDITIONS and schema == os.path.join(tree, SINGLE_BINARY_SCHEMAS[0]):
        extra += ["--conditions", os.path.join(PACKAGE_ROOT, *CONDITIONS)]
    args = [*extra, *args]

"""


@dataclass(frozen=True)
class Release:
    """What single-binary mode needs to know about a QEMU release series."""

    series: str
    #: The conditions qapic carries forward for the system schema (QEMU 10.1 dropped its
    #: target conditions), a file under qapic/carried/; None when the schema has them.
    conditions: str | None = None
    #: Whether QEMU defines the handler of every target-only command on every target (10.1+
    #: has stubs/monitor-*.c); else qapic generates weak aborting stubs so that it links.
    own_handler_stubs: bool = False

    def launcher_options(self) -> list[str]:
        return ["--upstream-stubs"] if self.own_handler_stubs else []


RELEASES = {
    "10.0": Release("10.0"),
    "10.2": Release("10.2", conditions="qemu-10.2.json", own_handler_stubs=True),
}


class SetupError(Exception):
    """The tree cannot be set up (or restored); the message says why."""


#: The files of the qapic package whose content makes its output (digested into the launcher).
_PACKAGE_SUFFIXES = (".py", ".c", ".patch", ".json")


def package_digest(package_root: str) -> str:
    """A digest of the qapic package under *package_root*: its code and data files."""
    root = Path(package_root) / "qapic"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if (path.suffix in _PACKAGE_SUFFIXES and "__pycache__" not in path.parts
                and path.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def launcher_text(python: str, package_root: str, single_binary: bool = False,
                  release: Release | None = None) -> str:
    """The launcher's content for an installation whose interpreter is *python* and whose
    ``qapic`` package lies in directory *package_root*; *release* (single binary only) gives
    the options for the tree's QEMU release.  It carries a digest of the package, so that
    setup rewrites it -- and QEMU's build, whose QAPI outputs depend on scripts/qapi-gen.py,
    regenerates them -- exactly when qapic changed."""
    single = ""
    if single_binary:
        release = release or RELEASES["10.0"]
        conditions = ("qapic", "carried", release.conditions) if release.conditions else None
        single = _SINGLE.format(schemas=SINGLE_BINARY_SCHEMAS, conditions=conditions,
                                release_options=release.launcher_options())
    return _LAUNCHER.format(marker=MARKER, python=python, package_root=package_root,
                            digest=package_digest(package_root), single=single)


def this_installation() -> tuple[str, str]:
    """The interpreter running qapic now, and the directory that holds the ``qapic`` package."""
    return sys.executable, str(Path(qapic.__file__).resolve().parent.parent)


def is_launcher(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False


def _check_tree(tree: Path) -> None:
    if not (tree / "scripts" / "qapi").is_dir() or not (
            (tree / GENERATOR).is_file() or (tree / UPSTREAM).is_file()):
        raise SetupError(f"{tree} is not a QEMU source tree (no scripts/qapi-gen.py)")


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- the QEMU-side patch ----------------------------------------------------------------------

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


def tree_release(tree: Path) -> Release:
    """The release of *tree* (its VERSION file), if qapic supports it; else SetupError, before
    anything is changed."""
    try:
        version = (tree / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        raise SetupError(f"{tree}: no VERSION file: cannot tell which QEMU this is; nothing "
                         "was changed") from None
    series = ".".join(version.split(".")[:2])
    if series not in RELEASES:
        raise SetupError(f"{tree}: QEMU {version} is not supported: qapic builds QEMU "
                         f"{' and '.join(sorted(RELEASES))}; nothing was changed")
    return RELEASES[series]


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
        (orig / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / path, orig / path)  # content and mode: --undo restores them
    (tree / STATE_PATCH).write_text(text, encoding="utf-8")
    for path, content in want.items():
        mode = (tree / path).stat().st_mode & 0o7777
        _write_atomic(tree / path, content.encode("utf-8"), mode)
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
            os.replace(kept, restored)
            # Content and mode as before, but a new time: the build must notice the change
            # (meson reconfigures from the restored meson.build, the C files recompile).
            os.utime(restored)
    shutil.rmtree(state)
    return True


# --- setup and undo ---------------------------------------------------------------------------

def setup(tree: Path, python: str, package_root: str, single_binary: bool = False) -> bool:
    """Install the launcher in *tree* (and the single-binary patch when asked); return whether
    anything changed."""
    _check_tree(tree)
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
        shutil.copy2(generator, upstream)     # content and mode: --undo restores them
    text = launcher_text(python, package_root, single_binary, release)
    try:
        if generator.read_text(encoding="utf-8") == text:
            return changed
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    _write_atomic(generator, text.encode("utf-8"), _generator_mode(generator))
    return True


def _generator_mode(generator: Path) -> int:
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
    _check_tree(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists() and is_launcher(generator):
        raise SetupError(f"{upstream} is missing: cannot restore QEMU's generator")
    changed = revert_patch(tree)
    if not upstream.exists():
        return changed
    mode = _generator_mode(generator)
    os.replace(upstream, generator)
    os.chmod(generator, mode)
    os.utime(generator)     # newer than qapic's outputs: the next build regenerates them
    return True


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("qemu_src", metavar="QEMU_SRC", type=Path,
                        help="the QEMU source tree to prepare")
    parser.add_argument("--single-binary", action="store_true",
                        help="compile QEMU's QAPI code once for all targets: generate its "
                             "schema with --single-binary and apply qapic's QEMU patch")
    parser.add_argument("--undo", action="store_true",
                        help="restore QEMU's own scripts/qapi-gen.py and patched files")


def run(args: argparse.Namespace) -> int:
    """Problems are raised as qapic.userio's errors and reported by :func:`qapic.cli.main`."""
    from qapic.userio import CommandError, UsageError, cause, check_input_dir

    tree: Path = args.qemu_src
    single = bool(getattr(args, "single_binary", False))
    if args.undo and single:
        raise UsageError("--undo and --single-binary exclude each other")
    check_input_dir(tree)
    try:
        changed = undo(tree) if args.undo else setup(tree, *this_installation(), single)
    except SetupError as err:
        raise CommandError(str(err)) from None
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        raise CommandError(f"{where}{cause(err)}") from None
    except UnicodeDecodeError as err:
        raise CommandError(f"{tree}: a file is not UTF-8 text ({err.reason})") from None
    if changed:
        what = ("restored QEMU's files in" if args.undo else
                "installed qapic's single-binary launcher and patch in" if single else
                "installed qapic's launcher in")
        sys.stderr.write(f"qapic qemu-setup: {what} {tree}\n")
    return 0
