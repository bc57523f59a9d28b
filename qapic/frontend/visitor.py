"""One dispatch over the schema's entities: :class:`EntityVisitor`.

Every backend that does something different per kind of entity subclasses
:class:`EntityVisitor` and overrides the ``visit_*`` methods it needs; ``visitor.visit(ent)``
calls the one for *ent*'s class (each entity class names its method in ``accept()``).  A kind
that is not overridden falls back to its more general kind, so a visitor handles exactly what
it overrides::

    visit_builtin, visit_enum, visit_array, visit_object, visit_alternate -> visit_type
    visit_type, visit_command, visit_event                                 -> visit_definition
    visit_definition, visit_module, visit_include                          -> visit_entity

``visit_entity`` raises ``NotImplementedError``: a visitor that meets an entity it has no
answer for fails loudly.  A visitor that should pass over the rest overrides it (usually to
return ``None``).  The type parameter is what each ``visit_*`` returns.

:func:`entities_of` is the one filter by kind (the commands of a module, ...).

QEMU's ``scripts/qapi`` has ``QAPISchemaVisitor`` with one ``visit_*`` method per kind, called
with the entity's fields unpacked; here the methods get the entity itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from .entities import (
        AlternateType,
        ArrayType,
        BuiltinType,
        Command,
        Definition,
        Entity,
        EnumType,
        Event,
        Include,
        Module,
        ObjectType,
        Type,
    )

R = TypeVar("R")
E = TypeVar("E", bound="Entity")
F = TypeVar("F", bound="Entity")


class EntityVisitor(Generic[R]):
    """A computation over entities with one method per kind (see the module's docstring)."""

    def visit(self, ent: Entity) -> R:
        return ent.accept(self)

    def visit_entity(self, ent: Entity) -> R:
        raise NotImplementedError(f"{type(self).__name__} has no case for {ent!r}")

    def visit_module(self, module: Module) -> R:
        return self.visit_entity(module)

    def visit_include(self, include: Include) -> R:
        return self.visit_entity(include)

    def visit_definition(self, defn: Definition) -> R:
        return self.visit_entity(defn)

    def visit_type(self, typ: Type) -> R:
        return self.visit_definition(typ)

    def visit_builtin(self, typ: BuiltinType) -> R:
        return self.visit_type(typ)

    def visit_enum(self, typ: EnumType) -> R:
        return self.visit_type(typ)

    def visit_array(self, typ: ArrayType) -> R:
        return self.visit_type(typ)

    def visit_object(self, typ: ObjectType) -> R:
        return self.visit_type(typ)

    def visit_alternate(self, typ: AlternateType) -> R:
        return self.visit_type(typ)

    def visit_command(self, cmd: Command) -> R:
        return self.visit_definition(cmd)

    def visit_event(self, event: Event) -> R:
        return self.visit_definition(event)


@overload
def entities_of(entities: Iterable[Entity], kind: type[E]) -> list[E]: ...


@overload
def entities_of(entities: Iterable[Entity], kind: type[E], other: type[F]) -> list[E | F]: ...


def entities_of(entities: Iterable[Entity], kind: type[Entity],
                other: type[Entity] | None = None) -> list[Any]:
    """The entities of class *kind* (or *other*, or a subclass) among *entities*, in their
    order."""
    kinds = kind if other is None else (kind, other)
    return [ent for ent in entities if isinstance(ent, kinds)]
