"""The QAPI schema frontend: schema text to a checked model.

Pipeline: :mod:`.source` (locations, :class:`QAPIError`), :mod:`.parser` (text to expressions,
doc comments, includes, pragmas), :mod:`.doc` (doc comments), :mod:`.expr` (shape checks),
:mod:`.entities` and :mod:`.schema` (entities and semantic checks), :mod:`.visitor` (the one
dispatch over entities, :class:`EntityVisitor`), :mod:`.dump` (the ``test-qapi.py`` dump format).
"""

from .doc import Doc, DocSection
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
from .overlay import Overlay, load_overlay
from .schema import Schema, load_schema
from .source import QAPIError, SourceInfo
from .visitor import EntityVisitor, entities_of

__all__ = [
    "BUILTIN_MODULE", "EMPTY_TYPE", "SPECIAL_FEATURES",
    "AlternateType", "ArrayType", "Branch", "Branches", "BuiltinType", "Command", "Definition",
    "Doc", "DocSection", "Entity", "EntityVisitor", "EnumMember", "EnumType", "Event",
    "Feature", "Include", "Member", "Module", "ObjectMember", "ObjectType", "Overlay",
    "QAPIError", "Schema", "SourceInfo", "Type", "entities_of", "load_overlay", "load_schema",
]
