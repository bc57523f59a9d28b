"""QMP's JSON by wire names, for tools that handle it (logs, proxies, tests): encode Python
values, decode a command's arguments or reply and an event, each checked against the schema.

A value that breaks the schema raises :class:`DecodeError` or :class:`EncodeError`, whose
message and ``path`` say where (``blockdev-add: arguments.driver: 'qcow3' is not a
BlockdevDriver``).  Members the schema does not know are kept in replies and events (a newer QEMU
adds members; see ``unknown_members``) and refused in requests.  *release* picks one of the
package's releases (default: the newest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._registry import RELEASES
from ._runtime import JSON, DecodeError, EncodeError, Event, Struct

__all__ = ["DecodeError", "EncodeError", "decode_arguments", "decode_event",
           "decode_return", "encode", "encode_arguments", "encode_return"]


def _command(command: str, release: str | None) -> tuple[Any, ...]:
    found = RELEASES.get(release).commands.get(command)
    if found is None:
        raise KeyError(f"QEMU {RELEASES.get(release).key} has no command '{command}'")
    return found


def encode(value: object, typ: str | None = None, *, release: str | None = None) -> JSON:
    """The JSON of *value*: a generated class's instance (its own type, or an event's data),
    a list of them, or any value with its QAPI type name *typ* (``"BlockdevDriver"``)."""
    codec = RELEASES.codec(release)
    if typ is None:
        if isinstance(value, Event):
            return codec.encode_event(type(value)._event_name, value)
        if isinstance(value, list | tuple):
            return [encode(v, release=release) for v in value]
        if not isinstance(value, Struct):
            raise EncodeError("encode", "", f"{value!r} needs its QAPI type name (typ=...)")
        typ = type(value)._qapi_name
    return codec.encode(typ, typ, value, "")


def encode_arguments(command: str, arguments: Mapping[str, object] | Struct | None = None, *,
                     release: str | None = None) -> dict[str, JSON]:
    """The ``arguments`` of *command*: its arguments object, or its members by Python name."""
    codec = RELEASES.codec(release)
    arg_type = _command(command, release)[0]
    if isinstance(arguments, Struct):
        out = codec.encode(command, arg_type, arguments, "arguments")
        assert isinstance(out, dict)
        return out
    return codec.encode_members(command, arg_type, arguments or {})


def encode_return(command: str, value: object, *, release: str | None = None) -> JSON:
    """The JSON of *command*'s ``return`` value *value* (``{}`` for a command returning
    nothing)."""
    codec = RELEASES.codec(release)
    ret_type = _command(command, release)[1]
    return {} if ret_type is None else codec.encode(command, ret_type, value, "return")


def decode_arguments(command: str, json: JSON, *, release: str | None = None) -> Any:
    """*command*'s ``arguments`` as its arguments class (None when it takes none); members the
    schema does not know are refused."""
    codec = RELEASES.codec(release)
    return codec.decode(command, _command(command, release)[0], json, "arguments", strict=True)


def decode_return(command: str, json: JSON, *, release: str | None = None) -> Any:
    """*command*'s ``return`` value in its Python type."""
    codec = RELEASES.codec(release)
    return codec.decode(command, _command(command, release)[1], json, "return")


def decode_event(event: str, json: JSON, *, timestamp: tuple[int, int] | None = None,
                 release: str | None = None) -> Event:
    """Event *event*'s ``data`` as its event class."""
    codec = RELEASES.codec(release)
    desc = codec.release.events.get(event)
    if desc is None:
        raise DecodeError(event, "", f"QEMU {codec.release.key} has no event '{event}'")
    value: Event = codec.decode(event, desc[0], json, "data", event=event)
    value.timestamp = timestamp
    return value
