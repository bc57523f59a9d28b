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
from dataclasses import dataclass
from typing import Union

from qapic.conditions import Condition
from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    Event,
    Feature,
    ObjectMember,
    ObjectType,
    Schema,
    Type,
)

Tree = Union[str, bool, None, "dict[str, Tree]", "list[Guarded]"]


@dataclass(frozen=True)
class Guarded:
    """A list element and the condition under which it is present."""

    value: Tree
    ifcond: Condition
    comment: str | None = None      # the real name of a masked type, for readers of C output


# Built-in integer types all appear as "int": introspection shows the wire type only.
_INTEGER_TYPES = frozenset(
    {"int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size"}
)


class _Builder:
    def __init__(self, schema: Schema, unmask: bool) -> None:
        self.schema = schema
        self.unmask = unmask
        self.names: dict[str, str] = {}         # schema type name -> name in introspection
        self.masked = 0
        self.queue: list[Type] = []
        self.emitted: set[str] = set()

    def _canonical(self, typ: Type) -> Type:
        if isinstance(typ, BuiltinType) and typ.name in _INTEGER_TYPES:
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
        if isinstance(typ, ArrayType):
            # Arrays are named after their element, so int8List and intList are both "[int]".
            name = f"[{self.ref(typ.element_type)}]"
        elif isinstance(typ, BuiltinType) or self.unmask:
            name = typ.name
        else:
            name = self._next_masked()
        self.names[typ.name] = name
        if name not in self.emitted:
            self.emitted.add(name)
            self.queue.insert(position, typ)
        return name

    def _next_masked(self) -> str:
        name = str(self.masked)
        self.masked += 1
        return name

    def empty(self) -> str:
        typ = self.schema.lookup_type("q_empty")
        assert typ is not None
        return self.ref(typ)

    # --- entries ---

    def command(self, cmd: Command) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "arg-type": self.ref(cmd.arg_type) if cmd.arg_type else self.empty(),
            "meta-type": "command",
            "name": cmd.name,
            "ret-type": self.ref(cmd.ret_type) if cmd.ret_type else self.empty(),
        }
        if cmd.allow_oob:
            entry["allow-oob"] = True
        return _with_features(entry, cmd.features)

    def event(self, event: Event) -> dict[str, Tree]:
        entry: dict[str, Tree] = {
            "arg-type": self.ref(event.arg_type) if event.arg_type else self.empty(),
            "meta-type": "event",
            "name": event.name,
        }
        return _with_features(entry, event.features)

    def type_entry(self, typ: Type) -> dict[str, Tree]:
        name = self.names[typ.name]
        entry: dict[str, Tree]
        if isinstance(typ, BuiltinType):
            entry = {"json-type": typ.json_type(), "meta-type": "builtin", "name": name}
        elif isinstance(typ, EnumType):
            entry = {
                "members": [
                    Guarded(_with_features({"name": m.name}, m.features), m.ifcond)
                    for m in typ.members
                ],
                "meta-type": "enum",
                "name": name,
                "values": [Guarded(m.name, m.ifcond) for m in typ.members],
            }
        elif isinstance(typ, ArrayType):
            entry = {
                "element-type": self.ref(typ.element_type),
                "meta-type": "array",
                "name": name,
            }
        elif isinstance(typ, ObjectType):
            entry = {
                "members": [Guarded(self.member(m), m.ifcond) for m in typ.members],
                "meta-type": "object",
                "name": name,
            }
            if typ.branches is not None:
                entry["tag"] = typ.branches.tag_member.name
                entry["variants"] = [
                    Guarded({"case": v.name, "type": self.ref(v.type)}, v.ifcond)
                    for v in typ.branches.variants
                ]
        elif isinstance(typ, AlternateType):
            assert typ.branches is not None
            entry = {
                "members": [
                    Guarded({"type": self.ref(v.type)}, v.ifcond) for v in typ.branches.variants
                ],
                "meta-type": "alternate",
                "name": name,
            }
        else:
            raise TypeError(f"no introspection for {type(typ).__name__} {typ.name}")
        return _with_features(entry, typ.features)

    def member(self, member: ObjectMember) -> dict[str, Tree]:
        entry: dict[str, Tree] = {"name": member.name, "type": self.ref(member.type)}
        if member.optional:
            entry["default"] = None
        return _with_features(entry, member.features)


def _with_features(entry: dict[str, Tree], features: Iterable[Feature]) -> dict[str, Tree]:
    listed = [Guarded(f.name, f.ifcond) for f in features]
    if listed:
        entry["features"] = listed
    return dict(sorted(entry.items()))


def schema_info(schema: Schema, unmask: bool = False) -> list[Guarded]:
    """Every SchemaInfo entry of *schema*, each guarded by its condition, in QEMU's order:
    commands and events in definition order, then each type in order of first use."""
    builder = _Builder(schema, unmask)
    entries: list[Guarded] = []
    for entity in schema.entities:
        if isinstance(entity, Command):
            entries.append(Guarded(builder.command(entity), entity.ifcond))
        elif isinstance(entity, Event):
            entries.append(Guarded(builder.event(entity), entity.ifcond))
    done = 0
    while done < len(builder.queue):
        typ = builder.queue[done]
        done += 1
        masked = builder.names[typ.name] != typ.name and not isinstance(typ, ArrayType)
        entries.append(
            Guarded(builder.type_entry(typ), typ.ifcond, typ.name if masked else None)
        )
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
