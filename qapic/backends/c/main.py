"""``qapic generate``: QEMU's C code for a schema, a drop-in for ``scripts/qapi-gen.py``.

The backends run in a fixed order, all into one in-memory :class:`OutputSet`; the files are
written only when every backend succeeded.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import cast

from qapic.frontend import QAPIError, Schema, load_schema

from .common import GenContext
from .output import OutputSet

HELP = "generate QEMU's C code from a schema (drop-in for scripts/qapi-gen.py)"
DESCRIPTION = ("Generate C code from a QAPI schema: types, visitors, commands, events, "
               "introspection and features, with the options and output files of QEMU's "
               "scripts/qapi-gen.py.")

#: The C backends, run in this order; each module has ``generate(schema, out, ctx)``.
BACKENDS = ("types", "visit", "commands", "events", "introspect_c", "features")
PACKAGE = "qapic.backends.c"

Backend = Callable[[Schema, OutputSet, GenContext], None]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-b", "--builtins", action="store_true",
                        help="generate code for built-in types")
    parser.add_argument("-o", "--output-dir", metavar="OUTPUT_DIR", default="",
                        help="write output to directory OUTPUT_DIR")
    parser.add_argument("-p", "--prefix", metavar="PREFIX", default="",
                        help="prefix for symbols")
    parser.add_argument("-u", "--unmask-non-abi-names", action="store_true", dest="unmask",
                        help="expose non-ABI names in introspection")
    parser.add_argument("-B", "--backend", metavar="BACKEND", default=None,
                        help="code generator: 'c' (the default) is the only one")
    parser.add_argument("--suppress-tracing", action="store_true",
                        help="suppress adding trace events to qmp marshals")
    parser.add_argument("--lenient-docs", action="store_true",
                        help="accept doc comments written for older QEMU (e.g. 7.2)")
    parser.add_argument("schema", metavar="SCHEMA", help="the main schema file")


_PREFIX = re.compile(r"([A-Za-z_.-][A-Za-z0-9_.-]*)?")

#: -B values that name this generator: ours, and the default of qapi-gen.py.
KNOWN_BACKENDS = ("c", "qapi.backend.QAPICBackend")


def _funny_prefix_char(prefix: str) -> str | None:
    """The first character of *prefix* that cannot start or be in a C identifier prefix."""
    match = _PREFIX.match(prefix)
    end = match.end() if match else 0
    return prefix[end] if end < len(prefix) else None


def load_backends() -> list[Backend]:
    """The ``generate`` function of each backend module that exists."""
    found: list[Backend] = []
    for name in BACKENDS:
        module_name = f"{PACKAGE}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                continue    # not written yet
            raise
        found.append(cast(Backend, module.generate))
    return found


def generate(schema: Schema, ctx: GenContext) -> OutputSet:
    """Every generated file for *schema*, in memory."""
    main_module = os.path.basename(schema.fname)
    out = OutputSet(ctx, main_module)
    for backend in load_backends():
        backend(schema, out, ctx)
    return out


def run(args: argparse.Namespace) -> int:
    if args.backend is not None and args.backend not in KNOWN_BACKENDS:
        sys.stderr.write(f"qapic generate: unknown backend '{args.backend}' "
                         f"(known: {', '.join(KNOWN_BACKENDS)})\n")
        return 1
    funny = _funny_prefix_char(args.prefix)
    if funny is not None:
        sys.stderr.write(f"qapic generate: funny character '{funny}' in argument of --prefix\n")
        return 1
    ctx = GenContext(prefix=args.prefix, builtins=args.builtins, unmask=args.unmask,
                     suppress_tracing=args.suppress_tracing,
                     schema_name=os.path.basename(args.schema))
    try:
        schema = load_schema(args.schema, lenient_docs=args.lenient_docs)
    except QAPIError as err:
        sys.stderr.write(f"{err}\n")
        return 1
    out = generate(schema, ctx)
    out.write_all(args.output_dir or ".")
    return 0
