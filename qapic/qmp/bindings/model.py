"""What a bindings package holds, before any text is written: one release's tables, and the
Python classes, aliases and methods merged over every release the package serves.

Each release is a checked schema (its conditions file applied) and the targets of its QEMU tree.
Python names are made once here (:func:`python_name`, :func:`class_name`); the runtime finds
every member's Python name in the tables, so it never derives one.

Merging: a type, command or event keeps one Python name over all releases.  A member that only
some releases have, or that some release has as optional, is optional in Python; a member whose
type changed between releases takes the union of its types; a type that was a struct in one
release and a union in another is the union (its base class also holds the struct's members).
The tables stay per release, so each release's values are checked by that release's rules.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from qapic.conditions import Condition, TargetTable
from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EntityVisitor,
    EnumType,
    Event,
    Feature,
    ObjectMember,
    ObjectType,
    Schema,
    Type,
    entities_of,
)

#: Names the generated ``types`` module imports or defines itself: a schema type with one of
#: these names gets a trailing underscore.
RESERVED = frozenset({
    "Any", "ClassVar", "Literal", "Never", "TypeAlias", "TYPE_CHECKING", "JSON", "NULL", "Null",
    "Struct", "Event", "CLASSES", "annotations", "deprecated",
})


def python_name(wire: str) -> str:
    """The Python identifier of a member, command or enum value named *wire* on the wire:
    ``node-name`` -> ``node_name``, ``if`` -> ``if_``, ``__org.qemu_x`` -> ``_org_qemu_x``.
    (QAPI's clash rules make these unique within a definition.)"""
    name = re.sub(r"[^A-Za-z0-9_]", "_", wire)
    if wire.startswith("__"):
        name = name[1:]     # no name mangling inside class bodies
    if name[:1].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) or name in _ANNOTATION_BUILTINS else name


#: Builtins the generated annotations use: a member of that name would hide them in its class.
_ANNOTATION_BUILTINS = frozenset({"str", "int", "float", "bool", "list"})


def class_name(qapi: str) -> str:
    """The Python name of a named type."""
    name = python_name(qapi)
    return name + "_" if name in RESERVED else name


def camel(wire: str) -> str:
    """``BLOCK_JOB_COMPLETED`` / ``block-job-complete`` -> ``BlockJobCompleted`` / ..."""
    return "".join(w[:1].upper() + w[1:].lower() for w in re.split(r"[-_.]+", wire) if w)


@dataclass
class Doc:
    """A definition's documentation, as plain text pieces."""

    body: str = ""
    members: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    sections: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PyMember:
    wire: str
    py: str
    annotations: list[str]
    required: bool
    doc: str = ""
    features: list[str] = field(default_factory=list)

    @property
    def annotation(self) -> str:
        return " | ".join(self.annotations)


@dataclass
class PyClass:
    """A generated class: a struct, a union (its base class), a union's branch, a command's
    arguments or an event."""

    name: str
    key: str                    # its key in CLASSES (what the tables name)
    qapi: str                   # the QAPI name shown to readers
    kind: str                   # "struct", "union", "branch", "arguments", "event"
    base: str                   # Python base class
    members: list[PyMember]     # every member, inherited ones first
    own: list[str]              # Python names declared here
    doc: Doc
    releases: list[str]
    features: list[str] = field(default_factory=list)
    fixed: dict[str, str] = field(default_factory=dict)  # a branch's tags: Python name: value
    where: str = ""


@dataclass
class PyAlias:
    name: str
    qapi: str
    kind: str                   # "enum", "alternate"
    values: list[str]           # enum values, or alternative annotations
    doc: Doc
    releases: list[str]
    value_features: dict[str, list[str]] = field(default_factory=dict)
    where: str = ""


@dataclass
class PyCommand:
    wire: str
    method: str
    params: list[PyMember]
    boxed: str | None           # the annotation of the one boxed argument
    returns: list[str]
    doc: Doc
    releases: list[str]
    features: list[str]
    extra: bool                 # 'gen': false: any further member is passed as it is
    where: str = ""


@dataclass
class ReleaseTables:
    """One release's tables (the runtime's ``TYPES``, ``COMMANDS``, ``EVENTS``, ...)."""

    key: str
    types: dict[str, tuple[object, ...]]
    conds: dict[str, object]
    commands: dict[str, tuple[object, ...]]
    events: dict[str, tuple[object, ...]]
    targets: dict[str, tuple[str, ...]]


@dataclass
class Bindings:
    releases: list[ReleaseTables]
    classes: list[PyClass]
    aliases: list[PyAlias]
    commands: list[PyCommand]
    events: list[PyClass]


@dataclass
class LoadedRelease:
    key: str
    schema: Schema
    targets: TargetTable


# --- one release's tables -------------------------------------------------------------------


def _cond(cond: Condition) -> object:
    return cond.to_json()


def _features(features: Iterable[Feature]) -> tuple[tuple[str, object], ...]:
    return tuple((f.name, _cond(f.ifcond)) for f in features)


class _Table(EntityVisitor["tuple[object, ...]"]):
    """A type's descriptor (the runtime's docstring has the shapes)."""

    def visit_builtin(self, typ: BuiltinType) -> tuple[object, ...]:
        return ("builtin", typ.name)

    def visit_enum(self, typ: EnumType) -> tuple[object, ...]:
        return ("enum", tuple((m.name, _cond(m.ifcond), _features(m.features))
                              for m in typ.members))

    def visit_array(self, typ: ArrayType) -> tuple[object, ...]:
        return ("array", typ.element_type.name)

    def visit_object(self, typ: ObjectType) -> tuple[object, ...]:
        # A member with a condition may be missing even where it is required (a build or
        # target without it): the client checks requests against the server's own schema.
        members = tuple((m.name, python_name(m.name), m.type.name,
                         m.optional or not m.ifcond.is_always, _cond(m.ifcond),
                         _features(m.features)) for m in typ.members)
        if typ.branches is None:
            return ("object", members, None, (), _features(typ.features))
        branches = tuple((v.name, v.type.name, _cond(v.ifcond))
                         for v in typ.branches.variants)
        return ("object", members, typ.branches.tag_member.name, branches,
                _features(typ.features))

    def visit_alternate(self, typ: AlternateType) -> tuple[object, ...]:
        return ("alternate", tuple((v.type.name, _cond(v.ifcond))
                                   for v in typ.branches.variants))


def release_tables(rel: LoadedRelease) -> ReleaseTables:
    table = _Table()
    types: dict[str, tuple[object, ...]] = {}
    conds: dict[str, object] = {}
    for typ in entities_of(rel.schema.entities, Type):
        types[typ.name] = table.visit(typ)
        if not typ.ifcond.is_always:
            conds[typ.name] = _cond(typ.ifcond)
    commands: dict[str, tuple[object, ...]] = {
        c.name: (c.arg_type.name if c.arg_type else None,
                 c.ret_type.name if c.ret_type else None,
                 c.boxed, _cond(c.ifcond), _features(c.features), c.gen)
        for c in entities_of(rel.schema.entities, Command)
    }
    events: dict[str, tuple[object, ...]] = {
        e.name: (e.arg_type.name if e.arg_type else None, e.boxed, _cond(e.ifcond),
                 _features(e.features))
        for e in entities_of(rel.schema.entities, Event)
    }
    targets = {t.name: tuple(sorted(t.symbols)) for t in rel.targets}
    return ReleaseTables(rel.key, types, conds, commands, events, targets)


# --- Python names of types ------------------------------------------------------------------


class _Annotation(EntityVisitor[str]):
    """The Python annotation of a value of a type."""

    _BUILTINS: ClassVar[dict[str, str]] = {
        "str": "str", "number": "float", "bool": "bool", "null": "Null",
        "any": "JSON | Null"}

    def visit_builtin(self, typ: BuiltinType) -> str:
        return self._BUILTINS.get(typ.name, "int")

    def visit_enum(self, typ: EnumType) -> str:
        return class_name(typ.name)

    def visit_array(self, typ: ArrayType) -> str:
        return f"list[{self.visit(typ.element_type)}]"

    def visit_object(self, typ: ObjectType) -> str:
        return class_name(typ.name)

    def visit_alternate(self, typ: AlternateType) -> str:
        return class_name(typ.name)


ANNOTATION = _Annotation()


def _add(seq: list[str], items: Iterable[str]) -> None:
    for item in items:
        if item not in seq:
            seq.append(item)


def _doc(entity_doc: object) -> Doc:
    from qapic.frontend import Doc as SchemaDoc
    from qapic.frontend.doc import PLAIN

    if not isinstance(entity_doc, SchemaDoc):
        return Doc()
    return Doc(
        body=entity_doc.body.text,
        members={name: s.text for name, s in entity_doc.args.items()},
        features={name: s.text for name, s in entity_doc.features.items()},
        sections=[("" if s.kind == PLAIN else s.kind, s.text) for s in entity_doc.sections
                  if s.text],
    )


def _where(cond: Condition, rel: LoadedRelease) -> str:
    """Where something with condition *cond* exists in *rel*, for readers ('' = everywhere)."""
    from qapic.conditions import availability, describe_availability, is_everywhere

    if cond.is_always:
        return ""
    where = availability(cond, rel.targets)
    if is_everywhere(where, rel.targets):
        return ""
    return f"QEMU {rel.key}: {describe_availability(where, rel.targets)}"


class _Merger:
    """The Python side of every release, merged (see the module's docstring)."""

    def __init__(self, releases: Sequence[LoadedRelease]) -> None:
        self.releases = releases
        self.classes: dict[str, PyClass] = {}
        self.aliases: dict[str, PyAlias] = {}
        self.commands: dict[str, PyCommand] = {}
        self.events: dict[str, PyClass] = {}
        # Every release's object types by name, newest last, to decide each class's shape.
        self.objects: dict[str, list[tuple[LoadedRelease, ObjectType]]] = {}

    def run(self) -> Bindings:
        for rel in self.releases:
            for typ in entities_of(rel.schema.entities, ObjectType):
                self.objects.setdefault(typ.name, []).append((rel, typ))
        for rel in self.releases:
            for ent in rel.schema.entities:
                if isinstance(ent, EnumType):
                    self._enum(rel, ent)
                elif isinstance(ent, AlternateType):
                    self._alternate(rel, ent)
            for cmd in entities_of(rel.schema.entities, Command):
                self._command(rel, cmd)
        for command in self.commands.values():
            self._params(command)
        for name, forms in self.objects.items():
            if name.endswith("-arg") or name.endswith("-base") or name == "q_empty":
                continue
            self._object(name, forms)
        newest: dict[str, tuple[LoadedRelease, Event]] = {}     # in order of first appearance
        for rel in self.releases:
            for event in entities_of(rel.schema.entities, Event):
                newest[event.name] = (rel, event)
        for rel, event in newest.values():
            self._event(rel, event)
        for rel in self.releases:
            for cmd in entities_of(rel.schema.entities, Command):
                if cmd.arg_type is not None and cmd.arg_type.is_implicit():
                    self._arguments(cmd.name, cmd.arg_type.name)
        return Bindings([release_tables(r) for r in self.releases], list(self.classes.values()),
                        list(self.aliases.values()), list(self.commands.values()),
                        list(self.events.values()))

    # -- enums and alternates --

    def _enum(self, rel: LoadedRelease, typ: EnumType) -> None:
        alias = self.aliases.get(typ.name)
        if alias is None:
            alias = self.aliases[typ.name] = PyAlias(class_name(typ.name), typ.name, "enum", [],
                                                     _doc(typ.doc), [])
        alias.releases.append(rel.key)
        _add(alias.values, typ.member_names())
        for m in typ.members:
            special = [f.name for f in m.features if f.is_special()]
            if special:
                alias.value_features[m.name] = special
        alias.doc = _doc(typ.doc) if typ.doc else alias.doc
        alias.where = _where(typ.ifcond, rel) or alias.where

    def _alternate(self, rel: LoadedRelease, typ: AlternateType) -> None:
        alias = self.aliases.get(typ.name)
        if alias is None:
            alias = self.aliases[typ.name] = PyAlias(class_name(typ.name), typ.name,
                                                     "alternate", [], _doc(typ.doc), [])
        alias.releases.append(rel.key)
        _add(alias.values, (ANNOTATION.visit(v.type) for v in typ.branches.variants))
        alias.doc = _doc(typ.doc) if typ.doc else alias.doc

    # -- objects --

    def _member(self, members: dict[str, PyMember], m: ObjectMember, doc: Doc,
                required: bool) -> None:
        found = members.get(m.name)
        if found is None:
            found = members[m.name] = PyMember(m.name, python_name(m.name), [], required,
                                               doc.members.get(m.name, ""))
        required = required and m.ifcond.is_always
        found.required = found.required and required
        _add(found.annotations, [ANNOTATION.visit(m.type)])
        _add(found.features, [f.name for f in m.features if f.is_special()])

    def _merged(self, forms: Sequence[tuple[LoadedRelease, Sequence[ObjectMember], Doc]]
                ) -> list[PyMember]:
        """Members over *forms* (one per release that has them): optional unless every form
        has the member required."""
        members: dict[str, PyMember] = {}
        for i, (_rel, mlist, doc) in enumerate(reversed(forms)):
            for m in mlist:
                self._member(members, m, doc, not m.optional and (i == 0 or m.name in members))
        for _rel, mlist, _doc in forms:
            names = {m.name for m in mlist}
            for name, pm in members.items():
                if name not in names:
                    pm.required = False
        return list(members.values())

    def _object(self, name: str, forms: list[tuple[LoadedRelease, ObjectType]]) -> None:
        newest = forms[-1][1]
        releases = [rel.key for rel, _t in forms]
        doc = _doc(newest.doc)
        features = sorted({f.name for _r, t in forms for f in t.features if f.is_special()})
        where = _where(newest.ifcond, forms[-1][0])
        unions = [(rel, t) for rel, t in forms if t.branches is not None]
        if not unions:
            members = self._merged([(rel, t.members, _doc(t.doc)) for rel, t in forms])
            self.classes[name] = PyClass(class_name(name), name, name, "struct", "Struct",
                                         members, [m.py for m in members], doc, releases,
                                         features, where=where)
            return
        # A union: its base class, and one class per branch.
        base_forms = [(rel, [m for m in t.members], _doc(t.doc)) for rel, t in forms]
        base_members = self._merged(base_forms)
        base = PyClass(class_name(name), name, name, "union", "Struct", base_members,
                       [m.py for m in base_members], doc, releases, features, where=where)
        self.classes[name] = base
        branches: dict[tuple[tuple[str, str], ...],
                       list[tuple[LoadedRelease, list[ObjectMember], Doc]]] = {}
        for rel, t in unions:
            for chain, added, bdoc in _branch_forms(t):
                branches.setdefault(chain, []).append((rel, added, bdoc))
        known = {m.wire for m in base_members}
        for chain, bforms in branches.items():
            merged = self._merged(bforms)
            members = [m for m in merged if m.wire not in known]
            by_wire = {m.wire: m for m in [*base_members, *merged]}
            suffix = "_".join(python_name(value) for _tag, value in chain)
            shown = ", ".join(f"{tag}: '{value}'" for tag, value in chain)
            cls = PyClass(f"{base.name}_{suffix}", "/".join([name, *(v for _t, v in chain)]),
                          f"{name} ({shown})", "branch", base.name, base_members + members,
                          [m.py for m in members], bforms[-1][2],
                          [rel.key for rel, _m, _d in bforms],
                          fixed={by_wire[tag].py: value for tag, value in chain})
            self.classes[cls.key] = cls

    def _arguments(self, command: str, typ: str) -> None:
        if typ in self.classes:
            return
        forms = [(rel, t.members, Doc()) for rel, t in self.objects[typ]]
        members = self._merged(forms)
        cmd = self.commands[command]
        for m in members:
            m.doc = cmd.doc.members.get(m.wire, "")
        self.classes[typ] = PyClass(f"{camel(command)}Arguments", typ,
                                    f"the arguments of {command}", "arguments", "Struct",
                                    members, [m.py for m in members], Doc(
                                        body=f"The arguments of ``{command}``."),
                                    [rel.key for rel, _m, _d in forms])

    # -- commands and events --

    def _command(self, rel: LoadedRelease, cmd: Command) -> None:
        found = self.commands.get(cmd.name)
        if found is None:
            found = self.commands[cmd.name] = PyCommand(
                cmd.name, python_name(cmd.name), [], None, [], _doc(cmd.doc), [], [],
                not cmd.gen)
        found.releases.append(rel.key)
        _add(found.features, [f.name for f in cmd.features if f.is_special()])
        _add(found.returns, [ANNOTATION.visit(cmd.ret_type) if cmd.ret_type else "None"])
        found.doc = _doc(cmd.doc) if cmd.doc else found.doc
        found.where = _where(cmd.ifcond, rel) or found.where
        if cmd.arg_type is not None and cmd.boxed:
            found.boxed = ANNOTATION.visit(cmd.arg_type)

    def _params(self, command: PyCommand) -> None:
        """A command's keyword parameters: its arguments merged over the releases that have
        it (none for a boxed command: it takes its arguments object)."""
        if command.boxed is None:
            command.params = self._merged([(r, self._args_of(r, command.wire), command.doc)
                                           for r in self.releases
                                           if r.key in command.releases])

    def _args_of(self, rel: LoadedRelease, name: str) -> list[ObjectMember]:
        cmd = rel.schema.lookup_entity(name)
        assert isinstance(cmd, Command | Event)
        return list(cmd.arg_type.members) if cmd.arg_type is not None else []

    def _event(self, rel: LoadedRelease, event: Event) -> None:
        key = f"event:{event.name}"
        forms = [(r, self._args_of(r, event.name), _doc(event.doc)) for r in self.releases
                 if isinstance(r.schema.lookup_entity(event.name), Event)]
        members = self._merged(forms)
        features = [f.name for f in event.features if f.is_special()]
        name = f"{camel(event.name)}Event"
        self.events[key] = PyClass(
            name + "_" if name in RESERVED else name, key, event.name, "event", "Event",
            members, [m.py for m in members], _doc(event.doc), [r.key for r, _m, _d in forms],
            features, where=_where(event.ifcond, rel))


def _branch_forms(typ: ObjectType) -> list[tuple[tuple[tuple[str, str], ...],
                                                   list[ObjectMember], Doc]]:
    """Each way a union value can be: the tags and values that select it, with the members it
    adds to the union's base (a branch whose type is a union itself is one way per branch of
    that union: ``MigrationAddress`` with ``transport: 'socket'`` and ``type: 'inet'``)."""
    assert typ.branches is not None
    tag = typ.branches.tag_member.name
    forms: list[tuple[tuple[tuple[str, str], ...], list[ObjectMember], Doc]] = []
    for v in typ.branches.variants:
        btype = v.union_type
        if btype.branches is None:
            forms.append((((tag, v.name),), list(btype.members), _doc(btype.doc)))
            continue
        for chain, members, doc in _branch_forms(btype):
            forms.append((((tag, v.name), *chain), [*btype.members, *members], doc))
    return forms


def merge(releases: Sequence[LoadedRelease]) -> Bindings:
    """The bindings of *releases* (oldest first)."""
    return _Merger(releases).run()
