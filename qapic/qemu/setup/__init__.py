"""``qapic qemu-setup QEMU_SRC [--single-binary [--conditions FILE]] [--undo]``: make a QEMU source
tree build its QAPI code with qapic.

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
- A QEMU-side patch kept in this package (``qapic/qemu/patches/single-binary-<major.minor>.patch``,
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

``--conditions FILE`` (single binary only) gives the system schema the user's own conditions
file instead of the one qapic ships for the release (:attr:`Release.conditions`): one carried to
a 10.2.x, or conditions added to a 10.0.x schema's own.  It is checked first as ``qapic check
--conditions`` checks it (:func:`qapic.check.conditions_problems`, on the tree's schema and
targets), and nothing is changed when it fails; then it is kept in the tree
(``.qapic-setup/conditions.json``, named by the launcher with a digest of its content, so that
setup with a changed file rewrites the launcher and the build regenerates).

Setup first checks the tree's ``VERSION``: qapic sets up every patch release of the series it
builds (:mod:`qapic.qemu.releases`, the policy ``qapic generate`` follows too; :data:`RELEASES`
says what single-binary mode knows of each) and refuses any other, changing nothing.  (QEMU
7.2's schema loads with ``qapic --lenient-docs``, but qapic does not build 7.2 trees.)

When the installation that set the tree up is gone (its Python or its qapic package), the
launcher fails in QEMU's build with one line saying so and how to set the tree up again or undo
it, instead of a traceback.

The launcher carries a digest of the qapic package's files.  Running setup again changes nothing
unless the installation, qapic itself or the patch changed; after upgrading or editing qapic, run
it again: the launcher is rewritten, and since QEMU's meson makes every QAPI output depend on
``scripts/qapi-gen.py``, the tree's next build regenerates them with the new qapic.

Every file setup writes or restores keeps the owner of the file it replaces (a new one: of its
directory), so that setup and undo run as root leave another user's tree that user's, and
``scripts/qapi-gen.py`` keeps its mode through setup and undo (meson fixes at configure time
whether it runs the script directly or through its ``#!`` line).  ``--undo`` puts QEMU's script
and patched files back, byte for byte and with their modes, but with the current time: newer
than the outputs qapic generated, so the tree's next build regenerates them with QEMU's
generator (and meson reconfigures from a restored meson.build).
"""


from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qapic import options
from qapic.qemu.releases import series_text
from qapic.qemu.setup.launcher import (
    MARKER,
    RELEASES,
    SINGLE_BINARY_SCHEMAS,
    Release,
    is_launcher,
    launcher_text,
    package_digest,
    this_installation,
)
from qapic.qemu.setup.patching import (
    STATE,
    STATE_CONDITIONS,
    STATE_ORIG,
    STATE_PATCH,
    SetupError,
    apply_patch,
    parse_patch,
    revert_patch,
)
from qapic.qemu.setup.tree import (
    GENERATOR,
    PATCHES,
    UPSTREAM,
    patch_for,
    release_for,
    setup,
    tree_release,
    undo,
)

__all__ = ["DESCRIPTION", "GENERATOR", "HELP", "MARKER", "PATCHES", "RELEASES",
           "SINGLE_BINARY_SCHEMAS", "STATE", "STATE_CONDITIONS", "STATE_ORIG", "STATE_PATCH",
           "UPSTREAM", "Release",
           "SetupError", "apply_patch", "configure", "is_launcher", "launcher_text",
           "package_digest", "parse_patch", "patch_for", "release_for", "revert_patch", "run",
           "setup", "this_installation", "tree_release", "undo"]

HELP = "make a QEMU source tree generate its QAPI code with qapic (or undo that)"
DESCRIPTION = (
    "Replace QEMU_SRC/scripts/qapi-gen.py by a launcher that runs 'qapic generate' with this "
    "installation's Python and qapic; QEMU's generator is kept as scripts/qapi-gen-upstream.py. "
    "With --single-binary, QEMU's system schema is generated with --single-binary and a patch "
    "makes QEMU compile its QAPI code once for all targets. Checks the tree's QEMU version "
    f"first: qapic builds QEMU {series_text()}, any patch release; another is refused and "
    "nothing changed. Run again, it changes nothing and says so ('already set up for "
    "qapic'); run it again after upgrading qapic. With --undo, restore QEMU's files (the "
    "next build regenerates with QEMU's generator); on a tree not set up: 'nothing to "
    "undo'. Every file written or restored keeps its owner and mode (run as root on another "
    "user's tree).")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("qemu_src", metavar="QEMU_SRC", type=Path,
                        help="the QEMU source tree to prepare")
    parser.add_argument("--single-binary", action="store_true",
                        help="compile QEMU's QAPI code once for all targets: generate its "
                             "schema with --single-binary and apply qapic's QEMU patch")
    parser.add_argument("--conditions", metavar=options.CONDITIONS_METAVAR,
                        type=options.conditions_file,
                        help="with --single-binary: the target conditions of QEMU's system "
                             "schema from this conditions file instead of the one qapic ships "
                             "for the release (10.2): your own, e.g. carried to a 10.2.x with "
                             "'qapic carry-conditions', or extra conditions for a 10.0.x. "
                             "Checked first as 'qapic check --conditions' checks it (nothing is "
                             "changed when it fails), then kept in the tree "
                             f"({STATE_CONDITIONS}) for the build")
    parser.add_argument("--undo", action="store_true",
                        help="restore QEMU's own scripts/qapi-gen.py and patched files")


def run(args: argparse.Namespace) -> int:
    """Problems are raised as qapic.userio's errors and reported by :func:`qapic.cli.main`."""
    from qapic.userio import CommandError, UsageError, cause, check_input_dir

    tree: Path = args.qemu_src
    single = bool(getattr(args, "single_binary", False))
    conditions = Path(args.conditions) if args.conditions is not None else None
    if args.undo and single:
        raise UsageError("--undo and --single-binary exclude each other")
    if conditions is not None and not single:
        raise UsageError("--conditions needs --single-binary (they are the target conditions "
                         "it decides at run time)")
    check_input_dir(tree)
    try:
        changed = (undo(tree) if args.undo else
                   setup(tree, *this_installation(), single, conditions))
    except SetupError as err:
        for line in getattr(err, "details", ()):
            sys.stderr.write(f"{line}\n")
        raise CommandError(str(err)) from None
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        raise CommandError(f"{where}{cause(err)}") from None
    except UnicodeDecodeError as err:
        raise CommandError(f"{tree}: a file is not UTF-8 text ({err.reason})") from None
    outcome = _outcome(tree, args.undo, single, changed, conditions)
    sys.stderr.write(f"qapic qemu-setup: {outcome}\n")
    return 0


def _outcome(tree: Path, undone: bool, single: bool, changed: bool,
             conditions: Path | None = None) -> str:
    """What setup did, or found, in *tree*: one line for the user."""
    if undone:
        return (f"restored QEMU's files in {tree}" if changed else
                f"nothing to undo: {tree} is not set up for qapic")
    own = f", with the conditions of {conditions}" if conditions is not None else ""
    if changed:
        kind = "qapic's single-binary launcher and patch" if single else "qapic's launcher"
        return f"installed {kind} in {tree}{own}"
    kind = "single binary" if single else "per target"
    return f"{tree} is already set up for qapic ({kind}{own}); nothing was changed"
