"""The ``qapic`` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from qapic import __version__
from qapic.conditions import SymbolClasses, TargetTable
from qapic.qemu_tree import QemuTreeError, find_tree, read_target_table


class UsageError(Exception):
    """A command-line mistake: reported as ``qapic: error: ...`` with exit status 2."""


def _schema_arg(p: argparse.ArgumentParser, conditions: bool = True) -> None:
    p.add_argument("schema", metavar="SCHEMA",
                   help="the main schema file, e.g. qapi/qapi-schema.json")
    p.add_argument(
        "--lenient-docs", action="store_true",
        help="accept doc comments written for older QEMU (e.g. 7.2); interface rules stay strict",
    )
    if conditions:
        from qapic.frontend.overlay import OPTION_HELP
        p.add_argument("--conditions", metavar="FILE", help=OPTION_HELP)


def _tree_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--qemu-src", metavar="DIR", type=Path,
        help="QEMU source tree to read targets from (default: the tree containing SCHEMA)",
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with *command*, plugged modules other than that command's are not imported
    (they are only needed to list every command)."""
    parser = argparse.ArgumentParser(
        prog="qapic",
        description="A QAPI schema compiler for QEMU.",
    )
    parser.add_argument("--version", action="version", version=f"qapic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("check", help="check a schema; silent and exit 0 when it is valid",
                       description="Parse and check SCHEMA. On an error print it (file:line: "
                       "what is wrong) on stderr and exit 1. With --conditions, also check that "
                       "on no target a visible item refers to a type the conditions hide there.")
    _schema_arg(p)
    _tree_arg(p)

    p = sub.add_parser("introspect", help="print query-qmp-schema's value for a build",
                       description="Print, as JSON, the value query-qmp-schema returns in a QEMU "
                       "built from SCHEMA with exactly the given symbols defined.")
    _schema_arg(p)
    p.add_argument("-D", "--define", metavar="SYM", action="append", default=[],
                   help="a symbol the build defines (repeatable), e.g. CONFIG_SPICE")
    p.add_argument("-t", "--target", metavar="NAME",
                   help="add the TARGET_* symbols of target NAME (e.g. x86_64, aarch64)")
    _tree_arg(p)
    p.add_argument("-u", "--unmask", action="store_true",
                   help="show real type names instead of masked numbers (as qapi-gen.py -u)")
    p.add_argument("--compact", action="store_true", help="print on one line")

    p = sub.add_parser("targets", help="which commands and events exist on which targets",
                       description="Show which commands and events of SCHEMA exist on which of "
                       "QEMU's targets. Build-time symbols not given with --define stay open and "
                       "are shown as conditions.")
    _schema_arg(p)
    _tree_arg(p)
    p.add_argument("-D", "--define", metavar="SYM", action="append", default=[],
                   help="a build-time symbol the build defines (repeatable)")
    p.add_argument("--exact", action="store_true",
                   help="the --define list is the whole build configuration: others are undefined")
    p.add_argument("--kvm", metavar="TARGETS",
                   help="comma-separated targets built with CONFIG_KVM ('none' for none); "
                   "default: CONFIG_KVM stays an open condition")
    p.add_argument("--runtime-symbols", metavar="GLOB,...", default=None,
                   help="symbols decided per target (default: TARGET_*,CONFIG_KVM)")
    p.add_argument("--all", action="store_true", help="list items that are everywhere too")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    known = command in COMMANDS or command in PLUGGED_COMMANDS
    for name, module in PLUGGED_COMMANDS.items():
        if known and name != command:
            continue
        mod = importlib.import_module(module)
        mod.configure(sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION))
    return parser


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from qapic.frontend import load_schema
    from qapic.frontend.overlay import load_optional
    return load_schema(args.schema, lenient_docs=args.lenient_docs,
                       overlay=load_optional(getattr(args, "conditions", None)))


def _target_table(args: argparse.Namespace) -> tuple[Path, TargetTable]:
    tree = args.qemu_src or find_tree(Path(args.schema).parent)
    if tree is None:
        raise UsageError(f"{args.schema} is not inside a QEMU source tree: use --qemu-src DIR")
    try:
        return tree, read_target_table(tree)
    except (QemuTreeError, OSError) as err:
        raise UsageError(str(err)) from None


def cmd_check(args: argparse.Namespace) -> int:
    schema = _load(args)
    if args.conditions is None:
        return 0
    from qapic.backends.carry import conflicts

    _, table = _target_table(args)
    found = conflicts(schema, table, SymbolClasses())
    for problem in found:
        sys.stderr.write(f"{problem}\n")
    return 1 if found else 0


def cmd_introspect(args: argparse.Namespace) -> int:
    from qapic.backends.introspect import introspect

    defined = set(args.define)
    if args.target:
        _, table = _target_table(args)
        try:
            defined |= table.get(args.target).symbols
        except KeyError:
            raise UsageError(
                f"unknown target '{args.target}' (known: {', '.join(table.names())})"
            ) from None
    schema = _load(args)
    value = introspect(schema, defined, unmask=args.unmask)
    if args.compact:
        sys.stdout.write(json.dumps(value, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(json.dumps(value, indent=2) + "\n")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from qapic.backends.targets import availability, render_json, render_table

    _, table = _target_table(args)
    classes = (SymbolClasses.parse(args.runtime_symbols) if args.runtime_symbols is not None
               else SymbolClasses())
    defined = frozenset(args.define)
    kvm_known = args.kvm is not None
    if kvm_known:
        kvm = set() if args.kvm == "none" else {t.strip() for t in args.kvm.split(",") if t.strip()}
        unknown = kvm - set(table.names())
        if unknown:
            raise UsageError(f"unknown target(s) in --kvm: {', '.join(sorted(unknown))}")
        table = TargetTable(tuple(replace(t, kvm=t.name in kvm) for t in table))

    def build_known(sym: str) -> bool | None:
        if sym in defined:
            return True
        return False if args.exact else None

    schema = _load(args)
    items = availability(schema, table, classes, build_known, kvm_known)
    out = render_json(items, table) if args.json else render_table(items, table, args.all)
    sys.stdout.write(out)
    return 0


COMMANDS = {"check": cmd_check, "introspect": cmd_introspect, "targets": cmd_targets}

# Commands that live in their own module: each has HELP, DESCRIPTION, configure(parser) and
# run(args) -> exit status.
PLUGGED_COMMANDS = {
    "carry-conditions": "qapic.backends.carry",
    "diff": "qapic.backends.diff",
    "docs": "qapic.backends.docs",
    "generate": "qapic.backends.c.main",
    "harness": "qapic.harness",
    "qemu-setup": "qapic.qemu_setup",
}


def main(argv: Sequence[str] | None = None) -> int:
    from qapic.frontend import QAPIError

    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(words)
    try:
        if args.command in PLUGGED_COMMANDS:
            status: int = importlib.import_module(PLUGGED_COMMANDS[args.command]).run(args)
            return status
        return COMMANDS[args.command](args)
    except QAPIError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    except UsageError as err:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"qapic: error: {err}\n")
        return 2
    except BrokenPipeError:
        return 0
