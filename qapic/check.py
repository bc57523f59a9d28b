"""``qapic check``: a schema parsed and checked, and with ``--conditions``, the conditions file
checked on every target."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from qapic import options

if TYPE_CHECKING:
    from qapic.conditions import TargetTable
    from qapic.frontend import Schema

HELP = "check a schema; silent and exit 0 when it is valid"
DESCRIPTION = ("Parse and check SCHEMA. On an error print it (file:line: what is wrong) on "
               "stderr and exit 1. With --conditions, also check that on no target a visible "
               "item refers to a type the conditions hide there.")


def configure(p: argparse.ArgumentParser) -> None:
    options.add_schema_options(p)
    options.add_qemu_src(p)


def conditions_problems(schema: Schema, table: TargetTable) -> list[str]:
    """What ``check --conditions`` finds wrong with *schema* loaded with a conditions file, on
    the targets of *table* (with and without KVM): each item visible on a target that refers
    to a type the conditions hide there, one line each.  ``qemu-setup --conditions`` checks
    the file it is given with this too."""
    from qapic.conditions import SymbolClasses
    from qapic.qmp.carry import conflicts

    return [str(problem) for problem in conflicts(schema, table, SymbolClasses())]


def run(args: argparse.Namespace) -> int:
    schema = options.load_schema(args)
    if args.conditions is None:
        return 0
    table = options.target_table(args, "--conditions is checked against its targets")
    found = conditions_problems(schema, table)
    for problem in found:
        sys.stderr.write(f"{problem}\n")
    return 1 if found else 0
