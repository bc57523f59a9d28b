"""What the commands share on their command lines, declared once: the schema argument,
``--lenient-docs``, ``--conditions``, ``--runtime-symbols``, ``--qemu-src``, and what they
name (the schema loaded with its conditions, the symbol classes, the QEMU tree's targets).

A command's ``configure(parser)`` adds the ones it takes; its ``run(args)`` asks for what they
name here.  Nothing heavy is imported until a schema is loaded (``qapic --help`` stays quick).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qapic.conditions import SymbolClasses

if TYPE_CHECKING:
    from qapic.conditions import TargetTable
    from qapic.frontend import Schema

SCHEMA_HELP = "the main schema file, e.g. qapi/qapi-schema.json"
LENIENT_DOCS_HELP = ("accept doc comments written for older QEMU (e.g. 7.2); interface rules "
                     "stay strict")
RUNTIME_SYMBOLS_HELP = "symbols decided per target (default: TARGET_*,CONFIG_KVM)"
QEMU_SRC_HELP = "QEMU source tree to read targets from (default: the tree containing SCHEMA)"


class Once(argparse.Action):
    """An option that takes one value: given twice with different values, a usage error
    (``-t x86_64 -t s390x`` used the last one, silently)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        before = getattr(namespace, self.dest, None)
        if before is not None and before != self.default and before != values:
            raise argparse.ArgumentError(self, f"given twice ({before}, {values}): give one")
        setattr(namespace, self.dest, values)


def add_schema(p: argparse.ArgumentParser, help: str = SCHEMA_HELP) -> None:
    """The positional SCHEMA (``args.schema``)."""
    p.add_argument("schema", metavar="SCHEMA", help=help)


def add_lenient_docs(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--lenient-docs`` (``args.lenient_docs``)."""
    p.add_argument("--lenient-docs", action="store_true", help=LENIENT_DOCS_HELP)


#: The metavar of every ``--conditions`` option.
CONDITIONS_METAVAR = "FILE|RELEASE"


def conditions_file(value: str) -> str:
    """The conditions file ``--conditions VALUE`` names (the argparse type of every
    ``--conditions``): a path, or a QEMU release naming the file qapic ships for it
    (:func:`qapic.frontend.overlay.resolve`); a release without one is a usage error."""
    from qapic.frontend.overlay import resolve

    try:
        return resolve(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def conditions_path(value: str) -> Path:
    """:func:`conditions_file` as a :class:`~pathlib.Path` (``harness``, ``fuzz``)."""
    return Path(conditions_file(value))


def conditions_help() -> str:
    """The help text of every ``--conditions`` option."""
    from qapic.frontend.overlay import option_help

    return option_help()


def add_conditions(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--conditions FILE|RELEASE`` (``args.conditions``, the file's path): a conditions file
    for the schema."""
    p.add_argument("--conditions", metavar=CONDITIONS_METAVAR, type=conditions_file,
                   help=conditions_help())


def add_schema_options(p: argparse.ArgumentParser, conditions: bool = True) -> None:
    """SCHEMA, ``--lenient-docs`` and (unless *conditions* is false) ``--conditions``: what
    :func:`load_schema` reads."""
    add_schema(p)
    add_lenient_docs(p)
    if conditions:
        add_conditions(p)


def add_runtime_symbols(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--runtime-symbols GLOB,...`` (``args.runtime_symbols``): see :func:`symbol_classes`."""
    p.add_argument("--runtime-symbols", metavar="GLOB,...", default=None,
                   help=RUNTIME_SYMBOLS_HELP)


def add_qemu_src(p: argparse.ArgumentParser, help: str = QEMU_SRC_HELP) -> None:
    """``--qemu-src DIR`` (``args.qemu_src``): see :func:`target_table`."""
    p.add_argument("--qemu-src", metavar="DIR", type=Path, help=help)


def load_schema(args: argparse.Namespace) -> Schema:
    """The schema ``args.schema``, with ``args.lenient_docs`` and the conditions file
    ``args.conditions`` (if the command takes one)."""
    from qapic.frontend import load_schema as load
    from qapic.frontend.overlay import load_optional

    return load(args.schema, lenient_docs=args.lenient_docs,
                overlay=load_optional(getattr(args, "conditions", None)))


def symbol_classes(args: argparse.Namespace) -> SymbolClasses:
    """The run-time symbols ``--runtime-symbols`` names, else the default ones."""
    if args.runtime_symbols is None:
        return SymbolClasses()
    return SymbolClasses.parse(args.runtime_symbols)


def qemu_tree(args: argparse.Namespace, schema: str | None = None) -> Path | None:
    """The QEMU source tree of the command: ``--qemu-src`` (which must be a directory), else
    the tree that contains *schema* (default ``args.schema``), else None."""
    from qapic.qemu_tree import find_tree
    from qapic.userio import check_input_dir

    if args.qemu_src is not None:
        check_input_dir(args.qemu_src)
        return Path(args.qemu_src)
    return find_tree(Path(args.schema if schema is None else schema).parent)


def read_targets(tree: Path | None, schema: str, needed_for: str = "") -> TargetTable:
    """The targets of *tree* (found by :func:`qemu_tree` for *schema*).  No tree: a usage
    error (the command line must name one; *needed_for* says why); a tree that cannot be read:
    exit 1."""
    from qapic.qemu_tree import QemuTreeError, read_target_table
    from qapic.userio import CommandError, UsageError

    if tree is None:
        raise UsageError(f"{schema} is not inside a QEMU source tree"
                         + (f" ({needed_for})" if needed_for else "")
                         + ": name one with --qemu-src DIR")
    try:
        return read_target_table(tree)
    except (QemuTreeError, OSError) as err:
        raise CommandError(str(err)) from None


def target_table(args: argparse.Namespace, needed_for: str = "",
                 schema: str | None = None) -> TargetTable:
    """The targets of :func:`qemu_tree`, for *schema* (default ``args.schema``)."""
    schema = args.schema if schema is None else schema
    return read_targets(qemu_tree(args, schema), schema, needed_for)


def no_target_conditions_hint(tree: Path | None) -> str:
    """How to give a schema without target conditions its targets' own interfaces: the
    conditions file qapic ships for *tree*'s release, else any."""
    from qapic.frontend.overlay import shipped_file, shipped_releases
    from qapic.qemu_tree import QemuTreeError, read_version

    release = None
    if tree is not None:
        with contextlib.suppress(QemuTreeError):
            release = "{}.{}".format(*read_version(tree))
    if release is not None and shipped_file(release) is not None:
        return f"--conditions {release} (the file qapic ships for QEMU {release})"
    shipped = ", ".join(shipped_releases())
    return ("--conditions FILE (qapic carry-conditions OLD NEW writes one from an older "
            f"release's schema; qapic ships one for {shipped})")


def warn_without_target_conditions(command: str, schema: Schema, tree: Path | None,
                                   fname: str | None = None) -> bool:
    """Say once, on stderr, that *schema* has no target conditions (no condition mentions a
    ``TARGET_*`` symbol, as in QEMU 10.1 and later) when the command shows targets: every
    target gets the same interface.  Whether it said so."""
    from qapic.userio import condition_symbols, warn_once

    if any(sym.startswith("TARGET_") for sym in condition_symbols(schema)):
        return False
    warn_once(command, f"no condition of {fname or schema.fname} mentions a target (TARGET_*; QEMU "
         "10.1 removed them from its schema): every target gets the same interface; for "
         f"each target's own, give {no_target_conditions_hint(tree)}")
    return True


def warn_kvm_unused(command: str, schema: Schema, option: str) -> None:
    """*option* (``--kvm ...``) decides CONFIG_KVM, which no condition of *schema* mentions:
    warned as ``-D CONFIG_KVM`` is."""
    from qapic.userio import condition_symbols, warn

    if "CONFIG_KVM" not in condition_symbols(schema):
        warn(command, f"{option}: no condition of {schema.fname} mentions CONFIG_KVM")
