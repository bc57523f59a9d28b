"""Requests beyond the QMP corpus that the harness's doubles make meaningful.

- every command of a target's introspection, once without arguments (argument errors, and the
  doubles' return values through the output visitors) and once with generated arguments (every
  member, optional ones too, from the introspected types; enum members get their first value,
  unions their first branch), so that the input visitors see conditional members and values;
- ``harness-emit-all`` through human-monitor-command: every event the target has;
- capabilities with oob, then an exec-oob request.
"""

from __future__ import annotations

import json
from typing import Any

from tests.qmp.runner import Request

JSON = Any

#: Never sent: ends the process.
SKIP = frozenset({"quit"})
MAX_DEPTH = 4


class _Values:
    def __init__(self, schema: list[JSON]) -> None:
        self.types = {e["name"]: e for e in schema}

    def value(self, tname: str, depth: int, optional_too: bool) -> JSON:
        t = self.types[tname]
        meta = t["meta-type"]
        if meta == "builtin":
            return {"string": "x", "int": 1, "number": 1.5, "boolean": True, "null": None,
                    "value": "any"}[t["json-type"]]
        if meta == "enum":
            return t["members"][0]["name"] if t.get("members") else t["values"][0]
        if meta == "array":
            if depth >= MAX_DEPTH:
                return []
            return [self.value(t["element-type"], depth + 1, optional_too)]
        if meta == "alternate":
            # A scalar branch when there is one (a reference by name ends recursion).
            members = t["members"]
            scalar = [m for m in members
                      if self.types[m["type"]]["meta-type"] in ("builtin", "enum")]
            return self.value((scalar or members)[0]["type"], depth + 1, optional_too)
        if meta == "object":
            out: dict[str, JSON] = {}
            for m in t["members"]:
                if "default" in m and (not optional_too or depth >= MAX_DEPTH):
                    continue
                out[m["name"]] = self.value(m["type"], depth + 1, optional_too)
            if "tag" in t and t.get("variants"):
                case = t["variants"][0]
                out[t["tag"]] = case["case"]
                for m in self.types[case["type"]]["members"]:
                    if "default" in m and (not optional_too or depth >= MAX_DEPTH):
                        continue
                    out.setdefault(m["name"], self.value(m["type"], depth + 1, optional_too))
            return out
        raise ValueError(f"unknown meta-type {meta}")


def extra_corpus(schema: list[JSON]) -> dict[str, list[Request]]:
    """Named request lists, from query-qmp-schema's value *schema* of one target."""
    vals = _Values(schema)
    calls: list[str] = []
    for e in schema:
        if e["meta-type"] != "command" or e["name"] in SKIP:
            continue
        calls.append(json.dumps({"execute": e["name"]}))
        for optional_too in (False, True):
            args = vals.value(e["arg-type"], 0, optional_too)
            if args:
                calls.append(json.dumps({"execute": e["name"], "arguments": args}))
    events = [json.dumps({"execute": "human-monitor-command",
                          "arguments": {"command-line": "harness-emit-all"}})]
    return {
        "harness-commands": [Request("harness-commands", i + 1, t) for i, t in enumerate(calls)],
        "harness-events": [Request("harness-events", i + 1, t) for i, t in enumerate(events)],
    }
