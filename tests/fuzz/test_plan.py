"""The systematic share of qapic fuzz's requests (qapic/proof/fuzz/plan.py), on the harness tests'
schema of target-conditional everything and on QEMU 10.0's schema.

What a visitor's lines need is derived here from the schema, independently of the plan: every
branch of every union a command's arguments reach taken by a request that is valid throughout;
for every member of every struct they reach, a request whose only fault is that member's value
being of a JSON type the member does not take (the error exit right after that member); for
every struct met as a value, a request whose only fault is an unknown key in it; for every
alternate, a request whose only fault is a JSON type none of its alternatives takes.  Each
request is checked by walking it against the schema here."""

from __future__ import annotations

from typing import Any

import pytest

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    EnumType,
    ObjectType,
    Schema,
    Type,
    load_schema,
)
from qapic.proof.fuzz.generate import Generator
from qapic.proof.fuzz.plan import Plan
from qapic.proof.fuzz.request import Obj, Request
from tests.fuzz.test_qmp_generator import MODULE, json_kind
from tests.support import SYSTEM_SCHEMA

Fault = tuple[str, str]

#: The JSON kinds (tests/fuzz/test_qmp_generator.py's json_kind) a built-in type takes.
TAKES = {"string": {"string"}, "int": {"number"}, "number": {"number"},
         "boolean": {"boolean"}, "null": {"null"}}
#: The JSON kind a QEMU alternate dispatches by, per qtype of an alternative.
QTYPE_KIND = {"QTYPE_QSTRING": "string", "QTYPE_QNUM": "number", "QTYPE_QBOOL": "boolean",
              "QTYPE_QNULL": "null", "QTYPE_QDICT": "object", "QTYPE_QLIST": "array"}


def takes(typ: Type) -> set[str] | None:
    """The JSON kinds *typ* takes (None: every kind)."""
    if isinstance(typ, AlternateType):
        return {QTYPE_KIND[b.type.alternate_qtype() or ""] for b in typ.branches.variants}
    if isinstance(typ, (EnumType, BuiltinType)):
        jt = typ.json_type()
        return None if jt == "value" else TAKES[jt]
    return {"array"} if isinstance(typ, ArrayType) else {"object"}


class Walk:
    """The faults of one request's arguments and the union branches it takes."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.branches: set[tuple[str, str]] = set()
        self.alternates: set[str] = set()      # fed a JSON type none of their alternatives takes

    def value(self, typ: Type, v: Any, fault: Fault) -> None:
        kinds = takes(typ)
        if kinds is not None and json_kind(v) not in kinds:
            self.faults.append(fault)
            if isinstance(typ, AlternateType):
                self.alternates.add(typ.name)
        elif isinstance(typ, EnumType):
            if v not in typ.member_names():
                self.faults.append(("enum value", typ.name))
        elif isinstance(typ, ArrayType):
            for x in v:
                self.value(typ.element_type, x, ("element", typ.name))
        elif isinstance(typ, AlternateType):
            for b in typ.branches.variants:
                if QTYPE_KIND[b.type.alternate_qtype() or ""] == json_kind(v):
                    self.value(b.type, v, ("alternative", typ.name))
                    break
        elif isinstance(typ, ObjectType):
            self.object(typ, v)

    def object(self, typ: ObjectType, v: Obj) -> None:
        members = {m.name: m for m in typ.members}
        got = dict(v)
        judged = True
        if typ.branches is not None and typ.branches.tag_member is not None:
            tag = got.get(typ.branches.tag_member.name)
            # A tag of the wrong type: no branch, so no member of one can be judged unknown.
            judged = not isinstance(tag, Obj | list | bool | int | float)
            for b in typ.branches.variants:
                if b.name == tag:
                    self.branches.add((typ.name, b.name))
                    members.update({m.name: m for m in b.union_type.members})
        for name, m in members.items():
            if name not in got and not m.optional:
                self.faults.append(("missing", f"{m.defined_in}.{name}"))
        for k, x in v:
            if k not in members:
                if judged:
                    self.faults.append(("unknown key", typ.name))
            else:
                m = members[k]
                self.value(m.type, x, ("member", f"{m.defined_in}.{k}"))


def reached(schema: Schema) -> tuple[set[Fault], set[tuple[str, str]]]:
    """What the commands' arguments reach: the single faults a plan must have a request for,
    and the union branches."""
    faults: set[Fault] = set()
    branches: set[tuple[str, str]] = set()
    seen: set[str] = set()
    todo: list[tuple[Type, bool]] = [(c.arg_type, False) for c in schema.commands()
                                     if c.arg_type is not None and c.name != "quit"]
    while todo:
        typ, as_value = todo.pop()
        if isinstance(typ, ObjectType) and as_value:
            faults.add(("unknown key", typ.name))
        if typ.name in seen:
            continue
        seen.add(typ.name)
        if isinstance(typ, ObjectType):
            members = list(typ.members)
            if typ.branches is not None:
                for b in typ.branches.variants:
                    branches.add((typ.name, b.name))
                    members += b.union_type.members
            for m in members:
                if takes(m.type) is not None:
                    faults.add(("member", f"{m.defined_in}.{m.name}"))
                todo.append((m.type, True))
        elif isinstance(typ, AlternateType):
            if set(QTYPE_KIND.values()) - (takes(typ) or set()):
                faults.add(("alternative", typ.name))
            todo += [(b.type, True) for b in typ.branches.variants]
        elif isinstance(typ, ArrayType):
            todo.append((typ.element_type, True))
    return faults, branches


@pytest.fixture(scope="module", params=["target-conditions", "qemu-10.0"])
def schema(request: pytest.FixtureRequest) -> Schema:
    if request.param == "target-conditions":
        return load_schema(MODULE)
    return load_schema(request.getfixturevalue("qemu_10_0") / SYSTEM_SCHEMA)


def test_every_branch_whole_and_every_member_alone_wrong(schema: Schema) -> None:
    commands = {c.name: c for c in schema.commands()}
    plan = Plan([c for c in commands.values() if c.name != "quit"])
    single: set[Fault] = set()
    valid_branches: set[tuple[str, str]] = set()
    for name, args in plan.entries:
        arg_type = commands[name].arg_type
        assert arg_type is not None
        w = Walk()
        w.object(arg_type, args)
        if not w.faults:
            valid_branches |= w.branches
        elif len(w.faults) == 1:
            single |= {w.faults[0], *(("alternative", a) for a in w.alternates)}
    want_faults, want_branches = reached(schema)
    assert want_branches and want_faults
    assert want_branches <= valid_branches, sorted(want_branches - valid_branches)[:10]
    assert want_faults <= single, sorted(want_faults - single)[:10]


def test_every_other_request_is_planned(schema: Schema) -> None:
    """The generator sends the plan on the even requests, all of it before any repeats, and
    its random requests in between."""
    gen = Generator(schema, 3)
    random_only = Generator(schema, 3, systematic=False)
    n = len(gen.plan)
    sent = [gen.request(i) for i in range(2 * n)]
    planned = {Request.of(0, "command", Obj([("execute", c), ("arguments", a)])).text
               for c, a in Plan([c for c in schema.commands() if c.name != "quit"]).entries}
    assert {r.text for r in sent[0::2]} == planned
    assert [r.text for r in sent[1::2]] == [random_only.request(i).text
                                            for i in range(1, 2 * n, 2)]
    assert gen.request(2 * n).text == sent[0].text
