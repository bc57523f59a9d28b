"""``PREFIXqapi-features.[ch]``: the ``QapiFeature`` enum of every feature the schema names.

QEMU's dispatcher and visitors test features as bits of a ``uint64_t`` mask (``1u <<
QAPI_FEATURE_X``); the two special features take the values of ``QAPI_DEPRECATED`` and
``QAPI_UNSTABLE`` from ``qapi/util.h`` so that the run-time support can name them.  The other
features are numbered in the order the schema first names them, as QEMU does, because that
order fixes the bit of each.
"""

from __future__ import annotations

from qapic.frontend import (
    Command,
    Definition,
    EnumType,
    Event,
    Feature,
    ObjectType,
    Schema,
)

from .common import GenContext, c_enum_const
from .output import CFile, OutputSet

BLURB = "Schema-defined QAPI features"
SPECIAL_FEATURES = ("deprecated", "unstable")


def _features_in_order(defn: Definition) -> list[Feature]:
    """The features of *defn* in the order the schema reader meets them: the definition's own,
    then those of its members (for a command or event, of its implicit argument type; for a
    union, of its implicit base)."""
    found = list(defn.features)
    if isinstance(defn, EnumType):
        for value in defn.members:
            found += value.features
    members_of: list[ObjectType] = []
    if isinstance(defn, ObjectType) and not defn.is_implicit():
        members_of.append(defn)
        if defn.branches is not None and defn.base is not None and defn.base.is_implicit():
            members_of.insert(0, defn.base)
    if isinstance(defn, Command | Event) and defn.arg_type is not None \
            and defn.arg_type.is_implicit():
        members_of.append(defn.arg_type)
    for obj in members_of:
        for member in obj.local_members:
            found += member.features
    return found


def feature_names(schema: Schema) -> list[str]:
    """Every feature name of *schema*, the special ones first, the others in order of first
    appearance."""
    names = list(SPECIAL_FEATURES)
    for defn in schema.definitions:
        if not isinstance(defn, Definition):
            continue
        for feat in _features_in_order(defn):
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
    c_file = out.c_file(ctx.prefix + "qapi-features.c", BLURB)
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

    placeholder(c_file)


def placeholder(c_file: CFile) -> None:
    """Something to compile in a ``.c`` file that defines nothing else (ISO C wants it)."""
    if c_file.body.is_empty():
        c_file.body.line(f"char qapi_dummy_{c_name_of_file(c_file.name)};")


def c_name_of_file(name: str) -> str:
    """The identifier made of a generated file's name, for its placeholder definition."""
    return "".join(ch if ch.isalnum() else "_" for ch in name)
