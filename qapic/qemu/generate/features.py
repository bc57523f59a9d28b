"""``PREFIXqapi-features.[ch]``: the ``QapiFeature`` enum of every feature the schema names.

QEMU's dispatcher and visitors test features as bits of a ``uint64_t`` mask (``1u <<
QAPI_FEATURE_X``); the two special features take the values of ``QAPI_DEPRECATED`` and
``QAPI_UNSTABLE`` from ``qapi/util.h`` so that the run-time support can name them.  The other
features are numbered in the order the schema first names them, as QEMU does, because that
order fixes the bit of each.
"""

from __future__ import annotations

from qapic.frontend import (
    SPECIAL_FEATURES,
    Command,
    Definition,
    EntityVisitor,
    EnumType,
    Event,
    Feature,
    ObjectType,
    Schema,
    entities_of,
)

from .common import GenContext, c_enum_const
from .output import OutputSet

BLURB = "Schema-defined QAPI features"


class _MemberFeatures(EntityVisitor[list[Feature]]):
    """The features of a definition's members, in the order the schema reader meets them:
    for a command or event, those of its implicit argument type; for a union, those of its
    implicit base first."""

    def visit_definition(self, defn: Definition) -> list[Feature]:
        return []

    def visit_enum(self, typ: EnumType) -> list[Feature]:
        return [feat for value in typ.members for feat in value.features]

    def visit_object(self, typ: ObjectType) -> list[Feature]:
        if typ.is_implicit():
            return []
        members_of = [typ]
        if typ.branches is not None and typ.base is not None and typ.base.is_implicit():
            members_of.insert(0, typ.base)
        return _local_member_features(members_of)

    def visit_command(self, cmd: Command) -> list[Feature]:
        return self._arguments(cmd.arg_type)

    def visit_event(self, event: Event) -> list[Feature]:
        return self._arguments(event.arg_type)

    @staticmethod
    def _arguments(arg_type: ObjectType | None) -> list[Feature]:
        if arg_type is None or not arg_type.is_implicit():
            return []
        return _local_member_features([arg_type])


def _local_member_features(objects: list[ObjectType]) -> list[Feature]:
    return [feat for obj in objects for member in obj.local_members for feat in member.features]


_MEMBER_FEATURES = _MemberFeatures()


def feature_names(schema: Schema) -> list[str]:
    """Every feature name of *schema*, the special ones first, the others in order of first
    appearance (a definition's own features, then its members')."""
    names = list(SPECIAL_FEATURES)
    for defn in entities_of(schema.definitions, Definition):
        for feat in defn.features + defn.accept(_MEMBER_FEATURES):
            if feat.name not in names:
                names.append(feat.name)
    return names


def feature_const(name: str) -> str:
    """The ``QapiFeature`` constant of feature *name*."""
    return c_enum_const("qapi_feature", name)


def feature_mask(features: list[Feature]) -> str:
    """The C expression of the feature bits of an entity, ``0`` when it has none.

    Conditional features count unconditionally, as in QEMU: the mask is what the dispatcher
    tests for the deprecation/unstable policies, and QEMU's registration ignores the condition.
    """
    if not features:
        return "0"
    return " | ".join(f"1u << {feature_const(f.name)}" for f in features)


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    out.c_file(ctx.prefix + "qapi-features.c", BLURB)     # nothing but the placeholder
    h_file = out.h_file(ctx.prefix + "qapi-features.h", BLURB)

    h = h_file.preamble
    h.line('#include "qapi/util.h"')

    h = h_file.body
    with h.block("typedef enum", "} QapiFeature;"):
        for name in feature_names(schema):
            if name in SPECIAL_FEATURES:
                h.line(f"{feature_const(name)} = {c_enum_const('qapi', name)},")
            else:
                h.line(f"{feature_const(name)},")

