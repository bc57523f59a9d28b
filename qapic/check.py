"""``qapic check``: a schema parsed and checked, and with ``--conditions``, the conditions file
checked on every target."""

from __future__ import annotations

import argparse
import sys

from qapic import options

HELP = "check a schema; silent and exit 0 when it is valid"
DESCRIPTION = ("Parse and check SCHEMA. On an error print it (file:line: what is wrong) on "
               "stderr and exit 1. With --conditions, also check that on no target a visible "
               "item refers to a type the conditions hide there.")


def configure(p: argparse.ArgumentParser) -> None:
    options.add_schema_options(p)
    options.add_qemu_src(p)


def run(args: argparse.Namespace) -> int:
    schema = options.load_schema(args)
    if args.conditions is None:
        return 0
    from qapic.conditions import SymbolClasses
    from qapic.qmp.carry import conflicts

    table = options.target_table(args, "--conditions is checked against its targets")
    found = conflicts(schema, table, SymbolClasses())
    for problem in found:
        sys.stderr.write(f"{problem}\n")
    return 1 if found else 0
