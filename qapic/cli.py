"""The ``qapic`` command line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from qapic import __version__
from qapic.conditions import SymbolClasses, TargetTable
from qapic.userio import (
    LENIENT_HINT,
    CommandError,
    OutputClosed,
    UsageError,
    check_input_file,
    lenient_docs_would_accept,
    silence_stdout,
    target_table,
    unknown_target,
    warn,
    warn_unused_symbols,
    write_stdout,
)


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
    return _build_parsers(command)[0]


def _build_parsers(command: str | None) -> tuple[argparse.ArgumentParser,
                                                 dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each sub-command's parser, by name."""
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
    return parser, dict(sub.choices)


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from qapic.frontend import load_schema
    from qapic.frontend.overlay import load_optional
    return load_schema(args.schema, lenient_docs=args.lenient_docs,
                       overlay=load_optional(getattr(args, "conditions", None)))


def _target_table(args: argparse.Namespace, needed_for: str = "") -> TargetTable:
    return target_table(args.schema, args.qemu_src, needed_for)


def cmd_check(args: argparse.Namespace) -> int:
    schema = _load(args)
    if args.conditions is None:
        return 0
    from qapic.qmp.carry import conflicts

    table = _target_table(args, "--conditions is checked against its targets")
    found = conflicts(schema, table, SymbolClasses())
    for problem in found:
        sys.stderr.write(f"{problem}\n")
    return 1 if found else 0


def cmd_introspect(args: argparse.Namespace) -> int:
    import json

    from qapic.schema_info import introspect

    defined = set(args.define)
    if args.target:
        table = _target_table(args, f"--target {args.target}")
        try:
            defined |= table.get(args.target).symbols
        except KeyError:
            raise unknown_target(args.target, table) from None
    schema = _load(args)
    warn_unused_symbols("introspect", schema, args.define)
    value = introspect(schema, defined, unmask=args.unmask)
    if args.compact:
        write_stdout(json.dumps(value, separators=(",", ":")) + "\n")
    else:
        write_stdout(json.dumps(value, indent=2) + "\n")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from qapic.qmp.targets import availability, render_json, render_table

    table = _target_table(args, "the targets are read from it")
    classes = (SymbolClasses.parse(args.runtime_symbols) if args.runtime_symbols is not None
               else SymbolClasses())
    defined = frozenset(args.define)
    kvm_known = args.kvm is not None
    if kvm_known:
        kvm = set() if args.kvm == "none" else {t.strip() for t in args.kvm.split(",") if t.strip()}
        unknown = kvm - set(table.names())
        if unknown:
            raise UsageError(f"unknown target(s) in --kvm: {', '.join(sorted(unknown))}")
        table = TargetTable(tuple(t.with_kvm(t.name in kvm) for t in table))

    def build_known(sym: str) -> bool | None:
        if sym in defined:
            return True
        return False if args.exact else None

    schema = _load(args)
    warn_unused_symbols("targets", schema, args.define)
    items = availability(schema, table, classes, build_known, kvm_known)
    out = render_json(items, table) if args.json else render_table(items, table, args.all)
    write_stdout(out)
    return 0


COMMANDS = {"check": cmd_check, "introspect": cmd_introspect, "targets": cmd_targets}

# Commands that live in their own module: each has HELP, DESCRIPTION, configure(parser) and
# run(args) -> exit status.
PLUGGED_COMMANDS = {
    "carry-conditions": "qapic.qmp.carry",
    "diff": "qapic.qmp.diff",
    "docs": "qapic.qmp.docs",
    "fuzz": "qapic.proof.fuzz",
    "generate": "qapic.qemu.generate.main",
    "harness": "qapic.proof.harness",
    "qemu-setup": "qapic.qemu.setup",
}


#: Arguments that name an input file, and what it should hold.
_INPUT_FILES = {"schema": "a QAPI schema", "old": "a QAPI schema", "new": "a QAPI schema",
                "conditions": "a conditions file", "a_conditions": "a conditions file",
                "b_conditions": "a conditions file"}

#: The exit status of trouble (a bad input, an output that cannot be written) per command,
#: where it is not 1: ``diff`` keeps diff(1)'s 2.
_TROUBLE_STATUS = {"diff": 2}


def _check_inputs(args: argparse.Namespace) -> None:
    """Each input file named on the command line exists, is a readable file, is not binary;
    an empty schema is valid (QEMU's own test suite has one) but worth a word."""
    for attr, what in _INPUT_FILES.items():
        path = getattr(args, attr, None)
        if path is None:
            continue
        size = check_input_file(path, what)
        if size == 0 and what == "a QAPI schema" and args.command != "generate":
            warn(args.command, f"{path} is empty: a valid schema without any definition")


def _lenient_hint(args: argparse.Namespace) -> bool:
    """Whether the schemas that failed to load would load with --lenient-docs."""
    if getattr(args, "lenient_docs", True):
        return False
    schemas = [getattr(args, a) for a in ("schema", "old", "new") if getattr(args, a, None)]
    conditions = getattr(args, "conditions", None)
    return bool(schemas) and all(lenient_docs_would_accept(str(s), conditions) for s in schemas)


def _command_word(words: Sequence[str]) -> str | None:
    """The command a command line names (its first word that is not an option), if any."""
    return next((w for w in words if not w.startswith("-")), None)


#: Commands that leave nothing to clean up when they return: they write their files with
#: os-level calls and close them, and register no exit handler (see :func:`console`).
QUICK_EXIT_COMMANDS = frozenset({"generate"})


def console() -> NoReturn:
    """``python -m qapic``: :func:`main` on ``sys.argv``, then the end of the process.

    After a command of :data:`QUICK_EXIT_COMMANDS`, once standard output and error are
    flushed, the process ends at once (``os._exit``) rather than tearing the interpreter down,
    which frees every object one by one: after ``qapic generate`` on QEMU's schema, 25 ms or
    7% of the run.  QEMU's build runs ``python -m qapic generate`` for every schema.
    """
    status = main()
    if _command_word(sys.argv[1:]) in QUICK_EXIT_COMMANDS:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise SystemExit(status) from None      # the usual exit reports it
        os._exit(status)
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line *argv* (default: sys.argv); return the exit status: 0 ok, 1
    invalid input or failed check, 2 usage (``diff``: 0 same, 1 B lost something, 2 trouble).
    """
    from qapic.frontend import QAPIError

    words = list(sys.argv[1:] if argv is None else argv)
    command = _command_word(words)
    parser, subparsers = _build_parsers(command)
    try:
        args, extra = parser.parse_known_args(words)
    except SystemExit as done:      # --help, --version, or a usage error argparse printed
        if done.code == 0:
            try:
                write_stdout("")
            except (CommandError, OutputClosed) as err:
                silence_stdout()
                if isinstance(err, CommandError):
                    prog = subparsers[command].prog if command in subparsers else "qapic"
                    sys.stderr.write(f"{prog}: error: {err.message}\n")
                return 1
        raise
    sub = subparsers[args.command]
    if extra:
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    prog = sub.prog
    try:
        _check_inputs(args)
        if args.command in PLUGGED_COMMANDS:
            status: int = importlib.import_module(PLUGGED_COMMANDS[args.command]).run(args)
        else:
            status = COMMANDS[args.command](args)
        write_stdout("")
        return status
    except QAPIError as err:
        sys.stderr.write(f"{err}\n")
        if _lenient_hint(args):
            sys.stderr.write(f"{prog}: note: {LENIENT_HINT}\n")
        return _TROUBLE_STATUS.get(args.command, 1)
    except UsageError as err:
        sub.print_usage(sys.stderr)
        sys.stderr.write(f"{prog}: error: {err.message}\n")
        return 2
    except CommandError as err:
        sys.stderr.write(f"{prog}: error: {err.message}\n")
        return _TROUBLE_STATUS.get(args.command, err.status)
    except (OutputClosed, BrokenPipeError):
        # The reader of our output went away (| head): say nothing, like cat and grep.
        silence_stdout()
        return _TROUBLE_STATUS.get(args.command, 1)
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130


def command_main(command: str, argv: Sequence[str] | None = None) -> int:
    """``qapic COMMAND ARGV``: one command on its own (``python -m qapic.qmp.diff``, ``python -m
    qapic.qmp.docs``, ``python -m qapic.proof.harness``); *argv* defaults to sys.argv[1:]."""
    return main([command, *(sys.argv[1:] if argv is None else argv)])
