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
