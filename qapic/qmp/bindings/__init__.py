"""``qapic bindings``: a typed Python package for QMP users, from one or more QEMU schemas.

The package knows, per target and per release, what each QEMU has: its types are merged over
the releases given (:mod:`.model`), its tables keep each release's own schema and conditions,
and its client checks every call against the server's own schema before sending.  The text is
written by :mod:`.emit`; the modules in ``shipped/`` are copied into every package as they are.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import LoadedRelease

HELP = "write a typed Python QMP package (types, wire codec, client) for QEMU releases"
DESCRIPTION = (
    "Write the Python package DIR/NAME for the QEMU releases whose schemas are given: every "
    "type of the schema as a Python type, a wire layer that checks QMP's JSON against the "
    "schema, an asyncio client on qemu.qmp (and a synchronous one) with one method per "
    "command, and exists()/where(): which command, event, member, enum value or branch exists "
    "on which target and release, from the schemas' conditions. Each SCHEMA must lie in a "
    "QEMU source tree (its targets and release are read from it); several schemas (one per "
    "release, e.g. 7.2, 10.0 and 10.2) make one package that serves them all. The types need "
    "only the standard library; the client needs qemu.qmp (the package's pyproject.toml says "
    "so: pip install 'DIR[client]')."
)
DEFAULT_PACKAGE = "qemu_qmp_types"


def configure(p: argparse.ArgumentParser) -> None:
    from qapic.options import CONDITIONS_METAVAR, add_lenient_docs, conditions_help

    p.add_argument("schemas", metavar="SCHEMA", nargs="+",
                   help="a QEMU release's main schema file (qapi/qapi-schema.json)")
    p.add_argument("-o", "--output-dir", metavar="DIR", required=True, type=Path,
                   help="where to write pyproject.toml and the package")
    p.add_argument("--package", metavar="NAME", default=DEFAULT_PACKAGE,
                   help=f"the package's import name (default: {DEFAULT_PACKAGE})")
    p.add_argument("--conditions", metavar=CONDITIONS_METAVAR, action="append", default=[],
                   dest="condition_files", type=_conditions,
                   help=conditions_help() + ". Give it once per SCHEMA, in the same order ('-' "
                   "for none), or once for a single SCHEMA.")
    add_lenient_docs(p)


def _conditions(value: str) -> str:
    """One ``--conditions``: '-' (none), else resolved as every command's."""
    from qapic.options import conditions_file

    return value if value == "-" else conditions_file(value)


def run(args: argparse.Namespace) -> int:
    import keyword

    from qapic.userio import UsageError, new_directories_removed_on_error, write_error, write_texts

    if not args.package.isidentifier() or keyword.iskeyword(args.package):
        raise UsageError(f"--package {args.package!r} is not a Python identifier")
    if args.condition_files and len(args.condition_files) != len(args.schemas):
        raise UsageError(f"{len(args.condition_files)} --conditions for {len(args.schemas)} "
                         "schemas: give one per schema ('-' for none)")
    releases = [_load(schema, cond if cond != "-" else None, args.lenient_docs)
                for schema, cond in zip(args.schemas,
                                        args.condition_files or [None] * len(args.schemas),
                                        strict=True)]
    keys = [r.key for r in releases]
    if len(set(keys)) != len(keys):
        raise UsageError(f"two schemas of the same release ({', '.join(keys)}): "
                         "give one schema per release")
    from .emit import package_files
    from .model import merge

    releases.sort(key=lambda r: tuple(int(n) for n in r.key.split(".")))
    files = package_files(merge(releases), args.package)
    with new_directories_removed_on_error(args.output_dir):
        try:
            write_texts(args.output_dir, files)
        except OSError as err:
            raise write_error(args.output_dir, err) from None
    return 0


def _load(schema: str, conditions: str | None, lenient: bool) -> LoadedRelease:
    from qapic.frontend import load_schema
    from qapic.frontend.overlay import load_optional
    from qapic.options import read_targets
    from qapic.qemu_tree import QemuTreeError, find_tree, read_version
    from qapic.userio import CommandError, UsageError, check_input_file

    from .model import LoadedRelease

    if conditions is not None:
        check_input_file(conditions, "a conditions file")
    check_input_file(schema, "a QAPI schema")
    loaded = load_schema(schema, lenient_docs=lenient, overlay=load_optional(conditions))
    tree = find_tree(Path(schema).parent)
    if tree is None:
        raise UsageError(f"{schema} is not inside a QEMU source tree (its release and targets "
                         "are read from it)")
    try:
        major, minor = read_version(tree)
    except QemuTreeError as err:
        raise CommandError(str(err)) from None
    return LoadedRelease(f"{major}.{minor}", loaded, read_targets(tree, schema))
