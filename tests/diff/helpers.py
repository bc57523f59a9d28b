"""Shared by the ``qapic diff`` tests: the build the values are made for, and writing a value to a
file the way a client captures it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A plausible Linux build with KVM and TCG (the schema tests a few of these).
BUILD = frozenset({"CONFIG_KVM", "CONFIG_TCG", "CONFIG_LINUX", "CONFIG_POSIX", "CONFIG_VNC",
                   "CONFIG_SPICE"})

SYSTEM = "qapi/qapi-schema.json"

Introspect = Callable[..., Any]


def write_value(directory: Path, name: str, value: Any) -> Path:
    path = directory / name
    if not path.exists():
        path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path


def libvirt_replies(value: Any, with_requests: bool = True, arch: str = "x86_64",
                    version: tuple[int, int, int] = (10, 0, 0)) -> str:
    """A ``.replies`` file as libvirt's capabilities probe writes it: each message
    pretty-printed with two-space indentation, messages separated by a blank line, replies
    tagged with libvirt's ids; before the schema and after it, the other probes' replies."""
    exchanges: list[tuple[str, Any]] = [
        ("qmp_capabilities", {}),
        ("query-version", {"qemu": {"micro": version[2], "minor": version[1],
                                    "major": version[0]},
                           "package": "v{}.{}.{}".format(*version)}),
        ("query-target", {"arch": arch}),
        ("query-qmp-schema", value),
        # A list reply of another shape (libvirt asks for these too).
        ("query-commands", [{"name": e["name"]} for e in value if e["meta-type"] == "command"]),
        ("qom-list-types", [{"name": "pc-q35-10.0-machine", "parent": "generic-pc-machine"}]),
    ]
    messages: list[Any] = []
    for n, (command, ret) in enumerate(exchanges, 1):
        ident = f"libvirt-{n}"
        if with_requests:
            messages.append({"execute": command, "id": ident})
        messages.append({"return": ret, "id": ident})
    return "".join(json.dumps(m, indent=2) + "\n\n" for m in messages)


def qmp_capture(value: Any) -> dict[str, Any]:
    """A capture as tests/qmp's runner records one: the greeting and, per request (its text),
    every message QEMU sent before the reply, events included."""
    return {
        "greeting": {"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 10},
                                         "package": ""}, "capabilities": ["oob"]}},
        "exchanges": [
            {"request": '{"execute":"qmp_capabilities"}', "replies": [{"return": {}}]},
            {"request": '{"execute":"query-qmp-schema","id":7}',
             "replies": [{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}},
                         {"return": value, "id": 7}]},
            {"request": '{"execute":"query-name"}', "replies": [{"return": {}}]},
        ],
    }
