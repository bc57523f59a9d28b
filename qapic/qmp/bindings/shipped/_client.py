"""The client behind the generated ``QMP`` and ``SyncQMP``: ``qemu.qmp`` underneath, the
package's tables for types, the server's own ``query-qmp-schema`` for what it has.

On connect the client asks ``query-version`` (which of the package's releases to use),
``query-target`` and ``query-qmp-schema``.  Before a command is sent, its arguments are encoded
and checked against the release's schema, then against the server's schema: a command, member,
enum value or branch the server lacks raises :class:`NotAvailable` and nothing is sent.  So the
client is right on every build, whatever conditions the package was generated with.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Coroutine, Mapping
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar

from qemu.qmp import EventListener, QMPClient

from ._codec import Codec, _json_kind
from ._registry import RELEASES
from ._runtime import (
    JSON,
    CommandNotAvailable,
    EncodeError,
    Event,
    MemberNotAvailable,
    _warn_features,
    describe_where,
)

E = TypeVar("E", bound=Event)
T = TypeVar("T")
Address = str | tuple[str, int] | socket.socket


class ServerSchema:
    """What the server has, from its ``query-qmp-schema`` (type names may be masked)."""

    def __init__(self, info: list[dict[str, Any]]) -> None:
        self.entries = {e["name"]: e for e in info}
        self.commands = {e["name"] for e in info if e["meta-type"] == "command"}
        self.events = {e["name"] for e in info if e["meta-type"] == "event"}

    def json_kinds(self, name: str) -> set[str]:
        """The JSON kinds a value of server type *name* takes."""
        entry = self.entries[name]
        meta = entry["meta-type"]
        if meta == "builtin":
            kind = entry["json-type"]
            if kind == "value":
                return {"null", "boolean", "number", "string", "array", "object"}
            return {"int": "number", "boolean": "boolean"}.get(kind, {kind})  # type: ignore
        if meta == "enum":
            return {"string"}
        if meta == "alternate":
            return set().union(*(self.json_kinds(m["type"]) for m in entry["members"]))
        return {meta}


class AsyncClient:
    """The part of ``QMP`` that is not one method per command."""

    def __init__(self, name: str | None = None) -> None:
        self.qmp = QMPClient(name)
        """The ``qemu.qmp`` client underneath (untyped ``execute``, events, ...)."""
        self.release: str | None = None
        """The package's release used for this server (from ``query-version``)."""
        self.version: tuple[int, int, int] | None = None
        self.target: str | None = None
        self.server: ServerSchema | None = None
        self._codec: Codec | None = None

    async def connect(self, address: Address, *, target: str | None = None) -> None:
        """Connect to QEMU's QMP socket *address* (a path, ``(host, port)`` or a connected
        socket) and learn what it has; *target* overrides what ``query-target`` says (a QMP
        test harness whose ``query-target`` is a stand-in)."""
        await self.qmp.connect(address)
        try:
            version: Any = await self.qmp.execute("query-version")
            qemu = version["qemu"]
            self.version = (qemu["major"], qemu["minor"], qemu["micro"])
            self.release = RELEASES.for_version(qemu["major"], qemu["minor"])
            self._codec = RELEASES.codec(self.release)
            if target is None:
                found: Any = await self.qmp.execute("query-target")
                target = str(found["arch"])
            self.target = target
            schema: Any = await self.qmp.execute("query-qmp-schema")
            self.server = ServerSchema(schema)
        except BaseException:
            await self.qmp.disconnect()
            raise

    async def disconnect(self) -> None:
        await self.qmp.disconnect()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.disconnect()

    def _ready(self) -> tuple[Codec, ServerSchema]:
        if self._codec is None or self.server is None:
            raise RuntimeError("not connected: await connect(address) first")
        return self._codec, self.server

    def _here(self) -> str:
        v = self.version or (0, 0, 0)
        return f"this QEMU ({self.target}, QEMU {v[0]}.{v[1]}.{v[2]})"

    def _not_available(self, command: str) -> CommandNotAvailable:
        where = RELEASES.where(command)
        return CommandNotAvailable(
            f"{command} is not available on {self._here()}; it exists in "
            f"{describe_where(where)}", command, where)

    def _command(self, command: str) -> tuple[Codec, ServerSchema, tuple[Any, ...]]:
        """What a call of *command* needs; CommandNotAvailable when the server lacks it."""
        codec, server = self._ready()
        desc = codec.release.commands.get(command)
        if desc is None or command not in server.commands:
            raise self._not_available(command)
        if desc[4]:
            _warn_features(desc[4], f"command {command}")
        return codec, server, desc

    async def _call(self, command: str, values: Mapping[str, object] | None,
                    extra: Mapping[str, object] | None = None) -> Any:
        codec, server, desc = self._command(command)
        if values is None and desc[0] is None:      # a command without arguments
            return await self._send(codec, server, command, desc, None)
        args = codec.encode_members(command, desc[0], values or {}, extra)
        return await self._send(codec, server, command, desc,
                                None if desc[0] is None and not args else args)

    async def _call_boxed(self, command: str, value: object) -> Any:
        codec, server, desc = self._command(command)
        args = codec.encode(command, desc[0], value, "arguments")
        assert isinstance(args, dict)
        return await self._send(codec, server, command, desc, args)

    async def _send(self, codec: Codec, server: ServerSchema, command: str,
                    desc: tuple[Any, ...], args: dict[str, JSON] | None) -> Any:
        if args is not None:
            theirs = server.entries[command]["arg-type"]
            self._check(codec, server, command, desc[0], theirs, args, "arguments")
        reply = await self.qmp.execute(command, args)
        return codec.decode(command, desc[1], reply, "return")  # type: ignore[arg-type]

    def _check(self, codec: Codec, server: ServerSchema, what: str, ours: str, theirs: str,
               value: JSON, path: str) -> None:
        """*value* (already checked against the package's schema) uses nothing the server's
        schema lacks."""
        desc = codec.types[ours]
        entry = server.entries.get(theirs)
        if entry is None:
            return
        meta = entry["meta-type"]
        if desc[0] == "enum" and meta == "enum":
            if value not in entry["values"]:
                self._lacks(what, path, f"value '{value}' of {ours}", ours, str(value))
        elif desc[0] == "array" and meta == "array" and isinstance(value, list):
            for i, v in enumerate(value):
                self._check(codec, server, what, desc[1], entry["element-type"], v,
                            f"{path}[{i}]")
        elif desc[0] == "object" and meta == "object" and isinstance(value, dict):
            self._check_object(codec, server, what, ours, entry, value, path)
        elif desc[0] == "alternate" and meta == "alternate":
            kind = _json_kind(value)
            mine = next((a for a, _c in desc[1] if codec._takes(a, kind)), None)
            theirs_alt = next((m["type"] for m in entry["members"]
                               if kind in server.json_kinds(m["type"])), None)
            if mine is not None and theirs_alt is not None:
                self._check(codec, server, what, mine, theirs_alt, value, path)

    def _check_object(self, codec: Codec, server: ServerSchema, what: str, ours: str,
                      entry: dict[str, Any], value: dict[str, JSON], path: str) -> None:
        desc = codec.types[ours]
        mine = {m[0]: m[2] for m in desc[1]}
        members = list(entry["members"])
        while desc[2] is not None and desc[2] in value:     # a union's branch, nested ones
            tag = desc[2]
            btyp = next((b[1] for b in desc[3] if b[0] == value[tag]), None)
            case = next((v["type"] for v in entry.get("variants", ())
                         if v["case"] == value[tag]), None)
            if btyp is None or case is None:
                break
            desc = codec.types[btyp]
            mine.update((m[0], m[2]) for m in desc[1])
            entry = server.entries[case]
            members += entry["members"]
        theirs = {m["name"]: m["type"] for m in members}
        for m in members:
            if "default" not in m and m["name"] not in value:
                raise EncodeError(what, path, f"member '{m['name']}' is missing")
        for key, v in value.items():
            where = f"{path}.{key}"
            if key not in theirs:
                self._lacks(what, where, f"member '{key}'", ours, key)
            if key in mine:
                self._check(codec, server, what, mine[key], theirs[key], v, where)

    def _lacks(self, what: str, path: str, thing: str, owner: str, part: str) -> None:
        where = RELEASES.where(owner, part)
        raise MemberNotAvailable(
            f"{what}: {path}: {thing} is not available on {self._here()}; it exists in "
            f"{describe_where(where)}", f"{owner}.{part}", where)

    def listen(self, *kinds: type[E]) -> EventStream[E]:
        """The events of classes *kinds* (every event when none), from now on, typed::

            with qmp.listen(StopEvent) as stops:
                await qmp.stop()
                event = await stops.get()
        """
        codec, _server = self._ready()
        return EventStream(self, codec, kinds)


class EventStream(Generic[E]):
    """Events as they arrive, decoded into their classes (see :meth:`AsyncClient.listen`)."""

    def __init__(self, client: AsyncClient, codec: Codec, kinds: tuple[type[E], ...]) -> None:
        self._client = client
        self._codec = codec
        names = [k._event_name for k in kinds] or None
        self._listener = EventListener(names)
        client.qmp.register_listener(self._listener)

    def close(self) -> None:
        """Stop listening."""
        if self._listener in self._client.qmp._listeners:
            self._client.qmp.remove_listener(self._listener)

    def __enter__(self) -> EventStream[E]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    async def get(self) -> E:
        """The next event."""
        msg = await self._listener.get()
        return self.decode(dict(msg))

    def decode(self, msg: Mapping[str, Any]) -> E:
        name = msg["event"]
        desc = self._codec.release.events.get(name)
        arg_type = desc[0] if desc is not None else None
        event: E = self._codec.decode(name, arg_type, msg.get("data", {}), "data", event=name)
        stamp = msg.get("timestamp")
        event.timestamp = (stamp["seconds"], stamp["microseconds"]) if stamp else None
        return event

    def __aiter__(self) -> AsyncIterator[E]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[E]:
        while True:
            yield await self.get()


A = TypeVar("A", bound=AsyncClient)


class SyncClient(Generic[A]):
    """The asyncio client driven by an event loop of its own, for scripts."""

    _client_class: ClassVar[type[Any]]

    def __init__(self, name: str | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._aio: A = self._client_class(name)

    @property
    def aio(self) -> A:
        """The asyncio client underneath."""
        return self._aio

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    def connect(self, address: Address, *, target: str | None = None) -> None:
        self._run(self._aio.connect(address, target=target))

    def close(self) -> None:
        """Disconnect and close the event loop."""
        if not self._loop.is_closed():
            self._run(self._aio.disconnect())
            self._loop.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def release(self) -> str | None:
        return self._aio.release

    @property
    def target(self) -> str | None:
        return self._aio.target

    def listen(self, *kinds: type[E]) -> SyncEventStream[E]:
        return SyncEventStream(self, self._aio.listen(*kinds))


class SyncEventStream(Generic[E]):
    def __init__(self, client: SyncClient[Any], stream: EventStream[E]) -> None:
        self._client = client
        self._stream = stream

    def get(self, timeout: float | None = None) -> E:
        """The next event; TimeoutError after *timeout* seconds."""
        return self._client._run(asyncio.wait_for(self._stream.get(), timeout))

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> SyncEventStream[E]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
