"""``qapic carry-conditions``: carry an old schema's target conditions forward to a new one.

QEMU 10.1 deleted the ``TARGET_*`` conditions from its schema (and ``CONFIG_KVM`` from
``set-cpu-topology``); every binary has listed every target's commands since.  This derives a
conditions file (:mod:`qapic.frontend.overlay`) that puts them back without editing the schema:
every condition on a run-time symbol in OLD whose item (definition, member, enum value, branch,
feature) exists in NEW without one.  Items are found by name, wherever their module is now.

What cannot be carried is listed (definition or item gone or renamed, a different kind of
definition, inline arguments that became a named type), and so is every *conflict*: a
reference that is visible on some target while the carried conditions hide the referenced type
there.  Either makes the exit status 1; the file is written all the same, for review.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from qapic import options
from qapic.conditions import (
    Condition,
    SymbolClasses,
    TargetTable,
    conjoin,
    possible,
)
from qapic.conditions import from_json as condition_from_json
from qapic.frontend import (
    AlternateType,
    ArrayType,
    Branches,
    Command,
    Entity,
    EntityVisitor,
    Event,
    ObjectType,
    Schema,
    SourceInfo,
    Type,
    load_overlay,
    load_schema,
)
from qapic.frontend.expr import METAS
from qapic.frontend.overlay import PART_WORDS as _PART_WORDS
from qapic.frontend.overlay import PARTS as _PARTS
from qapic.frontend.overlay import apply as apply_overlay
from qapic.frontend.parser import Definition as ParsedDefinition
from qapic.frontend.parser import Value
from qapic.frontend.schema import definitions_of, parse_checked
from qapic.userio import CommandError, check_input_file, write_file, write_stdout

HELP = "derive a conditions file carrying OLD's target conditions to NEW"
DESCRIPTION = (
    "Write a conditions file (for --conditions) that adds to NEW every condition on a run-time "
    "symbol (default TARGET_*, CONFIG_KVM) that an item of OLD has and the same item of NEW "
    "lacks. Items are matched by name across modules. Exit 0 when everything was carried and "
    "the result is consistent on every target; 1 when something could not be carried or a "
    "visible item refers to a type hidden on some target (both listed on stderr and in the "
    "file); 2 for usage errors.")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD_SCHEMA", help="the schema with the conditions")
    parser.add_argument("new", metavar="NEW_SCHEMA", help="the schema to carry them to")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the conditions file here (default: standard output)")
    parser.add_argument("--old-conditions", metavar=options.CONDITIONS_METAVAR,
                        type=options.conditions_file,
                        help="OLD's own conditions file (OLD as it is built, e.g. 10.2 with "
                        "the conditions carried onto it), or a QEMU release naming the one "
                        "qapic ships (--old-conditions 10.2): carry from release to release")
    options.add_runtime_symbols(parser)
    options.add_qemu_src(parser, help="QEMU tree whose targets the consistency check uses "
                         "(default: the tree containing NEW_SCHEMA)")
    options.add_lenient_docs(parser)


# --- what is carried ----------------------------------------------------------------------


@dataclass
class Problem:
    """An item that could not be carried, or a conflict the carried conditions create."""

    where: str          # file:line of the item in OLD (or of the referrer in NEW)
    what: str           # "command 'query-foo'", "member 'bar' of struct 'Foo'"
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.why}"


@dataclass
class Carried:
    """What one entry of the conditions file holds, before it is written."""

    meta: str
    name: str
    old_module: str
    cond: Value | None = None
    features: dict[str, Value] = field(default_factory=dict)
    parts: dict[str, dict[str, tuple[Value | None, dict[str, Value]]]] = field(
        default_factory=dict)

    def is_empty(self) -> bool:
        return self.cond is None and not self.features and not any(self.parts.values())




def _meta(expr: dict[str, Value]) -> str:
    return next(m for m in METAS if m in expr)


def _items(expr: dict[str, Value], part: str) -> dict[str, dict[str, Value]] | None:
    """Named members/values/branches of *part*; None when *part* names a type instead."""
    value = expr.get(part)
    if isinstance(value, list):       # enum values, normalised to objects
        return {str(v["name"]): v for v in value if isinstance(v, dict)}
    if isinstance(value, dict):
        return {(k[1:] if k.startswith("*") else k): v
                for k, v in value.items() if isinstance(v, dict)}
    return None if isinstance(value, str) else {}


def _features(owner: dict[str, Value]) -> dict[str, dict[str, Value]]:
    raw = owner.get("features")
    return {str(f["name"]): f for f in raw if isinstance(f, dict)} if isinstance(raw, list) else {}


class _Deriver:
    def __init__(self, classes: SymbolClasses, old_root: str) -> None:
        self.classes = classes
        self.old_root = old_root
        self.problems: list[Problem] = []

    def _runtime(self, value: Value | None) -> bool:
        return value is not None and self.classes.is_runtime_dependent(
            condition_from_json(value))

    def _carry(self, old: Value | None, new: Value | None) -> Value | None:
        """The condition to add to an item of NEW, or None."""
        if not self._runtime(old) or self._runtime(new) or old == new:
            return None   # nothing to carry, or NEW decides per target itself
        return old

    def _where(self, info: SourceInfo) -> str:
        return f"{os.path.relpath(info.fname, self.old_root)}:{info.line}"

    def _lost(self, info: SourceInfo, what: str, why: str) -> None:
        self.problems.append(Problem(self._where(info), what, why))

    def _all_runtime(self, expr: dict[str, Value], meta: str) -> Iterator[str]:
        """Every item of an OLD definition that has a run-time condition, in words."""
        owner = f"{meta} '{expr[meta]}'"
        if self._runtime(expr.get("if")):
            yield owner
        for fname, feat in _features(expr).items():
            if self._runtime(feat.get("if")):
                yield f"feature '{fname}' of {owner}"
        for part in _PARTS[meta]:
            for iname, item in (_items(expr, part) or {}).items():
                word = "member" if part == "base" else _PART_WORDS.get(meta, "member")
                if self._runtime(item.get("if")):
                    yield f"{word} '{iname}' of {owner}"
                for fname, feat in _features(item).items():
                    if self._runtime(feat.get("if")):
                        yield f"feature '{fname}' of {word} '{iname}' of {owner}"

    def definition(self, old: ParsedDefinition, new: ParsedDefinition | None) -> Carried | None:
        meta = _meta(old.expr)
        name = str(old.expr[meta])
        lost = list(self._all_runtime(old.expr, meta))
        if not lost:
            return None
        if new is None:
            for what in lost:
                self._lost(old.info, what, f"NEW has no definition '{name}' (removed or renamed)")
            return None
        new_meta = _meta(new.expr)
        if new_meta != meta:
            for what in lost:
                self._lost(old.info, what, f"'{name}' is a {new_meta} in NEW, not a {meta}")
            return None
        owner = f"{meta} '{name}'"
        out = Carried(meta, name, os.path.relpath(old.info.fname, self.old_root))
        out.cond = self._carry(old.expr.get("if"), new.expr.get("if"))
        out.features = self._carry_features(old.expr, new.expr, old.info, owner)
        for part in _PARTS[meta]:
            old_items, new_items = _items(old.expr, part), _items(new.expr, part)
            word = "member" if part == "base" else _PART_WORDS.get(meta, "member")
            carried: dict[str, tuple[Value | None, dict[str, Value]]] = {}
            for iname, item in (old_items or {}).items():
                what = f"{word} '{iname}' of {owner}"
                if not (self._runtime(item.get("if"))
                        or any(self._runtime(f.get("if")) for f in _features(item).values())):
                    continue
                if new_items is None:
                    self._lost(old.info, what, f"NEW's '{part}' of '{name}' is a named type, "
                                               "not inline members (changed shape)")
                    continue
                new_item = new_items.get(iname)
                if new_item is None:
                    self._lost(old.info, what, f"NEW's {owner} has no {word} '{iname}' "
                                               "(removed or renamed)")
                    continue
                cond = self._carry(item.get("if"), new_item.get("if"))
                feats = self._carry_features(item, new_item, old.info, what)
                if cond is not None or feats:
                    carried[iname] = (cond, feats)
            if carried:
                out.parts[part] = carried
        return None if out.is_empty() else out

    def _carry_features(self, old: dict[str, Value], new: dict[str, Value], info: SourceInfo,
                        owner: str) -> dict[str, Value]:
        new_feats = _features(new)
        out: dict[str, Value] = {}
        for fname, feat in _features(old).items():
            if not self._runtime(feat.get("if")):
                continue
            if fname not in new_feats:
                self._lost(info, f"feature '{fname}' of {owner}",
                           "NEW has no such feature (removed or renamed)")
                continue
            cond = self._carry(feat.get("if"), new_feats[fname].get("if"))
            if cond is not None:
                out[fname] = cond
        return out


def derive(old_schema: str, new_schema: str, classes: SymbolClasses,
           lenient_docs: bool = False, old_conditions: str | None = None
           ) -> tuple[list[Carried], list[Problem]]:
    """The entries to carry from OLD (with its own conditions file, if any) to NEW (in NEW's
    definition order) and what is lost."""
    old_defs = definitions_of(parse_checked(old_schema, lenient_docs))
    if old_conditions is not None:
        apply_overlay(load_overlay(old_conditions), old_defs)
    new_defs = definitions_of(parse_checked(new_schema, lenient_docs))
    new_by_name = {str(d.expr[_meta(d.expr)]): d for d in new_defs}
    order = {name: i for i, name in enumerate(new_by_name)}
    deriver = _Deriver(classes, os.path.dirname(old_schema) or ".")
    carried = []
    for old in old_defs:
        name = str(old.expr[_meta(old.expr)])
        entry = deriver.definition(old, new_by_name.get(name))
        if entry is not None:
            carried.append(entry)
    carried.sort(key=lambda c: order[c.name])
    return carried, deriver.problems


def new_items(old_schema: str, new_schema: str, lenient_docs: bool = False) -> list[str]:
    """What NEW has and OLD has not, in words (definitions, and the members, enum values and
    branches of definitions both have): nothing is carried to them, so each is for a person
    to review (did it get a target condition since OLD?)."""
    old_by_name = {str(d.expr[_meta(d.expr)]): d.expr
                   for d in definitions_of(parse_checked(old_schema, lenient_docs))}
    out = []
    for new in definitions_of(parse_checked(new_schema, lenient_docs)):
        meta = _meta(new.expr)
        name = str(new.expr[meta])
        old = old_by_name.get(name)
        if old is None or _meta(old) != meta:
            out.append(f"{meta} '{name}'")
            continue
        for part in _PARTS[meta]:
            old_items, new_items_ = _items(old, part), _items(new.expr, part)
            if old_items is None or new_items_ is None:
                continue
            word = "member" if part == "base" else _PART_WORDS.get(meta, "member")
            out.extend(f"{word} '{iname}' of {meta} '{name}'"
                       for iname in new_items_ if iname not in old_items)
    return out


# --- consistency ------------------------------------------------------------------------------


Definition_ = ObjectType | AlternateType | Command | Event
Reference = tuple[Definition_, Condition, Type, str]
"""(referrer, the condition under which the reference exists, referenced type, words)."""


class _References(EntityVisitor[Iterator[Reference]]):
    """The types a definition refers to."""

    def visit_entity(self, ent: Entity) -> Iterator[Reference]:
        return iter(())         # modules, includes, enums, arrays, built-in types

    def visit_object(self, typ: ObjectType) -> Iterator[Reference]:
        if typ.base is not None:
            yield typ, typ.ifcond, typ.base, "its base"
        for m in typ.local_members:
            yield typ, conjoin(typ.ifcond, m.ifcond), m.type, f"member '{m.name}'"
        yield from self._branches(typ, typ.branches)

    def visit_alternate(self, typ: AlternateType) -> Iterator[Reference]:
        return self._branches(typ, typ.branches)

    @staticmethod
    def _branches(typ: ObjectType | AlternateType,
                  branches: Branches | None) -> Iterator[Reference]:
        for v in branches.variants if branches else ():
            yield typ, conjoin(typ.ifcond, v.ifcond), v.type, f"branch '{v.name}'"

    def visit_command(self, cmd: Command) -> Iterator[Reference]:
        yield from self._arguments(cmd)
        if cmd.ret_type is not None:
            yield cmd, cmd.ifcond, cmd.ret_type, "its return type"

    def visit_event(self, event: Event) -> Iterator[Reference]:
        return self._arguments(event)

    @staticmethod
    def _arguments(ent: Command | Event) -> Iterator[Reference]:
        if ent.arg_type is not None and ent.arg_type.info is not None \
                and not ent.arg_type.name.startswith("q_obj_"):
            yield ent, ent.ifcond, ent.arg_type, "its arguments"


def _references(schema: Schema) -> Iterator[Reference]:
    visitor = _References()
    for ent in schema.definitions:
        yield from visitor.visit(ent)


class _Element(EntityVisitor[Type]):
    """An array's element type (of the innermost array); any other type itself."""

    def visit_type(self, typ: Type) -> Type:
        return typ

    def visit_array(self, typ: ArrayType) -> Type:
        return typ.element_type.accept(self)


_ELEMENT = _Element()


def conflicts(schema: Schema, table: TargetTable, classes: SymbolClasses) -> list[Problem]:
    """References visible on a target (with or without KVM) to a type hidden there."""
    out: list[Problem] = []
    cases = [(t.name, kvm, table.target_symbols(t) | ({"CONFIG_KVM"} if kvm else frozenset()))
             for t in table for kvm in (False, True)]
    for ent, cond, typ, words in _references(schema):
        typ = typ.accept(_ELEMENT)
        if typ.info is None or not (classes.is_runtime_dependent(typ.ifcond)
                                    or classes.is_runtime_dependent(cond)):
            continue
        bad = sorted({name for name, _kvm, syms in cases
                      if possible(cond, syms, classes) and not possible(typ.ifcond, syms, classes)})
        if bad:
            where = f"{ent.info.fname}:{ent.info.line}" if ent.info else ent.name
            out.append(Problem(where, f"{ent.meta} '{ent.name}'",
                               f"{words} refers to '{typ.name}', which is hidden on "
                               + ", ".join(bad)))
    return out


# --- writing -------------------------------------------------------------------------------


def qapi_literal(value: Value | None) -> str:
    """*value* in the schema language's spelling."""
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[ " + ", ".join(qapi_literal(v) for v in value) + " ]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{qapi_literal(k)}: {qapi_literal(v)}"
                                for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    raise TypeError(f"no schema spelling for {value!r}")


def _entry_value(entry: Carried) -> dict[str, Value]:
    out: dict[str, Value] = {entry.meta: entry.name}
    if entry.cond is not None:
        out["if"] = entry.cond
    if entry.features:
        out["features"] = {f: {"if": c} for f, c in entry.features.items()}
    for part, items in entry.parts.items():
        body: dict[str, Value] = {}
        for iname, (cond, feats) in items.items():
            item: dict[str, Value] = {}
            if cond is not None:
                item["if"] = cond
            if feats:
                item["features"] = {f: {"if": c} for f, c in feats.items()}
            body[iname] = item
        out[part] = body
    return out


def render_entry(entry: Carried) -> str:
    """One entry, on one line when it fits, else one item per line."""
    value = _entry_value(entry)
    flat = qapi_literal(value)
    if len(flat) <= 100:
        return flat
    lines = []
    keys = list(value)
    for i, key in enumerate(keys):
        lead = "{ " if i == 0 else "  "
        sub = value[key]
        if isinstance(sub, dict) and key in ("data", "base", "features"):
            inner = [f"{qapi_literal(k)}: {qapi_literal(v)}" for k, v in sub.items()]
            text = f"{qapi_literal(key)}: {{ " + (",\n" + " " * (len(key) + 8)).join(inner) + " }"
        else:
            text = f"{qapi_literal(key)}: {qapi_literal(sub)}"
        lines.append(lead + text + ("," if i < len(keys) - 1 else " }"))
    return "\n".join(lines)


def render(entries: list[Carried], problems: list[Problem], header: str,
           new_modules: dict[str, str], new: list[str] | None = None) -> str:
    out = [header.rstrip("\n"), ""]
    if problems:
        out.append("# Not carried or in conflict (see qapic carry-conditions' exit status):")
        out.extend(f"#   {p}" for p in problems)
        out.append("")
    if new:
        out.append(f"# New since OLD, so nothing carried to them ({len(new)}; review whether "
                   "any needs a target condition):")
        out.extend(f"#   {item}" for item in new)
        out.append("")
    module = None
    for entry in entries:
        here = new_modules.get(entry.name, "")
        if here != module:
            module = here
            moved = "" if os.path.basename(entry.old_module) == os.path.basename(here) \
                else f" (in OLD: {os.path.basename(entry.old_module)})"
            out.append(f"# --- {here}{moved}")
        out.append(render_entry(entry))
    return "\n".join(out) + "\n"


def _new_modules(schema_path: str) -> dict[str, str]:
    parsed = parse_checked(schema_path)
    root = os.path.dirname(schema_path) or "."
    return {str(d.expr[_meta(d.expr)]): os.path.relpath(d.info.fname, root)
            for d in definitions_of(parsed)}


def _release_of(schema: str) -> str:
    """``QEMU 10.0.13 (qapi/qapi-schema.json)``: the release of the QEMU tree holding
    *schema* (its VERSION) and the schema's path in it; outside a tree, the schema's path."""
    from pathlib import Path

    from qapic.qemu_tree import find_tree

    path = Path(schema).resolve()
    tree = find_tree(path.parent)
    if tree is None:
        return schema
    try:
        version = (tree / "VERSION").read_text(encoding="utf-8").strip()
    except OSError:
        version = ""
    inside = path.relative_to(tree).as_posix()
    return f"QEMU {version} ({inside})" if version else f"{tree.name}/{inside}"


def carry(old: str, new: str, classes: SymbolClasses, table: TargetTable,
          lenient_docs: bool = False, old_conditions: str | None = None
          ) -> tuple[str, list[Problem], list[str]]:
    """The conditions file's text, every problem (lost items, then conflicts) and what NEW
    has that OLD has not (:func:`new_items`)."""
    entries, lost = derive(old, new, classes, lenient_docs, old_conditions)
    fresh = new_items(old, new, lenient_docs)
    header = ("# Conditions carried by qapic carry-conditions\n"
              f"#   from {_release_of(old)}\n"
              f"#   to   {_release_of(new)}\n"
              + (f"#   with {os.path.basename(old_conditions)}\n" if old_conditions else "")
              + f"# run-time symbols: {','.join(classes.runtime_patterns)}\n"
              "# Format: see qapic's README, 'Conditions files'")
    text = render(entries, [], header, _new_modules(new), fresh)
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "carried.json")
        with open(probe, "w", encoding="utf-8") as fh:
            fh.write(text)
        schema = load_schema(new, lenient_docs, overlay=load_overlay(probe))
    found = conflicts(schema, table, classes)
    problems = lost + found
    if problems:
        text = render(entries, problems, header, _new_modules(new), fresh)
    return text, problems, fresh


def run(args: argparse.Namespace) -> int:
    """Problems are raised (QAPIError for a schema, qapic.userio's errors for the rest) and
    reported by :func:`qapic.cli.main`."""
    try:
        table = options.target_table(args, "the targets are read from it", schema=args.new)
    except CommandError:        # a broken schema is reported as such, not as the tree problem
        load_schema(args.old, args.lenient_docs)
        load_schema(args.new, args.lenient_docs)
        raise
    if args.old_conditions is not None:
        check_input_file(args.old_conditions, "a conditions file")
    text, problems, fresh = carry(args.old, args.new, options.symbol_classes(args), table,
                                  args.lenient_docs, args.old_conditions)
    if args.output is None or args.output == "-":
        write_stdout(text)
    else:
        write_file(args.output, text)
    for p in problems:
        sys.stderr.write(f"qapic carry-conditions: {p}\n")
    if fresh:
        sys.stderr.write(f"qapic carry-conditions: note: {len(fresh)} items are new since "
                         "OLD and carry no condition; the file lists them for review\n")
    return 1 if problems else 0


__all__ = ["carry", "conflicts", "derive", "new_items", "qapi_literal", "render_entry"]
