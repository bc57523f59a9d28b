"""``qapic qemu-setup QEMU_SRC [--undo]``: make a QEMU source tree build its QAPI code with qapic.

QEMU's meson runs ``scripts/qapi-gen.py`` for every schema it compiles.  Setup puts a small
launcher there that runs ``python -m qapic generate`` with the same arguments, using the Python
and the qapic package of the installation that ran the setup (found at run time, so no path is
stored anywhere but in the prepared tree).  QEMU's own script is kept beside it as
``scripts/qapi-gen-upstream.py``, runnable as before, so that both generators can be compared on
the same tree.  (``scripts/qemu-build --generator`` keeps it under the same name.)

Running setup again changes nothing unless the installation moved.  ``--undo`` puts QEMU's
script back: the tree is then byte for byte what it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import qapic

HELP = "make a QEMU source tree generate its QAPI code with qapic (or undo that)"
DESCRIPTION = (
    "Replace QEMU_SRC/scripts/qapi-gen.py by a launcher that runs 'qapic generate' with this "
    "installation's Python and qapic; QEMU's generator is kept as scripts/qapi-gen-upstream.py. "
    "Idempotent. With --undo, restore QEMU's generator exactly.")

GENERATOR = Path("scripts/qapi-gen.py")
UPSTREAM = Path("scripts/qapi-gen-upstream.py")
MARKER = "# qapic-launcher: installed by 'qapic qemu-setup'"


class SetupError(Exception):
    """The tree cannot be set up (or restored); the message says why."""


def launcher_text(python: str, package_root: str) -> str:
    """The launcher's content for an installation whose interpreter is *python* and whose
    ``qapic`` package lies in directory *package_root*."""
    return f'''#!/usr/bin/env python3
{MARKER}
# QEMU's build runs this instead of its own QAPI generator (kept beside it as
# qapi-gen-upstream.py); 'qapic qemu-setup --undo' puts QEMU's generator back.
import os
import sys

PYTHON = {python!r}
PACKAGE_ROOT = {package_root!r}

env = dict(os.environ)
env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
os.execve(PYTHON, [PYTHON, "-m", "qapic", "generate", *sys.argv[1:]], env)
'''


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


def _write_executable(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def setup(tree: Path, python: str, package_root: str) -> bool:
    """Install the launcher in *tree*; return whether anything changed."""
    _check_tree(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists():
        if is_launcher(generator):
            raise SetupError(f"{generator} is qapic's launcher but {upstream} is missing")
        shutil.copy2(generator, upstream)     # content, mode and times: --undo restores them
    text = launcher_text(python, package_root)
    try:
        if generator.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    _write_executable(generator, text)
    return True


def undo(tree: Path) -> bool:
    """Put QEMU's generator back in *tree*; return whether anything changed."""
    _check_tree(tree)
    generator, upstream = tree / GENERATOR, tree / UPSTREAM
    if not upstream.exists():
        if is_launcher(generator):
            raise SetupError(f"{upstream} is missing: cannot restore QEMU's generator")
        return False
    os.replace(upstream, generator)
    return True


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("qemu_src", metavar="QEMU_SRC", type=Path,
                        help="the QEMU source tree to prepare")
    parser.add_argument("--undo", action="store_true",
                        help="restore QEMU's own scripts/qapi-gen.py")


def run(args: argparse.Namespace) -> int:
    tree: Path = args.qemu_src
    try:
        changed = undo(tree) if args.undo else setup(tree, *this_installation())
    except (SetupError, OSError) as err:
        sys.stderr.write(f"qapic qemu-setup: {err}\n")
        return 1
    if changed:
        what = "restored QEMU's generator in" if args.undo else "installed qapic's launcher in"
        sys.stderr.write(f"qapic qemu-setup: {what} {tree}\n")
    return 0
