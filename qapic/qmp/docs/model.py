"""A documentation view of a schema: what the reference shows, in order, with where each part
exists.

The view is built once and rendered by :mod:`.html` and :mod:`.rst`.  It follows the schema's
doc comments in source order (includes expanded where first included): free-form blocks give
headings and text, definition blocks give entries.  Definitions without documentation (allowed
by pragma ``doc-required: false``) are placed after the entry before them.

Where things exist comes from :mod:`qapic.conditions` only: every entry, member, enum value,
branch and feature gets :func:`qapic.conditions.availability` over the QEMU tree's targets and
its plain-words description, plus the set of targets on which it can exist (for the HTML target
picker).  For one build (:class:`Build`: a target and/or defined symbols), whatever the build
lacks is left out, and nothing needs describing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qapic import conditions
from qapic.conditions import Condition, SymbolClasses, TargetTable
from qapic.frontend import (
    AlternateType,
    ArrayType,
    Command,
    Definition,
    Doc,
    DocSection,
    Entity,
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
from qapic.frontend.doc import MEMBER, PLAIN

from . import markup
from .markup import Block

# --- the view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where something exists: ``text`` in plain words ("" when everywhere); ``targets`` the
    targets it can exist on, None when it is on every target (nothing to hide)."""

    text: str = ""
    targets: tuple[str, ...] | None = None


EVERYWHERE = Where()


@dataclass
class TypeRef:
    """A reference to a type: ``name`` as shown (``['str']`` for arrays), ``target`` the name of
    the documented definition it links to (None for built-in types)."""

    name: str
    target: str | None


@dataclass
class Text:
    """Doc text: the source (``raw``) and its parsed blocks; ``section`` is where it came from."""

    raw: str
    blocks: list[Block]
    section: DocSection | None = None

    @property
    def empty(self) -> bool:
        return not self.raw.strip()


@dataclass
class FeatureView:
    name: str
    where: Where
    text: Text
    anchor: str
    members: list[str] = field(default_factory=list)   # for a feature of members only

    @property
    def special(self) -> bool:
        return self.name in ("deprecated", "unstable")


@dataclass
class MemberView:
    """An object member, command argument, event datum, enum value or branch."""

    name: str
    anchor: str
    where: Where
    text: Text
    type: TypeRef | None = None       # None for enum values
    optional: bool = False
    features: list[FeatureView] = field(default_factory=list)


@dataclass
class Group:
    """A titled list of members: "Members", "Arguments", "Values", "The members of X", one
    union branch ("When type is 'file'")..."""

    title: str
    members: list[MemberView] = field(default_factory=list)
    ref: TypeRef | None = None        # "the members of REF"
    where: Where = EVERYWHERE
    anchor: str = ""
    note: str = ""                    # e.g. "no members"


@dataclass
class SectionView:
    """A tagged or plain section after the members, in source order."""

    kind: str                         # Returns Errors Since Plain Todo
    text: Text
    returns: TypeRef | None = None


@dataclass
class Entry:
    """One documented definition."""

    kind: str                         # command event enum struct union alternate
    name: str
    anchor: str
    where: Where
    body: Text
    groups: list[Group]
    features: list[FeatureView]
    sections: list[SectionView]
    module: str
    since: str = ""
    flags: list[str] = field(default_factory=list)
    returns: TypeRef | None = None
    doc: Doc | None = None
    # Every feature documented on this entry: the definition's own, then those only its
    # members (or enum values) have, with the names of those members.
    all_features: list[FeatureView] = field(default_factory=list)


@dataclass
class Heading:
    level: int
    title: str
    anchor: str


@dataclass
class FreeText:
    text: Text
    doc: Doc


Node = Entry | Heading | FreeText


@dataclass
class View:
    nodes: list[Node]
    targets: list[str]                # the target picker's choices (empty for one build)
    build: str                        # "" or words for the one build documented
    title: str
    entries: dict[str, Entry] = field(default_factory=dict)
    #: The QEMU manual that ``:doc:`/interop/qmp-spec``` points into (its root URL).
    manual: str = ""

    def manual_page(self, doc: str) -> str:
        """The URL of QEMU manual page *doc* (``/interop/qmp-spec``)."""
        return f"{self.manual or manual_url(None)}{doc.strip().lstrip('/')}.html"


def mentions(text: Text, name: str | None) -> bool:
    """Whether *text* refers to definition *name* itself (a Returns section often names the
    returned type: then the type need not be shown twice)."""
    if name is None:
        return False
    for b in text.blocks:
        if b.kind == "para" and any(s.kind in ("ref", "xref") and s.target == name
                                    for s in markup.inline(b.text)):
            return True
    return False


# --- which build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """One build to document: exactly these symbols are defined (a target's TARGET_* symbols
    and the ``--define`` ones), as ``qapic introspect`` does."""

    defined: frozenset[str]
    words: str

    def keeps(self, cond: Condition) -> bool:
        return cond.holds_for(self.defined)


class _Where:
    """Availability per condition, computed once per distinct condition."""

    def __init__(self, table: TargetTable | None, classes: SymbolClasses) -> None:
        self.table = table
        self.classes = classes
        self._cache: dict[Condition, Where] = {}

    def __call__(self, cond: Condition) -> Where:
        if cond.is_always:
            return EVERYWHERE
        where = self._cache.get(cond)
        if where is None:
            where = self._compute(cond)
            self._cache[cond] = where
        return where

    def _compute(self, cond: Condition) -> Where:
        table = self.table
        if table is None:
            # No QEMU tree: no targets to group by; say what the condition is.
            return Where(f"only when {conditions.to_text(cond)}", None)
        groups = conditions.availability(cond, table, self.classes)
        text = conditions.describe_availability(groups, table)
        names = {n for names, _rest in groups for n in names}
        targets = None if len(names) == len(table) else tuple(
            n for n in table.names() if n in names)
        return Where(text, targets)


# --- building the view ------------------------------------------------------------------------


def anchor(name: str, member: str | None = None) -> str:
    """The HTML id of a definition (or of one of its members)."""
    return f"def-{name}" if member is None else f"def-{name}.{member}"


def _text(section: DocSection | None, description: bool = True) -> Text:
    if section is None:
        return Text("", [])
    raw = markup.normalize(section.text) if description else section.text
    return Text(raw, markup.parse(raw), section)


class _TypeRefs(EntityVisitor[TypeRef]):
    """How an entry names a type: with a link when the type has its own entry."""

    def __init__(self, documented: set[str]) -> None:
        self.documented = documented

    def visit_type(self, typ: Type) -> TypeRef:
        if typ.is_implicit() or typ.name not in self.documented:   # built-ins are not
            return TypeRef(typ.name, None)
        return TypeRef(typ.name, typ.name)

    def visit_array(self, typ: ArrayType) -> TypeRef:
        inner = typ.element_type.accept(self)
        return TypeRef(f"[{inner.name}]", inner.target)


@dataclass
class _Kind:
    """What an entry shows that depends on the kind of definition."""

    kind: str
    groups: list[Group]
    flags: list[str] = field(default_factory=list)
    returns: TypeRef | None = None


class _Builder(EntityVisitor[_Kind | None]):
    def __init__(self, schema: Schema, where: Callable[[Condition], Where],
                 build: Build | None) -> None:
        self.schema = schema
        self.where = where
        self.build = build
        self.keeps: Callable[[Condition], bool] = build.keeps if build else lambda _c: True
        self.documented: set[str] = set()
        self._type_refs = _TypeRefs(self.documented)

    # -- references

    def type_ref(self, typ: Type) -> TypeRef:
        return typ.accept(self._type_refs)

    # -- parts

    def features(self, owner: str, feats: list[Feature], doc: Doc | None) -> list[FeatureView]:
        out = []
        for f in feats:
            if not self.keeps(f.ifcond):
                continue
            sec = doc.features.get(f.name) if doc else None
            out.append(FeatureView(f.name, self.where(f.ifcond), _text(sec),
                                   anchor(owner, "feature-" + f.name)))
        return out

    def member(self, owner: str, m: ObjectMember, doc: Doc | None) -> MemberView | None:
        if not self.keeps(m.ifcond):
            return None
        sec = doc.args.get(m.name) if doc else None
        return MemberView(m.name, anchor(owner, m.name), self.where(m.ifcond), _text(sec),
                          self.type_ref(m.type), m.optional,
                          self.features(owner, m.features, doc))

    def object_groups(self, owner: str, typ: ObjectType, doc: Doc | None,
                      title: str) -> list[Group]:
        """The members of *typ* as shown on *owner*'s entry."""
        groups: list[Group] = []
        own = Group(title)
        base = typ.base
        if base is not None and not base.is_implicit():
            groups.append(Group(title, ref=self.type_ref(base)))
            own = Group("Further " + title.lower()) if typ.local_members else own
        if base is not None and base.is_implicit():
            own.members += [mv for m in base.local_members
                            if (mv := self.member(owner, m, doc)) is not None]
        own.members += [mv for m in typ.local_members
                        if (mv := self.member(owner, m, doc)) is not None]
        if own.members:
            groups.append(own)
        elif not groups and typ.branches is None:
            groups.append(Group(title, note="none"))
        if typ.branches is not None:
            tag = typ.branches.tag_member.name
            # Branches without members and without condition are shown together.
            empty: Group | None = None
            empty_names: list[str] = []
            for v in typ.branches.variants:
                if not self.keeps(v.ifcond):
                    continue
                vt = v.union_type
                if vt.is_empty() and v.ifcond.is_always:
                    empty_names.append(f"\"{v.name}\"")
                    if empty is None:
                        empty = Group("", anchor=anchor(owner, f"{tag}={v.name}"),
                                      note="no further members")
                        groups.append(empty)
                    continue
                g = Group(f"When {tag} is \"{v.name}\"", where=self.where(v.ifcond),
                          anchor=anchor(owner, f"{tag}={v.name}"))
                if vt.is_empty():
                    g.note = "no further members"
                elif vt.is_implicit():
                    g.members = [mv for m in vt.members
                                 if (mv := self.member(owner, m, None)) is not None]
                else:
                    g.ref = self.type_ref(vt)
                groups.append(g)
            if empty is not None:
                one_of = empty_names[0] if len(empty_names) == 1 else \
                    "one of " + ", ".join(empty_names)
                empty.title = f"When {tag} is {one_of}"
        return groups

    def args_groups(self, ent: Command | Event, title: str) -> list[Group]:
        typ = ent.arg_type
        if typ is None:
            return []
        if typ.is_implicit():
            return self.object_groups(ent.name, typ, ent.doc, title)
        return [Group(title, ref=self.type_ref(typ))]

    def sections(self, ent: Definition, doc: Doc | None) -> tuple[list[SectionView], str]:
        out: list[SectionView] = []
        since = ""
        if doc is None:
            return out, since
        for sec in doc.sections:
            text = _text(sec, description=sec.kind != PLAIN)
            if sec.kind == "Since":
                since = sec.text.strip()
            out.append(SectionView(sec.kind, text))
        return out, since

    # -- entries

    def visit_entity(self, ent: Entity) -> None:
        return None     # arrays and built-ins are never documented

    def visit_command(self, cmd: Command) -> _Kind:
        # What a QMP client can tell ('boxed' and 'coroutine' are QEMU's C interface only).
        flags = [flag for flag, on in (("allow-oob", cmd.allow_oob),
                                       ("allow-preconfig", cmd.allow_preconfig),
                                       ("no success response", not cmd.success_response))
                 if on]
        returns = self.type_ref(cmd.ret_type) if cmd.ret_type is not None else None
        return _Kind("command", self.args_groups(cmd, "Arguments"), flags, returns)

    def visit_event(self, event: Event) -> _Kind:
        return _Kind("event", self.args_groups(event, "Data"))

    def visit_enum(self, typ: EnumType) -> _Kind:
        doc, name = typ.doc, typ.name
        g = Group("Values")
        for value in typ.members:
            if not self.keeps(value.ifcond):
                continue
            sec = doc.args.get(value.name) if doc else None
            g.members.append(MemberView(value.name, anchor(name, value.name),
                                        self.where(value.ifcond), _text(sec), None, False,
                                        self.features(name, value.features, doc)))
        return _Kind("enum", [g])

    def visit_alternate(self, typ: AlternateType) -> _Kind:
        g = Group("One of")
        for branch in typ.branches.variants:
            mv = self.member(typ.name, branch, typ.doc)
            if mv is not None:
                g.members.append(mv)
        return _Kind("alternate", [g])

    def visit_object(self, typ: ObjectType) -> _Kind:
        return _Kind(typ.meta, self.object_groups(typ.name, typ, typ.doc, "Members"))

    def entry(self, ent: Definition) -> Entry | None:
        if not self.keeps(ent.ifcond):
            return None
        doc = ent.doc
        name = ent.name
        shown = self.visit(ent)
        if shown is None:
            return None
        kind, groups, flags, returns = shown.kind, shown.groups, shown.flags, shown.returns
        sections, since = self.sections(ent, doc)
        for s in sections:
            if s.kind == "Returns":
                s.returns = returns
        own = self.features(name, ent.features, doc)
        all_features = list(own)
        seen = {f.name: f for f in own}
        for g in groups:
            for m in g.members:
                for f in m.features:
                    if f.name not in seen:
                        seen[f.name] = FeatureView(f.name, f.where, f.text, f.anchor)
                        all_features.append(seen[f.name])
                    if seen[f.name] not in own:
                        seen[f.name].members.append(m.name)
        return Entry(kind, name, anchor(name), self.where(ent.ifcond),
                     _text(doc.body if doc else None, description=False), groups,
                     own, sections, ent.module.name if ent.module else "", since, flags,
                     returns, doc, all_features)


class _Documentable(EntityVisitor[bool]):
    """Whether a definition gets an entry: commands, events and the types that are not
    implicit, when the schema defines them (no built-ins)."""

    def visit_entity(self, ent: Entity) -> bool:
        return False

    def visit_command(self, cmd: Command) -> bool:
        return cmd.info is not None

    def visit_event(self, event: Event) -> bool:
        return event.info is not None

    def visit_enum(self, typ: EnumType) -> bool:
        return self._type(typ)

    def visit_alternate(self, typ: AlternateType) -> bool:
        return self._type(typ)

    def visit_object(self, typ: ObjectType) -> bool:
        return self._type(typ)

    @staticmethod
    def _type(typ: Type) -> bool:
        return typ.info is not None and not typ.is_implicit()


_DOCUMENTABLE = _Documentable()


#: QEMU's manual online: each release's (from its tag), and the development one.
MANUAL_RELEASE = "https://qemu.readthedocs.io/en/v{version}/"
MANUAL_MASTER = "https://www.qemu.org/docs/master/"


def manual_url(version: str | None) -> str:
    """The root of the online manual of QEMU *version* (``10.0.3``; None: the development
    manual)."""
    return MANUAL_RELEASE.format(version=version) if version else MANUAL_MASTER


def build_view(schema: Schema, table: TargetTable | None, build: Build | None = None,
               classes: SymbolClasses | None = None, title: str = "QMP Reference",
               manual: str = "") -> View:
    """The documentation view of *schema*: for every target of *table* (with a target picker),
    or for one *build*."""
    where = _Where(None if build else table, classes or SymbolClasses())
    builder = _Builder(schema, where if build is None else (lambda _c: EVERYWHERE), build)
    # Order: doc blocks in source order; undocumented definitions after the previous entry.
    position = {id(doc): i for i, doc in enumerate(schema.docs)}
    order: list[tuple[int, int, Doc | Definition]] = [
        (i, 0, doc) for i, doc in enumerate(schema.docs) if doc.symbol is None]
    last, sub = -1, 0
    for ent in entities_of(schema.definitions, Definition):
        if not ent.accept(_DOCUMENTABLE):
            continue
        builder.documented.add(ent.name)
        if ent.doc is not None and id(ent.doc) in position:
            last, sub = position[id(ent.doc)], 0
            order.append((last, 0, ent))
        else:
            sub += 1
            order.append((last, sub, ent))
    order.sort(key=lambda t: (t[0], t[1]))

    nodes: list[Node] = []
    used: set[str] = set()
    view = View(nodes, table.names() if table is not None and build is None else [],
                build.words if build else "", title, manual=manual)
    for _pos, _sub, obj in order:
        if isinstance(obj, Doc):
            _freeform(obj, nodes, used)
            continue
        entry = builder.entry(obj)
        if entry is not None:
            nodes.append(entry)
            view.entries[entry.name] = entry
    return view


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def _freeform(doc: Doc, nodes: list[Node], used: set[str]) -> None:
    """Headings of a free-form block become :class:`Heading` nodes, the rest text."""
    blocks = markup.parse(doc.body.text)
    pending: list[Block] = []

    def flush() -> None:
        if pending:
            nodes.append(FreeText(Text(doc.body.text, list(pending), doc.body), doc))
            pending.clear()

    for b in blocks:
        if b.kind == "heading":
            flush()
            slug = "sec-" + (_NON_SLUG.sub("-", b.text.lower()).strip("-") or "section")
            base, n = slug, 1
            while slug in used:
                n += 1
                slug = f"{base}-{n}"
            used.add(slug)
            nodes.append(Heading(b.level, b.text, slug))
        else:
            pending.append(b)
    flush()


def member_sections(doc: Doc) -> list[DocSection]:
    """The member descriptions of *doc* that have text (for checks)."""
    return [s for s in doc.args.values() if s.kind == MEMBER and s.text.strip()]
