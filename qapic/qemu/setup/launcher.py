"""The launcher that ``qapic qemu-setup`` installs as QEMU's ``scripts/qapi-gen.py``: it runs
``python -m qapic generate`` with the Python and the qapic package of the installation that set
the tree up, and carries a digest of that package (see :mod:`qapic.qemu.setup`)."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import qapic
from qapic.qemu.setup.patching import STATE_CONDITIONS

MARKER = "# qapic-launcher: installed by 'qapic qemu-setup'"
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

tree = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


# How the tree was set up: said when this installation is gone.
SETUP_OPTIONS = {setup_options!r}


def qapic_is_gone(missing):
    setup = " ".join([*(os.path.join(tree, *o) if isinstance(o, tuple) else o
                        for o in SETUP_OPTIONS), tree])
    sys.exit(sys.argv[0] + ": qapic is gone (" + missing + " no longer exists): with qapic "
             "installed again, run 'qapic qemu-setup " + setup + "' to build with it, or "
             "'qapic qemu-setup --undo " + tree + "' to build with QEMU's own generator")


for path, missing in ((PYTHON, PYTHON), (os.path.join(PACKAGE_ROOT, "qapic"), PACKAGE_ROOT)):
    if not os.path.exists(path):
        qapic_is_gone(missing)
env = dict(os.environ)
env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
args = sys.argv[1:]
{single}try:
    os.execve(PYTHON, [PYTHON, "-m", "qapic", "generate", *args], env)
except FileNotFoundError:
    qapic_is_gone(PYTHON)
"""

_SINGLE = """
# Single binary ('qapic qemu-setup --single-binary'): QEMU's system schema is generated once for
# the targets that the build directory (meson's working directory) configures, with CONFIG_KVM
# per target from their <target>-config-target.h.
SINGLE_BINARY_SCHEMAS = {schemas!r}
# Options for this QEMU release (qapic.qemu.setup.RELEASES): the target conditions qapic carries
# forward for the system schema (a file of the qapic package), whether QEMU has its own handlers
# for target-only commands on every target.
CONDITIONS = {conditions!r}
RELEASE_OPTIONS = {release_options!r}
# The conditions file given to 'qapic qemu-setup --conditions' instead (its copy in the tree,
# relative to the tree, checked as 'qapic check --conditions' checks it), and its digest: setup
# rewrites this launcher when the file changed, and QEMU's build regenerates.
OWN_CONDITIONS = {own_conditions!r}
OWN_CONDITIONS_DIGEST = {own_digest!r}
schema = os.path.realpath(args[-1]) if args else ""
if schema in {{os.path.join(tree, s) for s in SINGLE_BINARY_SCHEMAS}}:
    if not os.path.isfile(os.path.join("meson-info", "meson-info.json")):
        sys.exit(sys.argv[0] + ": --single-binary needs to run in QEMU's build directory, "
                 "not in " + os.getcwd())
    extra = ["--single-binary", "--targets-from", os.getcwd(), *RELEASE_OPTIONS]
    if schema == os.path.join(tree, SINGLE_BINARY_SCHEMAS[0]):
        if OWN_CONDITIONS:
            extra += ["--conditions", os.path.join(tree, *OWN_CONDITIONS)]
        elif CONDITIONS:
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


#: What single-binary mode knows of each series qapic builds (qapic.qemu.releases.SERIES).
RELEASES = {
    "10.0": Release("10.0"),
    "10.2": Release("10.2", conditions="qemu-10.2.json", own_handler_stubs=True),
}


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
                  release: Release | None = None, own_conditions: bytes | None = None) -> str:
    """The launcher's content for an installation whose interpreter is *python* and whose
    ``qapic`` package lies in directory *package_root*; *release* (single binary only) gives
    the options for the tree's QEMU release, *own_conditions* the content of the conditions
    file the user gave (kept in the tree at :data:`STATE_CONDITIONS`).  It carries a digest of
    the package (and of that file), so that setup rewrites it -- and QEMU's build, whose QAPI
    outputs depend on scripts/qapi-gen.py, regenerates them -- exactly when qapic changed."""
    single = ""
    setup_options: list[str | tuple[str, ...]] = []
    if single_binary:
        release = release or RELEASES["10.0"]
        conditions = ("qapic", "carried", release.conditions) if release.conditions else None
        own = STATE_CONDITIONS.parts if own_conditions is not None else None
        own_digest = (hashlib.sha256(own_conditions).hexdigest()
                      if own_conditions is not None else None)
        single = _SINGLE.format(schemas=SINGLE_BINARY_SCHEMAS, conditions=conditions,
                                release_options=release.launcher_options(),
                                own_conditions=own, own_digest=own_digest)
        setup_options.append("--single-binary")
        if own is not None:
            setup_options += ["--conditions", own]
    return _LAUNCHER.format(marker=MARKER, python=python, package_root=package_root,
                            digest=package_digest(package_root), single=single,
                            setup_options=setup_options)


def this_installation() -> tuple[str, str]:
    """The interpreter running qapic now, and the directory that holds the ``qapic`` package."""
    return sys.executable, str(Path(qapic.__file__).resolve().parent.parent)


def is_launcher(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
