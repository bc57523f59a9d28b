"""The ``qapic`` command line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from qapic import __version__
from qapic.userio import (
    LENIENT_HINT,
    CommandError,
    OutputClosed,
    UsageError,
    check_input_file,
    lenient_docs_would_accept,
    silence_stdout,
    warn,
    write_stdout,
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

    known = command in PLUGGED_COMMANDS
    for name, module in PLUGGED_COMMANDS.items():
        if known and name != command:
            continue
        mod = importlib.import_module(module)
        mod.configure(sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION))
    return parser, dict(sub.choices)


# The commands, each in its own module: each has HELP, DESCRIPTION, configure(parser) and
# run(args) -> exit status.  (check, introspect and targets first: their order in --help.)
PLUGGED_COMMANDS = {
    "check": "qapic.check",
    "introspect": "qapic.qmp.introspect",
    "targets": "qapic.qmp.targets",
    "bindings": "qapic.qmp.bindings",
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
    schemas += getattr(args, "schemas", None) or []
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
        status: int = importlib.import_module(PLUGGED_COMMANDS[args.command]).run(args)
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
