"""``qapic docs SCHEMA -o DIR``: a QMP reference from the schema's doc comments.

HTML (one page with its style sheet and script, readable from the file system, no network) and
reStructuredText (one file, plain rST for Sphinx).  Every command, event and type is shown with
its members, features, "since", notes and examples, cross-linked, under the free-form headings of
the schema, with an index of every definition.  Whatever does not exist everywhere says where it
exists (from :mod:`qapic.conditions`); in the HTML the target picker hides what the chosen target
lacks, and the search (names and descriptions) says where a match the target lacks exists.
``--target``/``--define`` document one build instead, leaving out what it lacks.

The pieces: :mod:`.markup` (the rST subset of doc comments), :mod:`.model` (the view),
:mod:`.html` and :mod:`.rst` (renderers).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
from pathlib import Path

from qapic import options
from qapic.conditions import TargetTable
from qapic.frontend import Schema
from qapic.userio import (
    CommandError,
    UsageError,
    new_directories_removed_on_error,
    output_dir_problem,
    unknown_target,
    warn_unused_symbols,
    write_error,
)

from . import html, rst
from .model import Build, View, build_view, manual_url

HELP = "generate a QMP reference (HTML, reStructuredText) from the schema's doc comments"
DESCRIPTION = """\
Write a reference of SCHEMA's commands, events and types, from its doc comments, into DIR:
index.html (with qapi-docs.css and qapi-docs.js; open it from the file system, it needs no
server and no network) and/or qapi-reference.rst (plain reStructuredText for Sphinx).

Items that do not exist on every target, or need a build option, say where they exist, in
plain words; in the HTML a target picker hides what the chosen target lacks, and a search box
filters by names and descriptions (saying where a match the chosen target lacks exists).  The
page ends with an index of all definitions.  Targets are read from the QEMU source tree
containing SCHEMA (or --qemu-src).

With --target and/or --define the reference documents one build: exactly those symbols are
defined, and whatever the build lacks is left out.

Examples:
  qapic docs qapi/qapi-schema.json -o build/qmp-ref
  qapic docs qapi/qapi-schema.json -o out --target x86_64 --define CONFIG_SPICE
  qapic docs qapi/qapi-schema.json -o out --format html,rst
"""

FORMATS = {"html": html.render, "rst": rst.render}


def configure(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter     # the examples, one a line
    options.add_schema(p)
    p.add_argument("-o", "--output", metavar="DIR", required=True, type=Path,
                   help="the directory to write (created, or its files replaced)")
    p.add_argument("-t", "--target", metavar="NAME", action=options.Once,
                   help="document one build for target NAME (e.g. x86_64)")
    p.add_argument("-D", "--define", metavar="SYM", action="append", default=[],
                   help="document one build defining SYM (repeatable), e.g. CONFIG_SPICE")
    options.add_qemu_src(p)
    p.add_argument("--format", default="html", metavar="FMT[,FMT]",
                   help="html, rst or both (comma-separated); default html")
    p.add_argument("--title", help="the document's title (default: 'QEMU VERSION QMP "
                   "Reference', the VERSION of the QEMU tree holding SCHEMA)")
    options.add_lenient_docs(p)
    options.add_conditions(p)


def _formats(text: str) -> list[str]:
    names = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in names if f not in FORMATS]
    if bad or not names:
        raise UsageError(f"unknown format '{','.join(bad) or text}' "
                             f"(known: {', '.join(FORMATS)})")
    return list(dict.fromkeys(names))


def _table(args: argparse.Namespace, tree: Path | None) -> TargetTable | None:
    if tree is None and not args.target:
        return None
    return options.read_targets(tree, args.schema, f"to find target '{args.target}'")


def _version(tree: Path | None) -> str | None:
    """The QEMU release of *tree* (its VERSION, ``10.0.13``), if known."""
    if tree is None:
        return None
    try:
        text = (tree / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if re.fullmatch(r"\d+\.\d+\.\d+", text) else None


def _need_no_targets(args: argparse.Namespace, schema: Schema) -> None:
    """A schema outside any QEMU tree (and no --qemu-src) is documented without targets:
    unless its conditions name targets, which only a tree says where they exist."""
    from qapic.userio import condition_symbols

    named = sorted(s for s in condition_symbols(schema) if s.startswith("TARGET_"))
    if named:
        raise UsageError(f"{args.schema} is not inside a QEMU source tree, and its conditions "
                         f"name targets ({', '.join(named[:3])}{', ...' * (len(named) > 3)}):"
                         " name one with --qemu-src DIR")


def _build(args: argparse.Namespace, table: TargetTable | None) -> Build | None:
    if not args.target and not args.define:
        return None
    defined = set(args.define)
    words = []
    if args.target:
        assert table is not None
        try:
            target = table.get(args.target)
        except KeyError:
            raise unknown_target(args.target, table) from None
        defined |= target.symbols
        words.append(f"target {args.target}")
    else:
        words.append("no target")
    if args.define:
        words.append("with " + ", ".join(dict.fromkeys(args.define)))
    else:
        words.append("no other symbol defined")
    return Build(frozenset(defined), ", ".join(words))


def generate(args: argparse.Namespace) -> dict[str, str]:
    """The output files (name -> content) for the parsed command line *args*."""
    formats = _formats(args.format)
    schema = options.load_schema(args)      # first: a schema error wins over a tree problem
    tree = options.qemu_tree(args)
    if tree is None and not args.target:
        _need_no_targets(args, schema)
    table = _table(args, tree)
    build = _build(args, table)
    warn_unused_symbols("docs", schema, args.define)
    if table is not None:
        options.warn_without_target_conditions("docs", schema, tree)
    version = _version(tree)
    title = args.title or (f"QEMU {version} QMP Reference" if version else "QMP Reference")
    view: View = build_view(schema, table, build, title=title, manual=manual_url(version))
    files: dict[str, str] = {}
    for fmt in formats:
        files.update(FORMATS[fmt](view))
    return files


def write_output(out_dir: Path, files: dict[str, str]) -> None:
    """Write *files* into *out_dir* so that no reader ever sees a half-written output: a new
    directory is filled under a temporary name and renamed; in an existing directory each file
    is written under a temporary name, then all are renamed into place."""
    problem = output_dir_problem(out_dir)
    if problem is not None:
        raise CommandError(f"cannot write {out_dir}: {problem}")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not out_dir.exists():
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
        try:
            for name, content in files.items():
                (tmp / name).write_text(content, encoding="utf-8")
            tmp.chmod(0o777 & ~_umask())
            os.replace(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            fd, tmpname = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
            staged.append((Path(tmpname), out_dir / name))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
            os.chmod(tmpname, 0o666 & ~_umask())
        for tmp_file, final in staged:
            os.replace(tmp_file, final)
    except BaseException:
        for tmp_file, _final in staged:
            tmp_file.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run(args: argparse.Namespace) -> int:
    """The ``qapic docs`` command.  Problems are raised (QAPIError for the schema,
    qapic.userio's errors for the rest) and reported by :func:`qapic.cli.main`."""
    files = generate(args)
    try:
        with new_directories_removed_on_error(args.output):
            write_output(args.output, files)
    except OSError as err:
        raise write_error(args.output, err) from None
    return 0
