"""The value of query-qmp-schema, before any condition is decided.

:func:`schema_info` walks the schema once and produces a JSON-like tree in which every list
element carries the condition under which it exists (:class:`Guarded`).  Names of types are masked
(numbered in order of first use) unless *unmask* is set, exactly as QEMU exposes them; the
numbering is fixed over the whole schema, so a build that lacks some conditional type simply
skips its number.  From that one tree:

- :func:`evaluate` gives the JSON value for one set of defined symbols (``qapic introspect``);
- C backends render it with preprocessor or run-time guards, asking :mod:`qapic.conditions`.

Dictionary keys are kept in sorted order, the order QEMU's QLit tables use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple, Union

from qapic.conditions import Condition
from qapic.frontend import (
    EMPTY_TYPE,
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

Tree = Union[str, bool, None, "dict[str, Tree]", "list[Guarded]"]


class Guarded(NamedTuple):
    """A list element and the condition under which it is present.  (A named tuple: the tree
    holds thousands, and a frozen dataclass is several times slower to create.)"""

    value: Tree
    ifcond: Condition
    comment: str | None = None      # the real name of a masked type, for readers of C output


# Built-in integer types all appear as "int": introspection shows the wire type only.
_INTEGER_TYPES = frozenset(
    {"int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size"}
)


class _Naming(EntityVisitor[str]):
    """The name of a type in introspection (see :meth:`_Builder.ref`): masked unless
    built-in or *unmask*; an array's is its element's in brackets."""

    def __init__(self, builder: _Builder, unmask: bool) -> None:
        self.builder = builder
        self.unmask = unmask
        self.masked = 0

    def visit_type(self, typ: Type) -> str:
        if self.unmask:
            return typ.name
        name = str(self.masked)
        self.masked += 1
        return name

    def visit_builtin(self, typ: BuiltinType) -> str:
        return typ.name

    def visit_array(self, typ: ArrayType) -> str:
        # Arrays are named after their element, so int8List and intList are both "[int]".
        return f"[{self.builder.ref(typ.element_type)}]"


class _Builder(EntityVisitor[dict[str, Tree]]):
    """The SchemaInfo entry of each command, event and type (``visit()``), and the names of
    types (:meth:`ref`)."""

    def __init__(self, schema: Schema, unmask: bool) -> None:
        self.schema = schema
        self.names: dict[str, str] = {}         # schema type name -> name in introspection
        self.naming = _Naming(self, unmask)
        self.queue: list[Type] = []
        self.emitted: set[str] = set()

    def _canonical(self, typ: Type) -> Type:
        if typ.name in _INTEGER_TYPES:      # only built-in types have these names
            found = self.schema.lookup_type("int")
            assert found is not None
            return found
        return typ

    def ref(self, typ: Type) -> str:
        """The introspection name of *typ*; queues its entry on first use."""
        typ = self._canonical(typ)
        known = self.names.get(typ.name)
        if known is not None:
            return known
        position = len(self.queue)      # an array is listed before its element type
        name = typ.accept(self.naming)
        self.names[typ.name] = name
        if name not in self.emitted:
            self.emitted.add(name)
            self.queue.insert(position, typ)
        return name

    def empty(self) -> str:
        typ = self.schema.lookup_type(EMPTY_TYPE)
        assert typ is not None
        return self.ref(typ)

    # --- entries ---

    def visit_command(self, cmd: Command) -> dict[str, Tree]:
        entry: dict[str, Tree] = {"allow-oob": True} if cmd.allow_oob else {}
        entry["arg-type"] = self.ref(cmd.arg_type) if cmd.arg_type else self.empty()
        entry["meta-type"] = "command"
        entry["name"] = cmd.name
        entry["ret-type"] = self.ref(cmd.ret_type) if cmd.ret_type else self.empty()
        return _with_features(entry, cmd.features)

    def visit_event(self, event: Event) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "arg-type": self.ref(event.arg_type) if event.arg_type else self.empty(),
            "meta-type": "event",
            "name": event.name,
        }
        return _with_features(entry, event.features)

    def visit_builtin(self, typ: BuiltinType) -> dict[str, Tree]:
        entry: dict[str, Tree] = {"json-type": typ.json_type(), "meta-type": "builtin",
                                  "name": self.names[typ.name]}
        return _with_features(entry, typ.features)

    def visit_enum(self, typ: EnumType) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "members": [
                Guarded(_with_features({"name": m.name}, m.features), m.ifcond)
                for m in typ.members
            ],
            "meta-type": "enum",
            "name": self.names[typ.name],
            "values": [Guarded(m.name, m.ifcond) for m in typ.members],
        }
        return _with_features(entry, typ.features)

    def visit_array(self, typ: ArrayType) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "element-type": self.ref(typ.element_type),
            "meta-type": "array",
            "name": self.names[typ.name],
        }
        return _with_features(entry, typ.features)

    def visit_object(self, typ: ObjectType) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "members": [Guarded(self.member(m), m.ifcond) for m in typ.members],
            "meta-type": "object",
            "name": self.names[typ.name],
        }
        if typ.branches is not None:
            entry["tag"] = typ.branches.tag_member.name
            entry["variants"] = [
                Guarded({"case": v.name, "type": self.ref(v.type)}, v.ifcond)
                for v in typ.branches.variants
            ]
        return _with_features(entry, typ.features)

    def visit_alternate(self, typ: AlternateType) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "members": [
                Guarded({"type": self.ref(v.type)}, v.ifcond) for v in typ.branches.variants
            ],
            "meta-type": "alternate",
            "name": self.names[typ.name],
        }
        return _with_features(entry, typ.features)

    def member(self, member: ObjectMember) -> dict[str, Tree]:
        entry: dict[str, Tree] = {"default": None} if member.optional else {}
        entry["name"] = member.name
        entry["type"] = self.ref(member.type)
        return _with_features(entry, member.features)


def _with_features(entry: dict[str, Tree], features: list[Feature]) -> dict[str, Tree]:
    """*entry*, whose keys are in sorted order, with its *features* if any (and then the keys
    sorted again)."""
    if not features:
        return entry
    entry["features"] = [Guarded(f.name, f.ifcond) for f in features]
    return dict(sorted(entry.items()))


def schema_info(schema: Schema, unmask: bool = False) -> list[Guarded]:
    """Every SchemaInfo entry of *schema*, each guarded by its condition, in QEMU's order:
    commands and events in definition order, then each type in order of first use."""
    builder = _Builder(schema, unmask)
    entries: list[Guarded] = []
    for entity in entities_of(schema.entities, Command, Event):
        entries.append(Guarded(builder.visit(entity), entity.ifcond))
    done = 0
    while done < len(builder.queue):
        typ = builder.queue[done]
        done += 1
        name = builder.names[typ.name]
        # A comment with the real name of a masked type; arrays are named after their element.
        masked = name != typ.name and not name.startswith("[")
        entries.append(Guarded(builder.visit(typ), typ.ifcond, typ.name if masked else None))
    return entries


def evaluate(tree: Tree | list[Guarded], is_defined: Callable[[str], bool]) -> object:
    """The JSON value of *tree* in a build where exactly the symbols *is_defined* accepts exist."""
    if isinstance(tree, list):
        return [evaluate(g.value, is_defined) for g in tree if g.ifcond.evaluate(is_defined)]
    if isinstance(tree, dict):
        return {k: evaluate(v, is_defined) for k, v in tree.items()}
    return tree


def introspect(schema: Schema, defined: Iterable[str], unmask: bool = False) -> object:
    """query-qmp-schema's value for a build defining exactly *defined*."""
    names = frozenset(defined)
    return evaluate(schema_info(schema, unmask), names.__contains__)


__all__ = ["Guarded", "Tree", "evaluate", "introspect", "schema_info"]
