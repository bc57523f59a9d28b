"""qapic fuzz's request generator (qapic/proof/fuzz/generate.py), on the harness tests' schema of
target-conditional everything: what the issue asks it to send is checked by walking the
generated requests against the schema here, independently of how the generator chose them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    ObjectType,
    Schema,
    Type,
    load_schema,
)
from qapic.proof.fuzz.generate import Generator, corpus_line
from qapic.proof.fuzz.request import RESET, Obj, Raw, Request, wire
from tests.qmp.runner import load_file

MODULE = Path(__file__).resolve().parents[1] / "harness" / "schemas" / "target-conditions.json"
N = 6000
BOUNDS = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
          "uint16": (0, 65535), "int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1),
          "int": (-(2**63), 2**63 - 1), "int64": (-(2**63), 2**63 - 1),
          "uint64": (0, 2**64 - 1), "size": (0, 2**64 - 1)}


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema(MODULE)


@pytest.fixture(scope="module")
def requests(schema: Schema) -> list[Request]:
    return list(Generator(schema, 7).requests(N))


def json_kind(v: Any) -> str:
    if isinstance(v, Obj):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float, Raw)):
        return "number"
    return "null" if v is None else "string"


class Seen:
    """What the requests contain, found by walking them against the schema."""

    def __init__(self) -> None:
        self.things: Counter[tuple[Any, ...]] = Counter()

    def add(self, *key: Any) -> None:
        self.things[key] += 1

    def walk(self, typ: Type, v: Any, depth: int) -> None:
        self.add("depth", depth)
        if isinstance(typ, BuiltinType):
            kind = json_kind(v)
            self.add("builtin-json", typ.name, kind)
            if typ.name in BOUNDS and isinstance(v, int) and not isinstance(v, bool):
                lo, hi = BOUNDS[typ.name]
                for name, edge in (("min", lo), ("max", hi)):
                    if v == edge:
                        self.add("int-at", typ.name, name)
                if v < lo or v > hi:
                    self.add("int-beyond", typ.name)
            if isinstance(v, str) and len(v) >= 1000:
                self.add("long-string")
            if isinstance(v, float):
                self.add("float")
        elif isinstance(typ, EnumType):
            self.add("enum", typ.name, v if isinstance(v, str) and v in typ.member_names()
                     else "<invalid>" if isinstance(v, str) else "<wrong-type>")
        elif isinstance(typ, ArrayType):
            if isinstance(v, list):
                self.add("list-len", min(len(v), 2))
                for x in v:
                    self.walk(typ.element_type, x, depth + 1)
            else:
                self.add("wrong-type", "array", depth)
        elif isinstance(typ, AlternateType):
            self.add("alt-json", typ.name, json_kind(v))
            for b in typ.branches.variants:
                if json_kind(v) == _json_of(b.type):
                    self.walk(b.type, v, depth + 1)
                    break
        else:
            assert isinstance(typ, ObjectType)
            if not isinstance(v, Obj):
                self.add("wrong-type", "object", depth)
                return
            self.walk_object(typ, v, depth)

    def walk_object(self, typ: ObjectType, v: Obj, depth: int) -> None:
        keys = [k for k, _ in v]
        if len(keys) != len(set(keys)):
            self.add("duplicate-key")
        members = {m.name: m for m in typ.members}
        tag = typ.branches.tag_member if typ.branches else None
        got = dict(v)
        if typ.branches is not None and tag is not None and isinstance(got.get(tag.name), str):
            tv = got[tag.name]
            self.add("tag", typ.name, tv)
            for b in typ.branches.variants:
                if b.name == tv:
                    members.update({m.name: m for m in b.union_type.members})
        for name, m in members.items():
            if name not in got:
                self.add("missing-required" if not m.optional else "optional-absent")
            elif m.optional:
                self.add("optional-present")
                if got[name] is None and _json_of(m.type) != "null":
                    self.add("null-not-allowed")
        for k, x in v:
            if k in members:
                self.walk(members[k].type, x, depth + 1)
            else:
                self.add("unknown-key")


def _json_of(t: Type) -> str:
    jt = t.json_type()
    return {"int": "number", "value": "any"}.get(jt, jt)


@pytest.fixture(scope="module")
def seen(schema: Schema, requests: list[Request]) -> Seen:
    s = Seen()
    for r in requests:
        s.add("kind", r.kind)
        if r.kind != "command":
            continue
        assert isinstance(r.tree, Obj)
        env = dict(r.tree)
        name = env.get("execute")
        cmd = schema.lookup_entity(name) if isinstance(name, str) else None
        if not isinstance(cmd, Command):
            s.add("bad-execute")
            continue
        s.add("command", cmd.name)
        args = env.get("arguments")
        if cmd.arg_type is not None and isinstance(args, Obj):
            s.walk(cmd.arg_type, args, 0)
    return s


def test_same_seed_same_requests(schema: Schema, requests: list[Request]) -> None:
    again = Generator(schema, 7)
    assert [again.request(i).text for i in (0, 1, 17, N - 1)] == [
        requests[i].text for i in (0, 1, 17, N - 1)]
    # Request i does not depend on the ones before it.
    assert [r.text for r in again.requests(50, start=100)] == [
        r.text for r in requests[100:150]]
    other = [r.text for r in Generator(schema, 8).requests(200)]
    assert other != [r.text for r in requests[:200]]


def test_every_command_is_sent(schema: Schema, seen: Seen) -> None:
    names = {c.name for c in schema.commands()} - {"quit"}
    assert {k[1] for k in seen.things if k[0] == "command"} == names


def test_every_enum_value_and_invalid_ones(schema: Schema, seen: Seen) -> None:
    for enum in ("TcColour", "TcArmMode", "TcKind"):
        typ = schema.lookup_type(enum)
        assert isinstance(typ, EnumType)
        values = {k[2] for k in seen.things if k[:2] == ("enum", enum)}
        # Every value, those of other targets too (TcColour.never exists on no target).
        assert set(typ.member_names()) <= values, enum
    assert ("enum", "TcColour", "<invalid>") in seen.things


def test_every_union_tag_and_alternate_json_type(schema: Schema, seen: Seen) -> None:
    kind = schema.lookup_type("TcKind")
    assert isinstance(kind, EnumType)
    tags = {k[2] for k in seen.things if k[:2] == ("tag", "TcUnion")}
    # Every value of the tag's enum (those without a branch too), and invalid ones.
    assert set(kind.member_names()) | {"nonesuch"} <= tags
    for alt in ("TcAlt", "TcAltEnum"):
        kinds = {k[2] for k in seen.things if k[:2] == ("alt-json", alt)}
        assert kinds == {"object", "array", "boolean", "number", "null", "string"}, alt


def test_integers_at_and_beyond_bounds(seen: Seen) -> None:
    widths = {k[1] for k in seen.things if k[0] == "builtin-json" and k[1] in BOUNDS}
    assert widths, "the schema has integer members"
    for w in widths:
        assert ("int-at", w, "min") in seen.things and ("int-at", w, "max") in seen.things, w
        assert ("int-beyond", w) in seen.things, w


def test_shapes_and_errors(seen: Seen) -> None:
    for key in [("list-len", 0), ("list-len", 1), ("list-len", 2), ("optional-absent",),
                ("optional-present",), ("null-not-allowed",), ("duplicate-key",),
                ("unknown-key",), ("missing-required",), ("long-string",), ("float",),
                ("bad-execute",), ("kind", "event"), ("kind", "raw")]:
        assert seen.things[key] > 0, key
    assert any(k[0] == "wrong-type" and k[2] >= 1 for k in seen.things), "nested wrong types"
    assert max(k[1] for k in seen.things if k[0] == "depth") >= 3


def test_raw_mutations(requests: list[Request]) -> None:
    raw = [r.text for r in requests if r.kind == "raw"]
    assert len(raw) > N // 20
    # Each ends with the byte that resets QMP's lexer.
    assert all(t.endswith(RESET) and wire(t).endswith(b"\xff") for t in raw)
    bodies = [t[:-1] for t in raw]

    def share(pred: Any) -> int:
        return sum(1 for t in bodies if pred(t))

    assert share(lambda t: any("\udc80" <= c <= "\udcff" for c in t))      # invalid UTF-8
    assert share(lambda t: "\\ud800" in t or "\\udfff" in t)                 # lone surrogates
    assert share(lambda t: "[" * 1025 in t or '{"a":' * 1025 in t)          # past 1024 levels
    assert share(lambda t: "1e999" in t or "1" * 310 in t)                  # huge numbers
    unbalanced = share(lambda t: t.count("{") != t.count("}"))
    assert unbalanced > len(raw) // 20


def test_valid_requests_are_json(requests: list[Request]) -> None:
    for r in requests:
        if r.kind != "raw":
            value = json.loads(r.text)
            assert isinstance(value, dict) and r.text.startswith("{")


def test_reproducer_lines_replay_the_same_bytes(requests: list[Request], tmp_path: Path) -> None:
    """A request written as a corpus line is read back by the QMP test runner as the very
    bytes the fuzzer sent."""
    sample = [r for r in requests if r.kind == "raw"][:200] + requests[:200]
    f = tmp_path / "replay.jsonl"
    f.write_text("".join(corpus_line(r.text) + "\n" for r in sample), encoding="utf-8")
    back = load_file(f)
    assert [wire(b.text) for b in back] == [wire(r.text) for r in sample]
