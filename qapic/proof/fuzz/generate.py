"""QMP requests generated from a schema's model, deterministic per seed.

Request *i* of seed *s* depends only on the schema and ``(s, i)`` (its own ``random.Random``),
so a run can be cut, resumed or split without changing what is sent.

What the generator walks (every command of the schema, whatever its condition: values that exist
on other targets only are sent too):

- arguments built from the command's argument type: every kind of value (strings short, Unicode
  and very long; integers at and beyond each width's bounds; floats; booleans; ``null``), every
  enum value and invalid strings, every union tag and its branch, every alternate branch and
  every JSON type fed to it, optional members present and absent, lists of 0, 1 and many;
- errors planted at random depths: a wrong JSON type, ``null``, an out-of-range integer, an
  unknown enum value, a required member missing, an unknown or a duplicate key;
- the envelope varied: ``id`` of any JSON type, no or non-object ``arguments``, unknown keys,
  ``exec-oob``, unknown command names;
- events, through the harness's test doubles (``human-monitor-command`` with
  ``harness-emit NAME``, every event of the schema);
- raw-text mutations of a generated request: truncated, unbalanced, invalid UTF-8 (overlong,
  encoded surrogates, stray bytes), lone surrogate escapes, huge numbers, deep nesting.

A request's text is a ``str``; bytes that are not UTF-8 are carried as Python's
``surrogateescape`` characters (U+DC80..U+DCFF stand for the bytes 0x80..0xFF, see
:func:`.request.wire`).  A raw mutation ends with the byte 0xFF, which QMP's JSON lexer takes
as "reset to a known-good state" (QEMU's ``docs/interop/qmp-spec.rst``): what follows it is
parsed afresh whatever the mutation left open.
"""

from __future__ import annotations

import fnmatch
import json
import random
from collections.abc import Iterator, Sequence

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EntityVisitor,
    EnumType,
    Event,
    ObjectType,
    Schema,
    Type,
)
from qapic.proof.fuzz.plan import Plan
from qapic.proof.fuzz.request import RESET, Node, Obj, Raw, Request, render

#: Commands never sent: they end the process.
NEVER_SENT = frozenset({"quit"})
#: Below this depth values stay small (optional members absent, lists empty).
MAX_DEPTH = 6
INT_BOUNDS = {
    "int": (-(2**63), 2**63 - 1), "int64": (-(2**63), 2**63 - 1),
    "int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1), "size": (0, 2**64 - 1),
}


# --- values -----------------------------------------------------------------------------------

_STRINGS = ("", "a", "x" * 7, "0", "-1", "1.5", "null", "true", " ", "é", "€uro", "\U0001f600",
            "tab\there", "new\nline", "quote\"back\\slash", "\u00ff", "\u2028", "/", "{}")
_ANY_LEAVES: tuple[Node, ...] = (None, True, False, 0, -1, 1.5, "", "s", [], Obj())


def _nodes(*values: Node) -> list[Node]:
    return list(values)


def _wrong_pool(json_type: str) -> list[Node]:
    """Values of every JSON type but *json_type* (made afresh: a caller may change one)."""
    pool: list[Node] = [None, True, 0, -7, 2.5, "wrong", [], Obj(), [1, "a"], Obj([("k", 1)])]
    keep = {"string": (str,), "int": (int,), "number": (int, float), "boolean": (bool,),
            "null": (type(None),), "array": (list,), "object": (Obj,)}.get(json_type, ())
    return [v for v in pool if not (isinstance(v, keep) and
                                    not (isinstance(v, bool) and json_type in ("int", "number")))]


class _Wrong(EntityVisitor[Node]):
    """A value a type does not accept: mostly a wrong JSON type; for an enum, an integer type
    or a struct, often one of the right JSON type that is still wrong."""

    def __init__(self, values: _Values) -> None:
        self.values = values
        self.rng = values.rng

    def visit_type(self, typ: Type) -> Node:
        pool = _wrong_pool(typ.json_type())
        return self.rng.choice(pool) if pool else None

    def visit_enum(self, typ: EnumType) -> Node:
        r = self.rng
        if r.random() < 0.6:
            return r.choice(["", "nonesuch", (typ.members[0].name.upper()
                                              if typ.members else "X"), " " + (
                typ.members[0].name if typ.members else ""), "\u00e9"])
        return self.visit_type(typ)

    def visit_builtin(self, typ: BuiltinType) -> Node:
        r = self.rng
        if typ.name in INT_BOUNDS and r.random() < 0.6:
            lo, hi = INT_BOUNDS[typ.name]
            return r.choice(_nodes(lo - 1, hi + 1, hi * 2 + 1, -(2**64), 2**64, 2**70,
                             Raw("1e999"), Raw("-1e999"), Raw("1" * 40), Raw("-0")))
        return self.visit_type(typ)

    def visit_object(self, typ: ObjectType) -> Node:
        if self.rng.random() < 0.5:
            return self.values.object(typ, 0, broken=True)
        return self.visit_type(typ)


class _Right(EntityVisitor[Node]):
    """A value of a type at one depth (:meth:`_Values.value` keeps one per depth)."""

    def __init__(self, values: _Values, depth: int) -> None:
        self.values = values
        self.depth = depth

    def visit_builtin(self, typ: BuiltinType) -> Node:
        return self.values.builtin(typ, self.depth)

    def visit_enum(self, typ: EnumType) -> Node:
        v = self.values
        if not typ.members or v.chance(0.03):
            return v.rng.choice(["nonesuch", ""])
        return v.rng.choice(typ.members).name

    def visit_array(self, typ: ArrayType) -> Node:
        return self.values.array(typ, self.depth)

    def visit_alternate(self, typ: AlternateType) -> Node:
        return self.values.alternate(typ, self.depth)

    def visit_object(self, typ: ObjectType) -> Node:
        return self.values.object(typ, self.depth)


class _Values:
    def __init__(self, rng: random.Random, err: float) -> None:
        self.rng = rng
        self.err = err
        self._wrong = _Wrong(self)
        self._right: dict[int, _Right] = {}

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def wrong(self, typ: Type) -> Node:
        """A value *typ* does not accept (see :class:`_Wrong`)."""
        return typ.accept(self._wrong)

    def value(self, typ: Type, depth: int) -> Node:
        """A value of *typ* at *depth*, now and then a wrong one (*err*)."""
        if self.err and self.chance(self.err):
            return self.wrong(typ)
        right = self._right.get(depth)
        if right is None:
            right = self._right[depth] = _Right(self, depth)
        return typ.accept(right)

    def builtin(self, typ: BuiltinType, depth: int) -> Node:
        r = self.rng
        name = typ.name
        if name in INT_BOUNDS:
            lo, hi = INT_BOUNDS[name]
            x = r.random()
            if x < 0.45:
                return r.choice([lo, hi, 0, 1, lo + 1, hi - 1, -1 if lo < 0 else 2])
            if x < 0.9:
                return r.randint(lo, hi)
            return r.choice(_nodes(float(r.randint(0, 100)), 1.0, Raw("1.0"), Raw("1e2"),
                                   Raw(str(hi)), Raw(f"{lo}")))
        jt = typ.json_type()
        if jt == "string":
            x = r.random()
            if x < 0.7:
                return r.choice(_STRINGS)
            if x < 0.97:
                return "".join(r.choice("abcdefgh-_.0129 \u00e9\u4e2d\U0001f600")
                               for _ in range(r.randint(1, 40)))
            return r.choice("ab\u00e9") * r.choice([1000, 4096, 65536])
        if jt == "number":
            return r.choice(_nodes(0.0, -0.0, 1.5, -2.25, 1e308, -1e308, 5e-324,
                                   2.2250738585072014e-308, 0, 1, -1, 2**53 + 1, 2**63, 2**64,
                                   -(2**63) - 1, 3.141592653589793,
                                   Raw("1e999"), Raw("-1e999"), Raw("1E+2"), Raw("123456789" * 40),
                                   r.uniform(-1e6, 1e6)))
        if jt == "boolean":
            return r.random() < 0.5
        if jt == "null":
            return None
        assert jt == "value", jt   # 'any'
        return self.any(depth)

    def any(self, depth: int) -> Node:
        r = self.rng
        if depth >= MAX_DEPTH or r.random() < 0.5:
            return r.choice(_ANY_LEAVES)
        if r.random() < 0.5:
            return [self.any(depth + 1) for _ in range(r.randint(0, 3))]
        return Obj((r.choice(["a", "b", "type", "id", "x-y"]), self.any(depth + 1))
                   for _ in range(r.randint(0, 3)))

    def array(self, typ: ArrayType, depth: int) -> Node:
        r = self.rng
        if depth >= MAX_DEPTH:
            return []
        n = r.choice([0, 1, 1, 2, 3, r.randint(4, 12)])
        return [self.value(typ.element_type, depth + 1) for _ in range(n)]

    def alternate(self, typ: AlternateType, depth: int) -> Node:
        r = self.rng
        if r.random() < 0.15:
            return r.choice(_nodes(None, True, 1, -1, 2.5, "s", [], Obj(), [1], Obj([("x", 1)])))
        branches = typ.branches.variants
        if depth >= MAX_DEPTH:
            # A scalar branch ends recursion.
            scalar = [b for b in branches if b.type.json_type() not in ("object", "array")]
            branches = scalar or branches
        return self.value(r.choice(branches).type, depth + 1)

    def object(self, typ: ObjectType, depth: int, broken: bool = False) -> Node:
        r = self.rng
        out = Obj()
        tag = typ.branches.tag_member if typ.branches is not None else None
        optional_p = 0.0 if depth >= MAX_DEPTH else r.choice([0.0, 0.3, 0.7, 1.0])
        tag_value: str | None = None
        for m in typ.members:
            if m is tag:
                assert typ.branches is not None
                members = typ.branches.tag_type.members
                if members and not (self.err and self.chance(self.err)):
                    tag_value = r.choice(members).name
                    out.items.append((m.name, tag_value))
                else:
                    out.items.append((m.name, self.wrong(m.type)))
                continue
            if m.optional and not self.chance(optional_p):
                if self.err and self.chance(self.err / 2):
                    out.items.append((m.name, None))      # null where it is not allowed
                continue
            out.items.append((m.name, self.value(m.type, depth + 1)))
        if typ.branches is not None and tag_value is not None:
            branch = next((b for b in typ.branches.variants if b.name == tag_value), None)
            if branch is not None:
                for m in branch.union_type.members:
                    if m.optional and not self.chance(optional_p):
                        continue
                    out.items.append((m.name, self.value(m.type, depth + 1)))
        if r.random() < 0.2:
            r.shuffle(out.items)
        if broken or (self.err and self.chance(self.err)):
            self.break_object(out)
        return out

    def break_object(self, out: Obj) -> None:
        r = self.rng
        x = r.random()
        if out and x < 0.4:
            del out.items[r.randrange(len(out))]                   # a member missing
        elif out and x < 0.6:
            k, v = r.choice(out.items)
            out.items.append((k, r.choice([v, 1, "dup", None])))    # a duplicate key
        else:
            out.items.append((r.choice(["nonesuch", "x-unknown", "", "Type", "a" * 300]),
                        r.choice(_ANY_LEAVES)))                     # an unknown key


# --- requests ---------------------------------------------------------------------------------

def _raw_mutation(rng: random.Random, text: str) -> str:
    r = rng
    n = len(text)
    x = r.randrange(9)
    at = r.randrange(n + 1)
    if x == 0:
        out = text[:at]                                            # truncated
    elif x == 1:
        out = text[:at] + r.choice("{}[],:\"'") + text[at:]      # unbalanced / stray token
    elif x == 2:
        bad = r.choice(["\udcff", "\udcfe", "\udcc0\udc80", "\udced\udca0\udc80",
                        "\udce0\udc80", "\udcf8\udc88\udc80\udc80\udc80", "\udc80", "\x00",
                        "\udcf4\udc90\udc80\udc80", "\x7f", "\x01"])
        out = text[:at] + bad + text[at:]                          # invalid UTF-8 and controls
    elif x == 3:
        q = text.find('"', at)
        at = q + 1 if q >= 0 else at
        out = text[:at] + r.choice(["\\ud800", "\\udfff", "\\ud800\\ud800", "\\u0000",
                                    "\\uDBFF\\uDFFF", "\\x41", "\\u12"]) + text[at:]
    elif x == 4:
        big = r.choice(["1" * r.choice([20, 310, 400, 5000]), "1e999", "-1e999",
                        "18446744073709551616", "-9223372036854775809", "0." + "0" * 400 + "1",
                        "1e-400", "-0", "01", "1.", ".5", "+1", "0x10", "Infinity", "NaN"])
        out = text.replace(":", ":" + big + ",", 1) if r.random() < 0.3 else \
            _replace_number(r, text, big)
    elif x == 5:
        d = r.choice([64, 1000, 1023, 1024, 1025, 5000])
        op, cl = ("[", "]") if r.random() < 0.5 else ('{"a":', "}")
        deep = op * d + "1" + cl * d
        out = text.replace('"arguments":', '"arguments":{"x":' + deep + '},"ignored":', 1) \
            if '"arguments":' in text else text[:-1] + ',"deep":' + deep + "}"
    elif x == 6:
        a, b = sorted((r.randrange(n + 1), r.randrange(n + 1)))
        out = text[:a] + text[b:]                                  # a slice removed
    elif x == 7:
        a, b = sorted((r.randrange(n + 1), r.randrange(n + 1)))
        out = text[:b] + text[a:b] + text[b:]                      # a slice repeated
    else:
        out = text.replace('"', "'", r.randint(1, 6))              # single quotes (QEMU's)
    return out + RESET


def _replace_number(rng: random.Random, text: str, big: str) -> str:
    spots = [i for i, c in enumerate(text) if c.isdigit() and (i == 0 or text[i - 1] in ":[,")]
    if not spots:
        return text[:-1] + ',"n":' + big + "}" if text.endswith("}") else text + big
    i = rng.choice(spots)
    j = i
    while j < len(text) and (text[j].isdigit() or text[j] in ".eE+-"):
        j += 1
    return text[:i] + big + text[j:]


class Generator:
    """Requests for *schema*'s commands (those matching *commands*, fnmatch patterns) and
    events: every other request (the even ones) from the systematic plan of
    :mod:`qapic.proof.fuzz.plan`, in an order of the seed's, round and round; the others random."""

    def __init__(self, schema: Schema, seed: int, commands: Sequence[str] = (),
                 raw_share: float = 0.1, event_share: float = 0.03,
                 systematic: bool = True) -> None:
        self.seed = seed
        self.commands: list[Command] = [
            c for c in schema.commands()
            if c.name not in NEVER_SENT
            and (not commands or any(fnmatch.fnmatchcase(c.name, p) for p in commands))]
        self.events: list[Event] = list(schema.events())
        self.raw_share = raw_share
        self.event_share = event_share if self.events else 0.0
        if not self.commands:
            raise ValueError("no command to send")
        order = random.Random(f"qapic-fuzz-order:{seed}")
        order.shuffle(self.commands)
        self.plan = Plan(self.commands).entries if systematic else []
        order.shuffle(self.plan)

    def request(self, i: int) -> Request:
        if self.plan and i % 2 == 0:
            name, args = self.plan[i // 2 % len(self.plan)]
            return Request.of(i, "command", Obj([("execute", name), ("arguments", args)]))
        rng = random.Random(f"qapic-fuzz:{self.seed}:{i}")
        x = rng.random()
        if x < self.event_share:
            ev = rng.choice(self.events).name
            line = rng.choice([f"harness-emit {ev}", "harness-emit-all", f"harness-emit {ev}x"])
            return Request.of(i, "event", Obj([
                ("execute", "human-monitor-command"),
                ("arguments", Obj([("command-line", line)]))]))
        cmd = self.commands[i % len(self.commands)]
        err = rng.choice([0.0, 0.0, 0.01, 0.03, 0.1])
        tree = self.command_request(rng, cmd, err)
        if x < self.event_share + self.raw_share:
            return Request(i, "raw", _raw_mutation(rng, render(tree)))
        return Request.of(i, "command", tree)

    def command_request(self, rng: random.Random, cmd: Command, err: float) -> Obj:
        vals = _Values(rng, err)
        out = Obj()
        name: Node = cmd.name
        y = rng.random()
        key = "execute"
        if err and y < 0.03:
            name = rng.choice([cmd.name + "x", cmd.name.upper(), "", 1, None])
        elif err and y < 0.05:
            key = "exec-oob"
        out.items.append((key, name))
        if cmd.arg_type is not None and not cmd.arg_type.is_empty():
            args = vals.object(cmd.arg_type, 0)
        else:
            args = Obj()
            if err and rng.random() < 0.2:
                vals.break_object(args)
        z = rng.random()
        if err and z < 0.05:
            out.items.append(("arguments", vals.wrong(cmd.arg_type or _EMPTY)))
        elif args or z < 0.5:
            out.items.append(("arguments", args))
        if rng.random() < 0.15:
            out.items.append(("id", vals.any(MAX_DEPTH - 1)))
        if err and rng.random() < 0.03:
            out.items.append((rng.choice(["control", "extra", "execute", "arguments"]), 1))
        if rng.random() < 0.1:
            rng.shuffle(out.items)
        return out

    def requests(self, count: int, start: int = 0) -> Iterator[Request]:
        for i in range(start, start + count):
            yield self.request(i)


_EMPTY = BuiltinType("any", "value")   # only its JSON type is asked


def corpus_line(text: str) -> str:
    """*text* as a line of the QMP corpus (tests/qmp/corpus/README.md): the compact JSON value
    when the text is one, else a JSON string of the raw text (surrogateescape characters
    escaped as ``\\udcXX``, the bytes they stand for)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    else:
        compact = json.dumps(value, separators=(",", ":"))
        if not isinstance(value, str) and compact == text:
            return compact
    return json.dumps(text)
