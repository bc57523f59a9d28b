"""``qapic generate``: QEMU's C code for a schema, a drop-in for ``scripts/qapi-gen.py``.

The backends run in a fixed order, all into one in-memory :class:`OutputSet`; the files are
written only when every backend succeeded.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qapic import options
from qapic.frontend import Schema
from qapic.qemu.releases import UnsupportedRelease, as_pair, series_of, series_text, tree_series
from qapic.qemu_tree import (
    QemuTreeError,
    find_tree,
    parse_version,
    read_targets_with_kvm,
    read_version,
)
from qapic.userio import (
    CommandError,
    UsageError,
    check_input_dir,
    new_directories_removed_on_error,
    output_dir_problem,
    write_error,
)

from . import (
    commands,
    events,
    features,
    introspect_c,
    introspect_single,
    targets_c,
    types,
    visit,
)
from .common import DEFAULT_QEMU_VERSION, GenContext
from .output import OutputSet
from .single import PER_TARGET, GuardPolicy, SingleBinaryPolicy

HELP = "generate QEMU's C code from a schema (drop-in for scripts/qapi-gen.py)"
DESCRIPTION = ("Generate C code from a QAPI schema: types, visitors, commands, events, "
               "introspection and features, with the options and output files of QEMU's "
               "scripts/qapi-gen.py.")

Backend = Callable[[Schema, OutputSet, GenContext], None]

#: The C backends of per-target code, run in this order (each module's
#: ``generate(schema, out, ctx)``).
BACKENDS: tuple[Backend, ...] = (types.generate, visit.generate, commands.generate,
                                 events.generate, introspect_c.generate, features.generate)
#: ``--single-binary``: query-qmp-schema filtered at run time, and qapi-targets.[ch] last (it
#: includes its header where the files written before use it).
SINGLE_BINARY_BACKENDS: tuple[Backend, ...] = (
    types.generate, visit.generate, commands.generate, events.generate,
    introspect_single.generate, features.generate, targets_c.generate)


def backends(guards: GuardPolicy) -> tuple[Backend, ...]:
    """The backends for code under *guards*: per target or for a single binary."""
    return SINGLE_BINARY_BACKENDS if guards.single_binary else BACKENDS


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
    options.add_lenient_docs(parser)
    options.add_conditions(parser)
    parser.add_argument("--qemu-version", metavar="MAJOR.MINOR", default=None,
                        help="follow the C structure of this QEMU release's generator where "
                        f"releases differ: qapic builds QEMU {series_text()}, any patch "
                        "release (default: the VERSION of the QEMU tree that contains SCHEMA, "
                        "and a tree of another release is refused with nothing written; "
                        f"outside a tree {'.'.join(map(str, DEFAULT_QEMU_VERSION))})")
    single = parser.add_argument_group(
        "single binary", "code compiled once for every target: target conditions are decided "
        "at run time, for the targets set active (qapi-targets.h)")
    single.add_argument("--single-binary", action="store_true",
                        help="no run-time symbol in any #if; also write qapi-targets.[ch]")
    options.add_runtime_symbols(single)
    single.add_argument("--upstream-stubs", action="store_true",
                        help="the QEMU tree defines every command's handler on every target and "
                        "uses every QAPI declaration (QEMU 10.1 and later: stubs/monitor-*.c): "
                        "compile every declaration in, and no weak handler stubs")
    single.add_argument("--targets-from", metavar="QEMU_SRC_OR_BUILD", default=None,
                        help="QEMU source tree or build directory to read the targets from "
                        "(default: the QEMU tree containing SCHEMA)")
    options.add_schema(parser)


_PREFIX = re.compile(r"([A-Za-z_.-][A-Za-z0-9_.-]*)?")

#: -B values that name this generator: ours, and the default of qapi-gen.py.
KNOWN_BACKENDS = ("c", "qapi.backend.QAPICBackend")


def _funny_prefix_char(prefix: str) -> str | None:
    """The first character of *prefix* that cannot start or be in a C identifier prefix."""
    match = _PREFIX.match(prefix)
    end = match.end() if match else 0
    return prefix[end] if end < len(prefix) else None


def generate(schema: Schema, ctx: GenContext) -> OutputSet:
    """Every generated file for *schema*, in memory."""
    main_module = os.path.basename(schema.fname)
    out = OutputSet(ctx, main_module)
    for backend in backends(ctx.guards):
        backend(schema, out, ctx)
    return out


def _single_binary_policy(args: argparse.Namespace, found: Path | None) -> SingleBinaryPolicy:
    """The policy of --single-binary, with the targets of --targets-from, else of *found*
    (the QEMU tree that contains the schema)."""
    if args.targets_from is not None:
        tree = Path(args.targets_from)
        check_input_dir(tree)
    else:
        if found is None:
            raise UsageError(f"{args.schema} is not inside a QEMU source tree (--single-binary "
                             "reads its targets): name one with --targets-from QEMU_SRC_OR_BUILD")
        tree = found
    return SingleBinaryPolicy(read_targets_with_kvm(tree), options.symbol_classes(args),
                              upstream_stubs=args.upstream_stubs)


def _qemu_version(args: argparse.Namespace, found: Path | None) -> tuple[int, int]:
    """The release named by --qemu-version, else that of *found*, the tree holding the
    schema: one qapic builds (:mod:`qapic.qemu.releases`, the policy of ``qemu-setup`` too),
    else refused."""
    if args.qemu_version is not None:
        try:
            parse_version(args.qemu_version)
            return as_pair(series_of(args.qemu_version))
        except (ValueError, UnsupportedRelease) as err:
            raise UsageError(f"--qemu-version: {err}") from None
    if found is None:
        return DEFAULT_QEMU_VERSION
    try:
        return as_pair(tree_series(found))
    except UnsupportedRelease as err:
        raise CommandError(f"{err}; nothing was written") from None


def _release(tree: Path | None) -> tuple[int, int]:
    return DEFAULT_QEMU_VERSION if tree is None else read_version(tree)


def schema_release(schema: str | os.PathLike[str]) -> tuple[int, int]:
    """The VERSION of the QEMU tree that contains *schema*, else :data:`DEFAULT_QEMU_VERSION`
    (raises QemuTreeError for an unreadable VERSION)."""
    return _release(find_tree(Path(schema).parent))


def run(args: argparse.Namespace) -> int:
    """Problems are raised (QAPIError for the schema, qapic.userio's errors for the rest) and
    reported by :func:`qapic.cli.main`."""
    if args.backend is not None and args.backend not in KNOWN_BACKENDS:
        raise UsageError(f"unknown backend '{args.backend}' "
                         f"(known: {', '.join(KNOWN_BACKENDS)})")
    funny = _funny_prefix_char(args.prefix)
    if funny is not None:
        raise UsageError(f"funny character '{funny}' in argument of --prefix")
    tree = find_tree(Path(args.schema).parent)      # the QEMU tree holding the schema, if any
    guards = PER_TARGET
    if args.single_binary:
        try:
            guards = _single_binary_policy(args, tree)
        except QemuTreeError as err:
            raise CommandError(str(err)) from None
        except UsageError:
            options.load_schema(args)       # a broken schema's own error comes first
            raise
    elif (args.runtime_symbols is not None or args.targets_from is not None
          or args.upstream_stubs):
        raise UsageError("--runtime-symbols, --targets-from and --upstream-stubs need "
                         "--single-binary")
    qemu_version = _qemu_version(args, tree)
    ctx = GenContext(prefix=args.prefix, builtins=args.builtins, unmask=args.unmask,
                     suppress_tracing=args.suppress_tracing,
                     schema_name=os.path.basename(args.schema), guards=guards,
                     qemu_version=qemu_version)
    with _no_cycle_collection():
        schema = options.load_schema(args)
        out = generate(schema, ctx)
        outdir = args.output_dir or "."
        problem = output_dir_problem(outdir)
        if problem is not None:
            raise CommandError(f"cannot write {outdir}: {problem}")
        try:
            with new_directories_removed_on_error(outdir):
                out.write_all(outdir)
        except OSError as err:
            raise write_error(outdir, err) from None
    return 0


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: the schema's model and the generated text stay alive
    until the end, so every collection would only scan them again (about 7% of the run on
    QEMU's schema, for a few MB more)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
