"""Line coverage of the generated QAPI code a fuzz run executes (gcov).

The single harness is built with ``--coverage`` (its own harness directory); every harness
process writes its counts when it quits (libgcov merges them), and :func:`measure` reads them
with ``gcov --json-format --stdout``: per kind of generated file (``qapi-visit-*.c``,
``qapi-commands-*.c``, ``qapi-introspect.c``), the lines gcov counts as executable and those
executed at least once.

The visitor lines a run can reach are fewer: :func:`reachable_types` names the types a client
can reach on the targets run (the arguments and results of the commands, and the data of the
events, that exist there, and every type inside them), and the report's ``visit reachable``
counts the lines of their ``visit_type_T``/``visit_type_T_members`` functions (gcov attributes
each line to its function), with the functions that leave most lines unexecuted.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qapic.conditions import TargetTable
    from qapic.frontend import Schema, Type

KINDS = {"visit": re.compile(r"^qapi-visit-.*\.c$"),
         "commands": re.compile(r"^qapi-commands-.*\.c$"),
         "introspect": re.compile(r"^qapi-introspect\.c$")}
FLAGS = ["--coverage"]


class CoverageError(Exception):
    pass


def kind_of(name: str) -> str | None:
    return next((k for k, rx in KINDS.items() if rx.match(name)), None)


def reset(objdir: Path) -> None:
    """Forget the counts of earlier runs."""
    for p in objdir.glob("*.gcda"):
        p.unlink()


def reachable_types(schema: Schema, table: TargetTable, targets: Collection[str],
                    build_defined: Callable[[str], bool]) -> frozenset[str]:
    """C names of the types a client reaches on *targets* (of *table*, in a build whose
    build-time symbols *build_defined* decides): the arguments and results of the commands,
    and the data of the events, that exist on one of them, and every type inside those
    (bases, members, branches, alternatives, elements; conditions inside are not decided, so
    the set may be larger than what a target has, never smaller)."""
    from qapic.conditions import SymbolClasses, holds_on
    from qapic.frontend import AlternateType, ArrayType, Command, Event, ObjectType, entities_of
    from qapic.naming import c_name

    classes = SymbolClasses()
    run = [table.get(n) for n in targets]
    todo: list[Type] = []
    for ent in entities_of(schema.entities, Command, Event):
        if any(holds_on(ent.ifcond, t, table, classes, build_defined) for t in run):
            todo += [t for t in (ent.arg_type, getattr(ent, "ret_type", None)) if t is not None]
    seen: set[str] = set()
    while todo:
        typ = todo.pop()
        if typ.name in seen:
            continue
        seen.add(typ.name)
        if isinstance(typ, ObjectType):
            todo += [m.type for m in typ.members]
            if typ.base is not None:
                todo.append(typ.base)
            if typ.branches is not None:
                todo += [v.type for v in typ.branches.variants]
        elif isinstance(typ, AlternateType):
            todo += [v.type for v in typ.branches.variants]
        elif isinstance(typ, ArrayType):
            todo.append(typ.element_type)
    return frozenset(c_name(n) for n in seen)


def _visited_type(function: str) -> str | None:
    """T of a visitor function ``visit_type_T`` or ``visit_type_T_members``."""
    if not function.startswith("visit_type_"):
        return None
    name = function[len("visit_type_"):]
    return name[:-len("_members")] if name.endswith("_members") else name


def measure(objdir: Path, reachable: frozenset[str] | None = None) -> dict[str, dict[str, object]]:
    """Per kind: lines, executed lines, their share, and per file the executed/total lines;
    with *reachable* (:func:`reachable_types`), also the visitor lines of those types
    (``visit reachable``) and the functions that leave most of them unexecuted."""
    lines: dict[str, dict[int, bool]] = {}
    functions: dict[str, dict[tuple[str, int], bool]] = {}
    for gcda in sorted(objdir.glob("qapi-*.gcda")):
        proc = subprocess.run(["gcov", "--json-format", "--stdout", gcda.name], cwd=objdir,
                              capture_output=True)
        if proc.returncode != 0:
            raise CoverageError(f"gcov {gcda} failed: {proc.stderr.decode()[-2000:]}")
        out = proc.stdout
        if out[:2] == b"\x1f\x8b":
            out = gzip.decompress(out)
        for doc in out.decode().splitlines():
            if not doc.strip():
                continue
            for f in json.loads(doc).get("files", []):
                name = Path(f["file"]).name
                if kind_of(name) is None:
                    continue
                seen = lines.setdefault(name, {})
                for ln in f.get("lines", []):
                    n = ln["line_number"]
                    seen[n] = seen.get(n, False) or ln["count"] > 0
                    fn = functions.setdefault(ln.get("function_name", ""), {})
                    fn[name, n] = fn.get((name, n), False) or ln["count"] > 0
    report: dict[str, dict[str, object]] = {}
    for kind in KINDS:
        files = {n: v for n, v in lines.items() if kind_of(n) == kind}
        total = sum(len(v) for v in files.values())
        hit = sum(sum(v.values()) for v in files.values())
        report[kind] = {
            "files": len(files), "lines": total, "executed": hit,
            "percent": round(100.0 * hit / total, 1) if total else 0.0,
            "per_file": {n: [sum(v.values()), len(v)] for n, v in sorted(files.items())},
        }
    if reachable is not None:
        counted = {fn: v for fn, v in functions.items()
                   if _visited_type(fn) in reachable
                   and all(kind_of(name) == "visit" for name, _ in v)}
        total = sum(len(v) for v in counted.values())
        hit = sum(sum(v.values()) for v in counted.values())
        dark = sorted(((len(v) - sum(v.values()), fn) for fn, v in counted.items()),
                      reverse=True)
        report["visit reachable"] = {
            "types": len(reachable), "functions": len(counted), "lines": total,
            "executed": hit, "percent": round(100.0 * hit / total, 1) if total else 0.0,
            "most_unexecuted": [[fn, n] for n, fn in dark[:20] if n],
        }
    return report
