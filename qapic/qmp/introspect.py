"""``qapic introspect``: the value query-qmp-schema returns in one build (the tree of
:mod:`qapic.schema_info`, evaluated for the symbols the build defines)."""

from __future__ import annotations

import argparse
import json

from qapic import options
from qapic.userio import unknown_target, warn_unused_symbols, write_stdout

HELP = "print query-qmp-schema's value for a build"
DESCRIPTION = ("Print, as JSON, the value query-qmp-schema returns in a QEMU built from SCHEMA "
               "with exactly the given symbols defined.")


def configure(p: argparse.ArgumentParser) -> None:
    options.add_schema_options(p)
    p.add_argument("-D", "--define", metavar="SYM", action="append", default=[],
                   help="a symbol the build defines (repeatable), e.g. CONFIG_SPICE")
    p.add_argument("-t", "--target", metavar="NAME", action=options.Once,
                   help="add the TARGET_* symbols of target NAME (e.g. x86_64, aarch64)")
    options.add_qemu_src(p)
    p.add_argument("-u", "--unmask", action="store_true",
                   help="show real type names instead of masked numbers (as qapi-gen.py -u)")
    p.add_argument("--compact", action="store_true", help="print on one line")


def run(args: argparse.Namespace) -> int:
    from qapic.schema_info import introspect

    defined = set(args.define)
    schema = options.load_schema(args)      # first: a schema error wins over a tree problem
    if args.target:
        tree = options.qemu_tree(args)
        table = options.read_targets(tree, args.schema, f"--target {args.target}")
        try:
            defined |= table.get(args.target).symbols
        except KeyError:
            raise unknown_target(args.target, table) from None
    warn_unused_symbols("introspect", schema, args.define)
    if args.target:
        options.warn_without_target_conditions("introspect", schema, tree)
    value = introspect(schema, defined, unmask=args.unmask)
    if args.compact:
        write_stdout(json.dumps(value, separators=(",", ":")) + "\n")
    else:
        write_stdout(json.dumps(value, indent=2) + "\n")
    return 0
