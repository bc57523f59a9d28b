"""The model dump of QEMU's ``tests/qapi-schema/test-qapi.py``: entities, then doc blocks."""

from __future__ import annotations

from ..conditions import Condition
from .entities import (
    AlternateType,
    ArrayType,
    Branches,
    Command,
    EnumMember,
    EnumType,
    Event,
    Feature,
    Include,
    Module,
    ObjectMember,
    ObjectType,
)
from .schema import Schema


def _if(out: list[str], ifcond: Condition, indent: int = 4) -> None:
    if not ifcond.is_always:
        out.append(f"{' ' * indent}if {ifcond}")


def _features(out: list[str], features: list[Feature], indent: int = 4) -> None:
    for f in features:
        out.append(f"{' ' * indent}feature {f.name}")
        _if(out, f.ifcond, indent + 4)


def _member(out: list[str], text: str, member: EnumMember | ObjectMember) -> None:
    out.append(f"    member {text}")
    _if(out, member.ifcond, 8)
    _features(out, member.features, 8)


def _branches(out: list[str], branches: Branches | None) -> None:
    if branches is None:
        return
    out.append(f"    tag {branches.tag_member.name}")
    for v in branches.variants:
        out.append(f"    case {v.name}: {v.type.name}")
        _if(out, v.ifcond, 8)


def dump_entities(schema: Schema) -> list[str]:
    out: list[str] = []
    for ent in schema.entities:
        if isinstance(ent, Module):
            out.append(f"module {ent.name}")
        elif isinstance(ent, Include):
            out.append(f"include {ent.name}")
        elif isinstance(ent, EnumType):
            out.append(f"enum {ent.name}")
            if ent.prefix:
                out.append(f"    prefix {ent.prefix}")
            for value in ent.members:
                _member(out, value.name, value)
            _if(out, ent.ifcond)
            _features(out, ent.features)
        elif isinstance(ent, ArrayType):
            if ent.info is None:
                continue
            out.append(f"array {ent.name} {ent.element_type.name}")
            _if(out, ent.ifcond)
        elif isinstance(ent, ObjectType):
            out.append(f"object {ent.name}")
            if ent.base is not None:
                out.append(f"    base {ent.base.name}")
            for m in ent.local_members:
                _member(out, f"{m.name}: {m.type.name} optional={m.optional}", m)
            _branches(out, ent.branches)
            _if(out, ent.ifcond)
            _features(out, ent.features)
        elif isinstance(ent, AlternateType):
            out.append(f"alternate {ent.name}")
            _branches(out, ent.branches)
            _if(out, ent.ifcond)
            _features(out, ent.features)
        elif isinstance(ent, Command):
            arg = ent.arg_type.name if ent.arg_type else None
            ret = ent.ret_type.name if ent.ret_type else None
            out.append(f"command {ent.name} {arg} -> {ret}")
            coroutine = " coroutine=True" if ent.coroutine else ""
            out.append(f"    gen={ent.gen} success_response={ent.success_response} "
                       f"boxed={ent.boxed} oob={ent.allow_oob} "
                       f"preconfig={ent.allow_preconfig}{coroutine}")
            _if(out, ent.ifcond)
            _features(out, ent.features)
        elif isinstance(ent, Event):
            arg = ent.arg_type.name if ent.arg_type else None
            out.append(f"event {ent.name} {arg}")
            out.append(f"    boxed={ent.boxed}")
            _if(out, ent.ifcond)
            _features(out, ent.features)
    return out


def dump_docs(schema: Schema) -> list[str]:
    out: list[str] = []
    for doc in schema.docs:
        out.append(f"doc symbol={doc.symbol}" if doc.symbol else "doc freeform")
        out.append(f"    body=\n{doc.body.text}")
        for name, section in doc.args.items():
            out.append(f"    arg={name}\n{section.text}")
        for name, section in doc.features.items():
            out.append(f"    feature={name}\n{section.text}")
        for section in doc.sections:
            out.append(f"    section={section.kind}\n{section.text}")
    return out


def dump(schema: Schema) -> str:
    """The whole dump, as test-qapi.py prints it (newline-terminated lines)."""
    return "".join(line + "\n" for line in dump_entities(schema) + dump_docs(schema))
