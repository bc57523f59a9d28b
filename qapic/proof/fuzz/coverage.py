"""Line coverage of the generated QAPI code a fuzz run executes (gcov).

The single harness is built with ``--coverage`` (its own harness directory); every harness
process writes its counts when it quits (libgcov merges them), and :func:`measure` reads them
with ``gcov --json-format --stdout``: per kind of generated file (``qapi-visit-*.c``,
``qapi-commands-*.c``, ``qapi-introspect.c``), the lines gcov counts as executable and those
executed at least once.

The visitor lines a run can reach are fewer: :func:`reachable` names the types a client
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
from typing import TYPE_CHECKING, NamedTuple

from qapic.frontend.visitor import EntityVisitor

if TYPE_CHECKING:
    from qapic.conditions import Condition, TargetTable
    from qapic.frontend import AlternateType, ArrayType, ObjectType, Schema, Type

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


class Reach(NamedTuple):
    """What a client reaches on some targets, as C names of types (see :func:`reachable`)."""

    types: frozenset[str]       # every type reached: its visit_type_T_members runs
    values: frozenset[str]      # those reached as a value: visit_type_T runs too
    inputs: frozenset[str]      # those a command's arguments reach: an input visitor runs them

    def counts(self, function: str) -> bool:
        """Whether visitor *function* is one a client can run."""
        t = _visited_type(function)
        return t is not None and t in (self.types if function.endswith("_members")
                                       else self.values)


def reachable(schema: Schema, table: TargetTable, targets: Collection[str],
              build_defined: Callable[[str], bool]) -> Reach:
    """What a client reaches on *targets* (of *table*, in a build whose build-time symbols
    *build_defined* decides): the arguments and results of the commands, and the data of the
    events, that exist on one of them, and every type inside those that exists there (bases,
    members, branches, alternatives, elements).

    A type used only as a base, a union's branch or an object alternative is visited by
    ``visit_type_T_members`` alone (``visit_type_T`` runs for a member's, an element's, a
    scalar alternative's or a result's value); an input visitor runs only the types a
    command's arguments reach; a command with ``'gen': false`` has no generated marshaller."""
    from qapic.conditions import SymbolClasses, holds_on
    from qapic.frontend import Command, Event, entities_of
    from qapic.naming import c_name

    classes = SymbolClasses()
    run = [table.get(n) for n in targets]

    def exists(cond: Condition) -> bool:
        return any(holds_on(cond, t, table, classes, build_defined) for t in run)

    def walk(todo: list[tuple[Type, bool]]) -> tuple[set[str], set[str]]:
        seen: set[str] = set()
        values: set[str] = set()
        while todo:
            typ, as_value = todo.pop()
            if as_value:
                values.add(typ.name)
            if typ.name in seen:
                continue
            seen.add(typ.name)
            todo += parts.visit(typ)
        return seen, values

    parts = _Parts(exists)
    # A command with 'gen': false has no marshaller: QEMU's own code takes its arguments.
    commands = [c for c in entities_of(schema.entities, Command) if exists(c.ifcond) and c.gen]
    events = [e for e in entities_of(schema.entities, Event) if exists(e.ifcond)]
    args = [(e.arg_type, False) for e in [*commands, *events] if e.arg_type is not None]
    results = [(c.ret_type, True) for c in commands if c.ret_type is not None]
    seen, values = walk([*args, *results])
    inputs, _ = walk([(c.arg_type, False) for c in commands if c.arg_type is not None])

    def names(which: set[str]) -> frozenset[str]:
        return frozenset(c_name(n, False) for n in which)  # as in visit_type_T: not q_int
    return Reach(names(seen), names(values), names(inputs))


class _Parts(EntityVisitor["list[tuple[Type, bool]]"]):
    """The types inside a type that exist (*exists* of their condition), each with whether it
    is visited as a value (``visit_type_T``) or by its members alone: a struct's members,
    base and branches, an alternate's alternatives (an object alternative: its members only),
    a list's elements."""

    def __init__(self, exists: Callable[[Condition], bool]) -> None:
        self.exists = exists

    def visit_type(self, typ: Type) -> list[tuple[Type, bool]]:
        return []

    def visit_object(self, typ: ObjectType) -> list[tuple[Type, bool]]:
        parts = [(m.type, True) for m in typ.members if self.exists(m.ifcond)]
        if typ.base is not None:
            parts.append((typ.base, False))
        if typ.branches is not None:
            parts += [(v.type, False) for v in typ.branches.variants if self.exists(v.ifcond)]
        return parts

    def visit_alternate(self, typ: AlternateType) -> list[tuple[Type, bool]]:
        return [(v.type, v.object_type is None)
                for v in typ.branches.variants if self.exists(v.ifcond)]

    def visit_array(self, typ: ArrayType) -> list[tuple[Type, bool]]:
        return [(typ.element_type, True)]


def _visited_type(function: str) -> str | None:
    """T of a visitor function ``visit_type_T`` or ``visit_type_T_members``."""
    if not function.startswith("visit_type_"):
        return None
    name = function[len("visit_type_"):]
    return name[:-len("_members")] if name.endswith("_members") else name


#: Where the generated visitors open a block only an input visitor, or a failure, runs: after a
#: visitor call that failed (``visit_policy_skip`` is no failure), where an input policy rejects
#: a member, for a value an input visitor did not allocate, to free what an input visitor
#: built, and an alternate's ``default:`` (a JSON type none of its alternatives takes).  An
#: output visitor never fails, so for a type only results and events reach, these lines cannot
#: run.
_INPUT_ONLY = re.compile(r"^(\s*)(if \(!visit_(?!policy_skip\().*\) \{"
                         r"|if \(visit_policy_reject\(.*\) \{|if \(!\*obj\) \{"
                         r"|if \(!ok && visit_is_input\(v\)\) \{|default:)$")


def input_only_lines(source: list[str]) -> set[int]:
    """Numbers (from 1) of the lines of generated visitor C *source* inside the blocks
    :data:`_INPUT_ONLY` names; an alternate's ``default:`` too (a union's is ``abort()``)."""
    out: set[int] = set()
    for n, text in enumerate(source, 1):
        m = _INPUT_ONLY.match(text)
        if m is None:
            continue
        indent = len(m.group(1))
        if m.group(2) == "default:":
            if "assert(visit_is_input(v));" not in source[n].strip():
                continue
            out.add(n)
        for k in range(n, len(source)):
            line = source[k]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            out.add(k + 1)
    return out


def measure(objdir: Path, reach: Reach | None = None) -> dict[str, dict[str, object]]:
    """Per kind: lines, executed lines, their share, and per file the executed/total lines;
    with *reach* (:func:`reachable`), also the lines of the visitors a client can run
    (``visit reachable``, see :func:`_reachable_report`)."""
    lines: dict[str, dict[int, bool]] = {}
    sources: dict[str, Path] = {}
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
                sources[name] = objdir / f["file"]
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
    if reach is not None:
        report["visit reachable"] = _reachable_report(functions, sources, reach)
    return report


def _reachable_report(functions: dict[str, dict[tuple[str, int], bool]],
                      sources: dict[str, Path], reach: Reach) -> dict[str, object]:
    """The lines of the visitor functions a client can run (:meth:`Reach.counts`), less the
    lines only an input visitor runs (:func:`input_only_lines`) in the visitors of types only
    results and events reach; executed, their share, and the functions that leave most lines
    unexecuted."""
    input_only: dict[str, set[int]] = {}
    counted: dict[str, dict[tuple[str, int], bool]] = {}
    excluded = 0
    for fn, v in functions.items():
        if not reach.counts(fn) or any(kind_of(name) != "visit" for name, _ in v):
            continue
        if _visited_type(fn) not in reach.inputs:
            for name in {name for name, _ in v}:
                if name not in input_only:
                    input_only[name] = input_only_lines(
                        sources[name].read_text(encoding="utf-8").splitlines())
            kept = {k: x for k, x in v.items() if k[1] not in input_only[k[0]]}
            excluded += len(v) - len(kept)
            v = kept
        counted[fn] = v
    total = sum(len(v) for v in counted.values())
    hit = sum(sum(v.values()) for v in counted.values())
    dark = sorted(((len(v) - sum(v.values()), fn) for fn, v in counted.items()), reverse=True)
    return {"types": len(reach.types), "functions": len(counted), "lines": total,
            "executed": hit, "percent": round(100.0 * hit / total, 1) if total else 0.0,
            "output_only_error_lines": excluded,
            "most_unexecuted": [[fn, n] for n, fn in dark[:20] if n]}
