"""The schema's entities (types, commands, events, modules, includes) and their checks.

Entities are created by :mod:`qapic.frontend.schema` with type *names*; :meth:`Entity.check`
resolves them against the schema and enforces the semantic rules.  Doc comments are connected
afterwards (:meth:`Definition.connect_doc`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, TypeVar

from ..conditions import ALWAYS, Condition
from ..naming import c_name
from .doc import Doc
from .source import QAPIError, SourceInfo

if TYPE_CHECKING:
    from .schema import Schema
    from .visitor import EntityVisitor

R = TypeVar("R")

SPECIAL_FEATURES = ("deprecated", "unstable")
"""The features QEMU's run-time policies know (``-compat``), whose bits are fixed."""

BUILTIN_MODULE = "./builtin"
"""The module that holds the built-in types (no schema file)."""

EMPTY_TYPE = "q_empty"
"""The object type without members: the type of a union branch with no members of its own, and
introspection's argument type of a command without arguments."""


# --- members ------------------------------------------------------------------------------


class Member:
    """Something named inside a definition: enum value, object member, branch or feature."""

    role: ClassVar[str] = "member"

    def __init__(self, name: str, info: SourceInfo | None, ifcond: Condition = ALWAYS) -> None:
        self.name = name
        self.info = info
        self.ifcond = ifcond
        self.defined_in = ""

    def describe(self, info: SourceInfo | None) -> str:
        role = self.role
        meta = "type"
        defined_in = self.defined_in
        if defined_in.startswith("q_obj_"):
            defined_in = defined_in[6:]
            if defined_in.endswith("-arg"):
                role = "parameter"
                meta = "command"
                defined_in = defined_in[:-4]
            elif defined_in.endswith("-base"):
                role = "base " + role
                defined_in = defined_in[:-5]
        if info is None or defined_in != info.defn_name:
            return f"{role} '{self.name}' of {meta} '{defined_in}'"
        return f"{role} '{self.name}'"

    def check_clash(self, info: SourceInfo | None, seen: dict[str, Member]) -> None:
        cname = c_name(self.name, False)
        if cname in seen:
            raise QAPIError(info, f"{self.describe(info)} collides with "
                                  f"{seen[cname].describe(info)}")
        seen[cname] = self


class Feature(Member):
    role = "feature"

    def is_special(self) -> bool:
        return self.name in SPECIAL_FEATURES


def _check_features_clash(features: list[Feature], info: SourceInfo | None) -> None:
    seen: dict[str, Member] = {}
    for feat in features:
        feat.check_clash(info, seen)


class EnumMember(Member):
    role = "value"

    def __init__(self, name: str, info: SourceInfo | None, ifcond: Condition = ALWAYS,
                 features: list[Feature] | None = None) -> None:
        super().__init__(name, info, ifcond)
        self.features: list[Feature] = features or []


class ObjectMember(Member):
    role = "member"

    def __init__(self, name: str, info: SourceInfo | None, typ: str, optional: bool,
                 ifcond: Condition = ALWAYS, features: list[Feature] | None = None) -> None:
        super().__init__(name, info, ifcond)
        self._type_name = typ
        self.type: Type = None  # type: ignore[assignment]  # set by check()
        self.optional = optional
        self.features: list[Feature] = features or []

    def check(self, schema: Schema) -> None:
        self.type = schema.resolve_type(self._type_name, self.info, self.describe)
        _check_features_clash(self.features, self.info)

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        doc.connect_member(self, self.name, self.role, self.info, exempt)
        for feat in self.features:
            doc.connect_feature(feat, feat.name, feat.info)


class Branch(ObjectMember):
    """A branch of a union or an alternate."""

    role = "branch"

    def __init__(self, name: str, info: SourceInfo | None, typ: str,
                 ifcond: Condition = ALWAYS) -> None:
        super().__init__(name, info, typ, False, ifcond)

    @property
    def object_type(self) -> ObjectType | None:
        """The branch's type when it is an object type: always for a union's branch (checked
        by :meth:`Branches.check_union`), for an alternate's when it takes a JSON object."""
        return self.type if isinstance(self.type, ObjectType) else None

    @property
    def union_type(self) -> ObjectType:
        """The object type of a union's branch (an alternate's may be another type)."""
        typ = self.object_type
        assert typ is not None, f"{self.describe(None)} is no union branch"
        return typ


class Branches:
    """A union's or an alternate's branches and the member that selects among them."""

    def __init__(self, tag_name: str | None, variants: list[Branch],
                 tag_member: ObjectMember | None = None) -> None:
        self._tag_name = tag_name
        self.variants = variants
        self.tag_member: ObjectMember = tag_member  # type: ignore[assignment]

    def set_defined_in(self, name: str) -> None:
        for v in self.variants:
            v.defined_in = name

    @property
    def tag_type(self) -> EnumType:
        """A union's tag member's enum type (checked by :meth:`check_union`)."""
        typ = self.tag_member.type
        assert isinstance(typ, EnumType), "an alternate has no tag enum"
        return typ

    def check_union(self, schema: Schema, info: SourceInfo | None,
                    seen: dict[str, Member]) -> None:
        tag_name = self._tag_name
        assert tag_name is not None
        tag = seen.get(c_name(tag_name, False))
        if not isinstance(tag, ObjectMember) or tag.name != tag_name:
            raise QAPIError(info, f"discriminator '{tag_name}' is not a member of 'base'")
        self.tag_member = tag
        base_type = schema.lookup_type(tag.defined_in)
        base = ("'base'" if base_type is not None and base_type.is_implicit()
                else f"base type '{tag.defined_in}'")
        what = f"discriminator member '{tag_name}' of {base}"
        if not isinstance(tag.type, EnumType):
            raise QAPIError(info, f"{what} must be of enum type")
        if tag.optional:
            raise QAPIError(info, f"{what} must not be optional")
        if not tag.ifcond.is_always:
            raise QAPIError(info, f"{what} must not be conditional")
        cases = {v.name for v in self.variants}
        for m in tag.type.members:
            if m.name not in cases:
                branch = Branch(m.name, info, EMPTY_TYPE, m.ifcond)
                branch.defined_in = tag.defined_in
                self.variants.append(branch)
        if not self.variants:
            raise QAPIError(info, "union has no branches")
        values = {m.name for m in tag.type.members}
        for v in self.variants:
            v.check(schema)
            if v.name not in values:
                raise QAPIError(info, f"branch '{v.name}' is not a value of "
                                      f"{tag.type.describe()}")
            if not isinstance(v.type, ObjectType):
                raise QAPIError(info, f"{v.describe(info)} cannot use {v.type.describe()}")
            v.type.check(schema)

    def check_alternate(self, schema: Schema, info: SourceInfo | None) -> None:
        seen: dict[str, Member] = {}
        types_seen: dict[str, str] = {}
        for v in self.variants:
            v.check(schema)
        for v in self.variants:
            v.check_clash(info, seen)
            qtype = v.type.alternate_qtype()
            if qtype is None:
                raise QAPIError(info, f"{v.describe(info)} cannot use {v.type.describe()}")
            conflicting = [qtype]
            if qtype == "QTYPE_QSTRING":
                if isinstance(v.type, EnumType):
                    for m in v.type.members:
                        if m.name in ("on", "off"):
                            conflicting.append("QTYPE_QBOOL")
                        if re.match(r"[-+0-9.]", m.name):
                            conflicting.append("QTYPE_QNUM")
                else:
                    conflicting += ["QTYPE_QNUM", "QTYPE_QBOOL"]
            for qt in conflicting:
                if qt in types_seen:
                    raise QAPIError(info, f"{v.describe(info)} can't be distinguished "
                                          f"from '{types_seen[qt]}'")
            for qt in conflicting:
                types_seen[qt] = v.name

    def check_clash(self, info: SourceInfo | None, seen: dict[str, Member]) -> None:
        for v in self.variants:
            # Branches are alternatives: members of different branches do not clash.
            assert isinstance(v.type, ObjectType)
            v.type.check_clash(info, dict(seen))


# --- entities -----------------------------------------------------------------------------


class Entity:
    """Anything the dump visits."""

    meta: ClassVar[str] = ""

    def __init__(self, name: str, info: SourceInfo | None) -> None:
        self.name = name
        self.info = info
        self.ifcond: Condition = ALWAYS
        self.features: list[Feature] = []
        self.doc: Doc | None = None
        self.module: Module | None = None

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_entity(self)

    def check(self, schema: Schema) -> None:
        pass

    def describe(self) -> str:
        return f"{self.meta} '{self.name}'"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Module(Entity):
    """A schema file (or ``./builtin``); ``entities`` are those defined in it."""

    meta = "module"

    def __init__(self, name: str) -> None:
        super().__init__(name, None)
        self.entities: list[Entity] = []

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_module(self)

    def is_builtin(self) -> bool:
        return self.name.startswith("./")


class Include(Entity):
    """An include directive; ``name`` is the included module's name."""

    meta = "include"

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_include(self)


class Definition(Entity):
    """A named definition: type, command or event."""

    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None,
                 ifcond: Condition, features: list[Feature]) -> None:
        super().__init__(name, info)
        self.doc = doc
        self.ifcond = ifcond
        self.features = features
        for f in features:
            f.defined_in = name

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_definition(self)

    def check(self, schema: Schema) -> None:
        _check_features_clash(self.features, self.info)

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        for feat in self.features:
            doc.connect_feature(feat, feat.name, feat.info)


class Type(Definition):
    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_type(self)
    def check(self, schema: Schema) -> None:
        super().check(schema)
        for feat in self.features:
            if feat.is_special():
                raise QAPIError(self.info, f"feature '{feat.name}' is not supported for types")

    def is_implicit(self) -> bool:
        return False

    def json_type(self) -> str:
        raise NotImplementedError

    def alternate_qtype(self) -> str | None:
        return None

    def describe(self) -> str:
        return f"{self.meta} type '{self.name}'"


_BUILTIN_QTYPES = {"string": "QTYPE_QSTRING", "number": "QTYPE_QNUM", "int": "QTYPE_QNUM",
                   "boolean": "QTYPE_QBOOL", "null": "QTYPE_QNULL"}


class BuiltinType(Type):
    meta = "built-in"

    def __init__(self, name: str, json_type: str) -> None:
        super().__init__(name, None, None, ALWAYS, [])
        self._json_type = json_type

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_builtin(self)

    def json_type(self) -> str:
        return self._json_type

    def alternate_qtype(self) -> str | None:
        return _BUILTIN_QTYPES.get(self._json_type)


class EnumType(Type):
    meta = "enum"

    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None, ifcond: Condition,
                 features: list[Feature], members: list[EnumMember],
                 prefix: str | None) -> None:
        super().__init__(name, info, doc, ifcond, features)
        self.members = members
        self.prefix = prefix
        for m in members:
            m.defined_in = name
            for f in m.features:
                f.defined_in = name

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_enum(self)

    def check(self, schema: Schema) -> None:
        super().check(schema)
        seen: dict[str, Member] = {}
        for m in self.members:
            m.check_clash(self.info, seen)
            _check_features_clash(m.features, self.info)

    def member_names(self) -> list[str]:
        return [m.name for m in self.members]

    def is_implicit(self) -> bool:
        return self.name == "QType"

    def json_type(self) -> str:
        return "string"

    def alternate_qtype(self) -> str | None:
        return "QTYPE_QSTRING"

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        super().connect_doc(doc, exempt)
        for m in self.members:
            doc.connect_member(m, m.name, m.role, m.info, exempt)
            for feat in m.features:
                doc.connect_feature(feat, feat.name, feat.info)


class ArrayType(Type):
    meta = "array"

    def __init__(self, name: str, info: SourceInfo | None, element_type: str) -> None:
        super().__init__(name, info, None, ALWAYS, [])
        self._element_type_name = element_type
        self.element_type: Type = None  # type: ignore[assignment]  # set by check()

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_array(self)

    def check(self, schema: Schema) -> None:
        super().check(schema)
        what = self.info.defn_meta if self.info is not None else None
        self.element_type = schema.resolve_type(self._element_type_name, self.info, what)
        self.ifcond = self.element_type.ifcond

    def is_implicit(self) -> bool:
        return True

    def json_type(self) -> str:
        return "array"

    def alternate_qtype(self) -> str | None:
        return "QTYPE_QLIST"

    def describe(self) -> str:
        return f"{self.meta} type ['{self._element_type_name}']"


class ObjectType(Type):
    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None, ifcond: Condition,
                 features: list[Feature], base: str | None, local_members: list[ObjectMember],
                 branches: Branches | None) -> None:
        super().__init__(name, info, doc, ifcond, features)
        self._base_name = base
        self.base: ObjectType | None = None
        self.local_members = local_members
        for m in local_members:
            m.defined_in = name
        self.branches = branches
        if branches is not None:
            branches.set_defined_in(name)
        self.members: list[ObjectMember] = []
        self._state = 0   # 0 unchecked, 1 being checked, 2 checked

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_object(self)

    @property
    def meta(self) -> str:  # type: ignore[override]
        return "union" if self.branches is not None else "struct"

    def check(self, schema: Schema) -> None:
        if self._state == 2:
            return
        if self._state == 1:
            raise QAPIError(self.info, f"object {self.name} contains itself")
        self._state = 1
        super().check(schema)
        seen: dict[str, Member] = {}
        if self._base_name is not None:
            base = schema.resolve_type(self._base_name, self.info, "'base'")
            if not isinstance(base, ObjectType) or base.branches is not None:
                raise QAPIError(self.info, f"'base' requires a struct type, "
                                           f"{base.describe()} isn't")
            self.base = base
            base.check(schema)
            base.check_clash(self.info, seen)
        for m in self.local_members:
            m.check(schema)
            m.check_clash(self.info, seen)
        members = [m for m in seen.values() if isinstance(m, ObjectMember)]
        if self.branches is not None:
            self.branches.check_union(schema, self.info, seen)
            self.branches.check_clash(self.info, seen)
        self.members = members
        self._state = 2

    def check_clash(self, info: SourceInfo | None, seen: dict[str, Member]) -> None:
        for m in self.members:
            m.check_clash(info, seen)
        if self.branches is not None:
            self.branches.check_clash(info, seen)

    def is_implicit(self) -> bool:
        return self.name.startswith("q_")

    def is_empty(self) -> bool:
        return not self.members and self.branches is None

    def has_conditional_members(self) -> bool:
        return any(not m.ifcond.is_always for m in self.members)

    def json_type(self) -> str:
        return "object"

    def alternate_qtype(self) -> str | None:
        return "QTYPE_QDICT"

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        super().connect_doc(doc, exempt)
        if self.base is not None and self.base.is_implicit():
            self.base.connect_doc(doc, exempt)
        for m in self.local_members:
            m.connect_doc(doc, exempt)


class AlternateType(Type):
    meta = "alternate"

    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None, ifcond: Condition,
                 features: list[Feature], branches: Branches) -> None:
        super().__init__(name, info, doc, ifcond, features)
        self.branches = branches
        branches.set_defined_in(name)
        branches.tag_member.defined_in = name

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_alternate(self)

    def check(self, schema: Schema) -> None:
        super().check(schema)
        self.branches.tag_member.check(schema)
        self.branches.check_alternate(schema, self.info)

    def json_type(self) -> str:
        return "value"

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        super().connect_doc(doc, exempt)
        for v in self.branches.variants:
            v.connect_doc(doc, exempt)


class _WithArgs(Definition):
    """Commands and events: an argument type, possibly implicit, possibly boxed."""

    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None, ifcond: Condition,
                 features: list[Feature], arg_type: str | None, boxed: bool) -> None:
        super().__init__(name, info, doc, ifcond, features)
        self._arg_type_name = arg_type
        self.arg_type: ObjectType | None = None
        self.boxed = boxed

    def _check_args(self, schema: Schema) -> None:
        if self._arg_type_name is None:
            return
        what = f"{self.meta}'s 'data'"
        typ = schema.resolve_type(self._arg_type_name, self.info, what)
        if not isinstance(typ, ObjectType):
            raise QAPIError(self.info, f"{what} cannot take {typ.describe()}")
        self.arg_type = typ
        typ.check(schema)
        if typ.branches is not None and not self.boxed:
            raise QAPIError(self.info, f"{what} can take {typ.describe()} "
                                       "only with 'boxed': true")
        # Lenient mode accepts this (QEMU 7.2 did): see qapic.frontend.doc.
        if typ.has_conditional_members() and not self.boxed and not schema.lenient_docs:
            raise QAPIError(self.info, f"conditional {self.meta} arguments require "
                                       "'boxed': true")

    def connect_doc(self, doc: Doc, exempt: bool) -> None:
        super().connect_doc(doc, exempt)
        if self.arg_type is not None and self.arg_type.is_implicit():
            self.arg_type.connect_doc(doc, exempt)


class Command(_WithArgs):
    meta = "command"

    def __init__(self, name: str, info: SourceInfo | None, doc: Doc | None, ifcond: Condition,
                 features: list[Feature], arg_type: str | None, ret_type: str | None,
                 gen: bool, success_response: bool, boxed: bool, allow_oob: bool,
                 allow_preconfig: bool, coroutine: bool) -> None:
        super().__init__(name, info, doc, ifcond, features, arg_type, boxed)
        self._ret_type_name = ret_type
        self.ret_type: Type | None = None
        self.gen = gen
        self.success_response = success_response
        self.allow_oob = allow_oob
        self.allow_preconfig = allow_preconfig
        self.coroutine = coroutine

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_command(self)

    def check(self, schema: Schema) -> None:
        super().check(schema)
        self._check_args(schema)
        if self._ret_type_name is None:
            return
        ret = schema.resolve_type(self._ret_type_name, self.info, "command's 'returns'")
        self.ret_type = ret
        assert self.info is not None
        if self.name in self.info.pragma.command_returns_exceptions:
            return
        typ = ret.element_type if isinstance(ret, ArrayType) else ret
        if not isinstance(typ, ObjectType):
            raise QAPIError(self.info, f"command's 'returns' cannot take {ret.describe()}")


class Event(_WithArgs):
    meta = "event"

    def accept(self, visitor: EntityVisitor[R]) -> R:
        return visitor.visit_event(self)

    def check(self, schema: Schema) -> None:
        super().check(schema)
        self._check_args(schema)
