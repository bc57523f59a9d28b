"""The schema: entities built from checked definitions, then checked as a whole.

Pipeline (:func:`load_schema`): parse (:mod:`.parser`), shape-check every definition
(:mod:`.expr`), define entities (implicit types and array types included, in the order QEMU
defines them), check every entity, connect and check doc comments, and finally group the
entities by module.

``Schema.entities`` lists entities in the order QEMU's schema visitor visits them: module by
module (``./builtin`` first, then files in the order they were first included), each
:class:`Module` followed by the entities defined in it.  ``Schema.definitions`` is the raw
definition order (no modules).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .. import conditions
from ..conditions import ALWAYS, Condition
from .doc import Doc
from .entities import (
    BUILTIN_MODULE,
    EMPTY_TYPE,
    SPECIAL_FEATURES,
    AlternateType,
    ArrayType,
    Branch,
    Branches,
    BuiltinType,
    Command,
    Definition,
    Entity,
    EnumMember,
    EnumType,
    Event,
    Feature,
    Include,
    Member,
    Module,
    ObjectMember,
    ObjectType,
    Type,
)
from .expr import check_definitions, definition_meta
from .overlay import Overlay
from .overlay import apply as apply_overlay
from .parser import Definition as ParsedDefinition
from .parser import Include as ParsedInclude
from .parser import ParseResult, SchemaParser, TopLevel, Value
from .source import Pragma, QAPIError, SourceInfo

__all__ = [
    "AlternateType", "ArrayType", "Branch", "Branches", "BuiltinType", "Command", "Definition",
    "Entity", "EnumMember", "EnumType", "Event", "Feature", "Include", "Member", "Module",
    "ObjectMember", "ObjectType", "Schema", "Type", "load_schema",
]

MAX_FEATURES = 64

_BUILTINS = (
    ("str", "string"), ("number", "number"), ("int", "int"), ("int8", "int"),
    ("int16", "int"), ("int32", "int"), ("int64", "int"), ("uint8", "int"),
    ("uint16", "int"), ("uint32", "int"), ("uint64", "int"), ("size", "int"),
    ("bool", "boolean"), ("any", "value"), ("null", "null"),
)
_QTYPES = ("none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool")


def _cond(raw: Value | None) -> Condition:
    return ALWAYS if raw is None else conditions.from_json(raw)


class Schema:
    """A loaded, checked schema."""

    def __init__(self, fname: str, lenient_docs: bool = False) -> None:
        self.fname = fname
        self.lenient_docs = lenient_docs
        self._dir = os.path.dirname(fname) or "."
        self._entity_dict: dict[str, Entity] = {}
        self.definitions: list[Entity] = []
        self._modules: dict[str, Module] = {}
        self._module_by_fname: dict[str, Module] = {}
        self._feature_names: set[str] = set(SPECIAL_FEATURES)
        self.entities: list[Entity] = []
        self.docs: list[Doc] = []
        self.pragma = Pragma()

    # --- lookup ----------------------------------------------------------------------------

    def lookup_entity(self, name: str) -> Entity | None:
        return self._entity_dict.get(name)

    def lookup_type(self, name: str) -> Type | None:
        ent = self._entity_dict.get(name)
        return ent if isinstance(ent, Type) else None

    def resolve_type(self, name: str, info: SourceInfo | None,
                     what: str | Callable[[SourceInfo | None], str] | None) -> Type:
        typ = self.lookup_type(name)
        if typ is None:
            if callable(what):
                what = what(info)
            raise QAPIError(info, f"{what} uses unknown type '{name}'")
        return typ

    @property
    def modules(self) -> list[Module]:
        return list(self._modules.values())

    def commands(self) -> list[Command]:
        return [e for e in self.definitions if isinstance(e, Command)]

    def events(self) -> list[Event]:
        return [e for e in self.definitions if isinstance(e, Event)]

    # --- building --------------------------------------------------------------------------

    def _module(self, fname: str) -> Module:
        mod = self._module_by_fname.get(fname)
        if mod is not None:
            return mod
        name = fname if fname == BUILTIN_MODULE else os.path.relpath(fname, self._dir)
        mod = self._modules.get(name)
        if mod is None:
            mod = self._modules[name] = Module(name)
        self._module_by_fname[fname] = mod
        return mod

    def _define(self, ent: Entity) -> None:
        prev = self._entity_dict.get(ent.name)
        if prev is not None:
            if prev.info is None:
                raise QAPIError(ent.info, f"{prev.describe()} is already defined")
            raise QAPIError(ent.info, f"'{ent.name}' is already defined\n"
                                      f"{prev.info}: previous definition")
        self._entity_dict[ent.name] = ent
        self.definitions.append(ent)

    def _define_predefined(self) -> None:
        for name, json_type in _BUILTINS:
            self._define(BuiltinType(name, json_type))
            self._array_type(name, None)
        self._define(ObjectType(EMPTY_TYPE, None, None, ALWAYS, [], None, [], None))
        self._define(EnumType("QType", None, None, ALWAYS, [],
                              [EnumMember(n, None) for n in _QTYPES], None))

    def _features(self, raw: Value | None, info: SourceInfo) -> list[Feature]:
        if raw is None:
            return []
        assert isinstance(raw, list)
        out: list[Feature] = []
        for f in raw:
            assert isinstance(f, dict)
            name = f["name"]
            assert isinstance(name, str)
            if name not in self._feature_names:
                self._feature_names.add(name)
                if len(self._feature_names) > MAX_FEATURES:
                    raise QAPIError(info, f"Maximum of {MAX_FEATURES} schema features "
                                          "is permitted")
            out.append(Feature(name, info, _cond(f.get("if"))))
        return out

    def _array_type(self, element: str, info: SourceInfo | None) -> str:
        name = element + "List"
        if self.lookup_type(name) is None:
            self._define(ArrayType(name, info, element))
        return name

    def _type_ref(self, ref: Value, info: SourceInfo) -> str:
        if isinstance(ref, list):
            element = ref[0]
            assert isinstance(element, str)
            return self._array_type(element, info)
        assert isinstance(ref, str)
        return ref

    def _members(self, data: Value, info: SourceInfo) -> list[ObjectMember]:
        assert isinstance(data, dict)
        out: list[ObjectMember] = []
        for key, value in data.items():
            assert isinstance(value, dict)
            optional = key.startswith("*")
            name = key[1:] if optional else key
            typ = self._type_ref(value["type"], info)
            out.append(ObjectMember(name, info, typ, optional, _cond(value.get("if")),
                                    self._features(value.get("features"), info)))
        return out

    def _implicit_object(self, name: str, info: SourceInfo, ifcond: Condition, role: str,
                         members: list[ObjectMember]) -> str | None:
        if not members:
            return None
        typename = f"q_obj_{name}-{role}"
        if self.lookup_entity(typename) is None:
            # Else a duplicate definition, which is reported when its owner is defined.
            self._define(ObjectType(typename, info, None, ifcond, [], None, members, None))
        return typename

    def _define_expr(self, expr: dict[str, Value], info: SourceInfo, doc: Doc | None) -> None:
        meta = definition_meta(expr)
        name = expr[meta]
        assert isinstance(name, str)
        ifcond = _cond(expr.get("if"))
        features = self._features(expr.get("features"), info)
        data = expr.get("data")
        if meta == "enum":
            assert isinstance(data, list)
            members: list[EnumMember] = []
            for m in data:
                assert isinstance(m, dict) and isinstance(m["name"], str)
                members.append(EnumMember(m["name"], info, _cond(m.get("if")),
                                          self._features(m.get("features"), info)))
            prefix = expr.get("prefix")
            assert prefix is None or isinstance(prefix, str)
            self._define(EnumType(name, info, doc, ifcond, features, members, prefix))
        elif meta == "struct":
            base = expr.get("base")
            assert base is None or isinstance(base, str)
            assert data is not None
            self._define(ObjectType(name, info, doc, ifcond, features, base,
                                    self._members(data, info), None))
        elif meta == "union":
            base = expr["base"]
            if isinstance(base, dict):
                base = self._implicit_object(name, info, ifcond, "base",
                                             self._members(base, info))
            assert base is None or isinstance(base, str)
            tag = expr["discriminator"]
            assert isinstance(tag, str) and isinstance(data, dict)
            variants = []
            for key, value in data.items():
                assert isinstance(value, dict) and isinstance(value["type"], str)
                variants.append(Branch(key, info, value["type"], _cond(value.get("if"))))
            self._define(ObjectType(name, info, doc, ifcond, features, base, [],
                                    Branches(tag, variants)))
        elif meta == "alternate":
            assert isinstance(data, dict)
            variants = []
            for key, value in data.items():
                assert isinstance(value, dict)
                variants.append(Branch(key, info, self._type_ref(value["type"], info),
                                       _cond(value.get("if"))))
            tag_member = ObjectMember("type", info, "QType", False)
            self._define(AlternateType(name, info, doc, ifcond, features,
                                       Branches(None, variants, tag_member)))
        else:
            arg_type: str | None = None
            if isinstance(data, dict):
                arg_type = self._implicit_object(name, info, ifcond, "arg",
                                                 self._members(data, info))
            elif isinstance(data, str):
                arg_type = data
            boxed = expr.get("boxed", False) is True
            if meta == "command":
                rets = expr.get("returns")
                ret_type = None if rets is None else self._type_ref(rets, info)
                self._define(Command(
                    name, info, doc, ifcond, features, arg_type, ret_type,
                    gen=expr.get("gen", True) is True,
                    success_response=expr.get("success-response", True) is True,
                    boxed=boxed,
                    allow_oob=expr.get("allow-oob", False) is True,
                    allow_preconfig=expr.get("allow-preconfig", False) is True,
                    coroutine=expr.get("coroutine", False) is True))
            else:
                self._define(Event(name, info, doc, ifcond, features, arg_type, boxed))

    def build(self, exprs: list[TopLevel]) -> None:
        self._module(BUILTIN_MODULE)
        self._module(self.fname)
        self._define_predefined()
        for top in exprs:
            if isinstance(top, ParsedInclude):
                mod = self._module(top.fname)
                self.definitions.append(Include(mod.name, top.info))
            else:
                self._define_expr(top.expr, top.info, top.doc)

    def check(self) -> None:
        for ent in list(self.definitions):
            try:
                ent.check(self)
            except RecursionError:
                raise QAPIError(ent.info, "definitions nest too deeply "
                                          "(chain of bases or union branches)") from None
        for ent in list(self.definitions):
            if isinstance(ent, Definition) and ent.doc is not None:
                doc = ent.doc
                assert ent.info is not None
                exempt = (self.lenient_docs
                          or doc.symbol in ent.info.pragma.documentation_exceptions)
                ent.connect_doc(doc, exempt)
        for doc in self.docs:
            doc.check()
        builtin = self._modules[BUILTIN_MODULE]
        for ent in self.definitions:
            ent.module = self._owner_module(ent, builtin)
            ent.module.entities.append(ent)
        self.entities = []
        for mod in self._modules.values():
            self.entities.append(mod)
            self.entities.extend(mod.entities)

    def _owner_module(self, ent: Entity, builtin: Module) -> Module:
        if isinstance(ent, ArrayType):
            return self._owner_module(ent.element_type, builtin)
        if ent.info is None:
            return builtin
        return self._module(ent.info.fname)


def definitions_of(parsed: ParseResult) -> list[ParsedDefinition]:
    return [t for t in parsed.exprs if isinstance(t, ParsedDefinition)]


def parse_checked(path: str | os.PathLike[str], lenient_docs: bool = False) -> ParseResult:
    """Parse the schema in *path* and shape-check every definition: the expressions as written,
    normalised (members, values and features as objects), before entities are built."""
    parsed = SchemaParser(os.fspath(path), lenient_docs).parse()
    check_definitions(definitions_of(parsed), lenient_docs)
    return parsed


def load_schema(path: str | os.PathLike[str], lenient_docs: bool = False,
                overlay: Overlay | None = None) -> Schema:
    """Parse and check the schema in *path* (following includes).

    Raises :class:`QAPIError` for anything wrong with the input, and nothing else.
    With *lenient_docs*, doc-comment rules introduced after QEMU 7.2 are relaxed, and so is
    the rule that conditional implicit arguments need ``'boxed': true``; the exact list is in
    :mod:`qapic.frontend.doc`.  Interface rules stay strict.  An *overlay* (a conditions file,
    :mod:`.overlay`) adds its conditions to the checked definitions before entities are built.
    """
    fname = os.fspath(path)
    try:
        parsed = parse_checked(fname, lenient_docs)
        if overlay is not None:
            apply_overlay(overlay, definitions_of(parsed))
        schema = Schema(fname, lenient_docs)
        schema.docs = parsed.docs
        schema.pragma = parsed.pragma
        schema.build(parsed.exprs)
        schema.check()
    except RecursionError:  # pragma: no cover - every deep structure is bounded above
        raise QAPIError(None, f"{fname}: schema nests too deeply") from None
    return schema
