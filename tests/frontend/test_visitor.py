"""The one dispatch over entities (qapic.frontend.visitor): every entity of QEMU's test schema
reaches the visit method of its own class, kinds a visitor does not handle fall back to the
more general kind, and an entity no method handles fails loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    Entity,
    EntityVisitor,
    EnumType,
    Event,
    Include,
    Module,
    ObjectType,
    Type,
    entities_of,
    load_schema,
)

EXPECTED = {Module: "module", Include: "include", BuiltinType: "builtin", EnumType: "enum",
            ArrayType: "array", ObjectType: "object", AlternateType: "alternate",
            Command: "command", Event: "event"}


class _Recorder(EntityVisitor[str]):
    def visit_module(self, module: Module) -> str:
        return "module"

    def visit_include(self, include: Include) -> str:
        return "include"

    def visit_builtin(self, typ: BuiltinType) -> str:
        return "builtin"

    def visit_enum(self, typ: EnumType) -> str:
        return "enum"

    def visit_array(self, typ: ArrayType) -> str:
        return "array"

    def visit_object(self, typ: ObjectType) -> str:
        return "object"

    def visit_alternate(self, typ: AlternateType) -> str:
        return "alternate"

    def visit_command(self, cmd: Command) -> str:
        return "command"

    def visit_event(self, event: Event) -> str:
        return "event"


class _TypesOnly(EntityVisitor[str]):
    def visit_type(self, typ: Type) -> str:
        return typ.name


@pytest.fixture(scope="module")
def entities(qemu_10_0: Path) -> list[Entity]:
    return load_schema(qemu_10_0 / "tests/qapi-schema/qapi-schema-test.json").entities


def test_each_entity_reaches_its_own_method(entities: list[Entity]) -> None:
    seen = set()
    for ent in entities:
        assert _Recorder().visit(ent) == EXPECTED[type(ent)], ent
        seen.add(type(ent))
    assert seen == set(EXPECTED)


def test_fallback_and_loud_failure(entities: list[Entity]) -> None:
    visitor = _TypesOnly()
    for ent in entities:
        if isinstance(ent, Type):
            assert visitor.visit(ent) == ent.name
        else:
            with pytest.raises(NotImplementedError, match=re.escape(repr(ent))):
                visitor.visit(ent)


def test_entities_of(entities: list[Entity]) -> None:
    commands = entities_of(entities, Command)
    assert commands and commands == [e for e in entities if type(e) is Command]
    both = entities_of(entities, Command, Event)
    assert both == [e for e in entities if type(e) in (Command, Event)]
    assert len(both) > len(commands)
