"""A typed client talking to a QMP harness through a byte pump that records both directions,
and Python values built from the fuzz plan's JSON (the way a user builds them: constructors).

The pump sits between the client's socket and the harness's stdin/stdout, so what was sent is
what the harness read: a command refused locally must leave no byte on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import keyword
import re
import socket
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    EntityVisitor,
    EnumType,
    ObjectType,
    Type,
)
from qapic.proof.fuzz.request import Obj

_DECODER = json.JSONDecoder()
BASE_ARGS = ("-machine", "none", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio")


class Pump:
    """The bytes each way between a client socket and a harness process."""

    def __init__(self) -> None:
        self.sent = bytearray()         # client -> harness
        self.received = bytearray()     # harness -> client
        self._sent: list[Any] = [0]         # [characters parsed, messages...]
        self._received: list[Any] = [0]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, binary: Path, env: Mapping[str, str] | None = None) -> socket.socket:
        self.proc = await asyncio.create_subprocess_exec(
            str(binary), *BASE_ARGS, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, env=dict(env) if env else None)
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=theirs)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._tasks = [
            asyncio.create_task(self._copy(reader, self.proc.stdin, self.sent)),
            asyncio.create_task(self._copy(self.proc.stdout, writer, self.received)),
        ]
        self._writer = writer
        return ours

    @staticmethod
    async def _copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    log: bytearray) -> None:
        while data := await src.read(65536):
            log += data
            dst.write(data)
            await dst.drain()
        with contextlib.suppress(OSError):
            dst.close()

    async def settle(self) -> None:
        """Let bytes in flight through (the pump has no backlog after this)."""
        for _ in range(3):
            await asyncio.sleep(0)

    def sent_messages(self) -> list[dict[str, Any]]:
        """Every message sent so far (QMP messages follow each other, with or without
        whitespace between them)."""
        return self._parse(self.sent, self._sent)

    def received_messages(self) -> list[dict[str, Any]]:
        return self._parse(self.received, self._received)

    @staticmethod
    def _parse(data: bytearray, done: list[Any]) -> list[dict[str, Any]]:
        text = data.decode("utf-8", "surrogateescape")
        pos = done[0]
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                break
            try:
                value, end = _DECODER.raw_decode(text, pos)
            except json.JSONDecodeError:
                break       # a message still arriving
            done.append(value)
            pos = end
        done[0] = pos
        return done[1:]

    async def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()
        for task in self._tasks:
            task.cancel()
        self._writer.close()


@contextlib.asynccontextmanager
async def connected(client_class: type[Any], binary: Path, target: str) -> AsyncIterator[
        tuple[Any, Pump]]:
    pump = Pump()
    sock = await pump.start(binary)
    client = client_class()
    await client.connect(sock, target=target)
    try:
        yield client, pump
    finally:
        await client.disconnect()
        await pump.stop()


# --- Python values from JSON, by the schema --------------------------------------------------

#: Builtins the generated annotations use; a member named so takes a trailing underscore.
_HIDDEN = {"str", "int", "float", "bool", "list"}


def python_name(wire: str) -> str:
    """The documented rule: characters other than letters, digits and ``_`` become ``_``, a
    leading ``__`` one ``_``, a keyword or a builtin of the annotations takes a trailing
    ``_``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", wire)
    if wire.startswith("__"):
        name = name[1:]
    return name + "_" if keyword.iskeyword(name) or name in _HIDDEN else name


class Unbuildable(Exception):
    """The JSON names something no constructor takes (an unknown member, a branch that is no
    value of the tag): the user could not have written it in Python."""


def _kind(node: object) -> str:
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "bool"
    if isinstance(node, int | float):
        return "number"
    if isinstance(node, str):
        return "string"
    if isinstance(node, list):
        return "array"
    return "object" if isinstance(node, Obj) else "other"


def plain(node: object) -> object:
    """Plain JSON values (an ``Obj`` as a dict)."""
    if isinstance(node, Obj):
        return {k: plain(v) for k, v in node}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


class Builder(EntityVisitor[Any]):
    """The Python value a user writes for JSON *node* of a type: generated classes by their
    constructors (keyword arguments by Python name), lists, strings, numbers, ``NULL``.
    A value of the wrong JSON kind is passed through as it is (the typed layer must refuse it).
    """

    def __init__(self, pkg: Any, classes: Mapping[str, type]) -> None:
        self.pkg = pkg
        self.classes = classes
        self.node: object = None

    def value(self, typ: Type, node: object) -> Any:
        saved, self.node = self.node, node
        try:
            return typ.accept(self)
        finally:
            self.node = saved

    def visit_builtin(self, typ: BuiltinType) -> Any:
        if typ.name in ("null", "any") and self.node is None:
            return self.pkg.NULL
        return plain(self.node) if typ.name == "any" else self.node

    def visit_enum(self, typ: EnumType) -> Any:
        return self.node

    def visit_array(self, typ: ArrayType) -> Any:
        if not isinstance(self.node, list):
            return plain(self.node)
        return [self.value(typ.element_type, v) for v in self.node]

    def visit_object(self, typ: ObjectType) -> Any:
        node = self.node
        if not isinstance(node, Obj):
            return plain(node)
        return self.construct(typ, node)

    def construct(self, typ: ObjectType, node: Obj) -> Any:
        members = {m.name: m for m in typ.members}
        given = dict(iter(node))
        key = typ.name
        tags = set()
        union = typ
        while union.branches is not None:       # a branch may be a union again
            tag = union.branches.tag_member.name
            branch = next((v for v in union.branches.variants if v.name == given.get(tag)),
                          None)
            if branch is None:
                raise Unbuildable(f"{tag}={given.get(tag)!r}")
            tags.add(tag)
            union = branch.union_type
            members.update((m.name, m) for m in union.members)
            key = f"{key}/{branch.name}"
        kwargs = {}
        for name, v in node:
            if name in tags:
                continue
            member = members.get(name)
            if member is None:
                raise Unbuildable(name)
            kwargs[python_name(name)] = self.value(member.type, v)
        try:
            return self.classes[key](**kwargs)
        except TypeError as err:     # a required member missing from the JSON
            raise Unbuildable(str(err)) from None

    def visit_alternate(self, typ: AlternateType) -> Any:
        kind = _kind(self.node)
        for v in typ.branches.variants:
            if kind in _takes(v.type):
                return self.value(v.type, self.node)
        return plain(self.node)


def _takes(typ: Type) -> set[str]:
    json_type = typ.json_type()
    return {"string": {"string"}, "int": {"number"}, "number": {"number"},
            "boolean": {"bool"}, "null": {"null"}, "object": {"object"},
            "array": {"array"}, "value": {"null", "bool", "number", "string", "array",
                                          "object"}}.get(json_type, set())
