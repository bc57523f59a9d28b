"""Helpers for the ``qapic diff`` tests: running it, and rewriting query-qmp-schema values the
way the introspection format allows (see docs/devel/qapi-code-gen.rst, "Client JSON Protocol
introspection"), independently of qapic's code."""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from qapic.cli import command_main

REPO = Path(__file__).resolve().parents[2]

#: What ``qapic diff`` prints when A and B have the same interface (one line).
SAME = "No change: B has the same commands, events and types as A.\n"


def run_json(*argv: str | Path) -> tuple[int, dict[str, Any]]:
    """``qapic diff --json ARGV`` in this process: (exit status, parsed output)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = command_main("diff", ["--json", *map(str, argv)])
    return status, json.loads(out.getvalue())


def run_text(*argv: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = command_main("diff", [*map(str, argv)])
    return status, out.getvalue()


def run_cli(*argv: str | Path,
            module: str = "qapic.qmp.diff") -> subprocess.CompletedProcess[str]:
    """``qapic diff`` as a separate process (``python -m MODULE ARGV``)."""
    return subprocess.run([sys.executable, "-m", module, *map(str, argv)], cwd=REPO,
                          capture_output=True, text=True, check=False)


def names(value: list[dict[str, Any]], meta: str) -> set[str]:
    return {e["name"] for e in value if e["meta-type"] == meta}


def _type_refs(entry: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(dict, key) pairs of *entry* whose value names a type, per the introspection format."""
    refs: list[tuple[dict[str, Any], str]] = []
    meta = entry["meta-type"]
    if meta == "command":
        refs += [(entry, "arg-type"), (entry, "ret-type")]
    elif meta == "event":
        refs.append((entry, "arg-type"))
    elif meta == "array":
        refs.append((entry, "element-type"))
    elif meta in ("object", "alternate"):
        refs += [(m, "type") for m in entry.get("members", [])]
        refs += [(v, "type") for v in entry.get("variants", [])]
    return refs


def permute_masked(value: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """*value* with its masked type numbers permuted (and renumbered beyond the old range), the
    entries, members, enum values, variants and alternate branches shuffled: the same interface,
    as another build may present it."""
    rng = random.Random(seed)
    value = json.loads(json.dumps(value))
    masked = [e["name"] for e in value if e["name"].isdigit()]
    fresh = [str(1000 + i) for i in range(len(masked))]
    rng.shuffle(fresh)
    rename = dict(zip(masked, fresh, strict=True))
    # Array names resemble their element's ("[123]"): rename those too, by the same rule.
    for e in value:
        if e["meta-type"] == "array" and e["name"] not in rename:
            rename[e["name"]] = f"[{rng.randrange(10**6)}-{e['name']}]"
    for e in value:
        e["name"] = rename.get(e["name"], e["name"])
        for holder, key in _type_refs(e):
            holder[key] = rename.get(holder[key], holder[key])
        for key in ("members", "variants", "values"):
            if isinstance(e.get(key), list):
                rng.shuffle(e[key])
    rng.shuffle(value)
    return value


def reachable(value: list[dict[str, Any]]) -> set[str]:
    """Names of the types reached from the commands and events by following type references
    (a value may hold types no command or event reaches, e.g. a dropped conditional branch's)."""
    by_name = {e["name"]: e for e in value}
    seen: set[str] = set()
    todo = [e for e in value if e["meta-type"] in ("command", "event")]
    while todo:
        for holder, key in _type_refs(todo.pop()):
            name = holder[key]
            if name not in seen:
                seen.add(name)
                todo.append(by_name[name])
    return seen
