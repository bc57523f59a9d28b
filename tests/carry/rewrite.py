"""Write a conditions file's conditions into a copy of a QEMU schema, as if QEMU had kept them.

The oracle side of the conditions-file tests: upstream's generator runs on the copy.  This reads
the conditions file and the schema files with the test's own reader (tests/carry/qapi_text.py),
follows the format's documented rules (an item that already has a condition C gets
``{'all': [C, carried]}``, unchanged when equal), and replaces each conditioned top-level
expression in place.  Nothing of qapic is used.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.carry.qapi_text import top_level, write

KINDS = ("enum", "struct", "union", "alternate", "command", "event")


def kind_of(expr: dict[str, Any]) -> str | None:
    return next((k for k in KINDS if k in expr), None)


def read_entries(conditions_file: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> the conditions entry."""
    out = {}
    for e in top_level(conditions_file.read_text(encoding="utf-8")):
        kind = kind_of(e.value)
        assert kind is not None, e.value
        out[(kind, e.value[kind])] = e.value
    return out


def _combine(existing: Any, carried: Any) -> Any:
    if existing is None:
        return carried
    return existing if existing == carried else {"all": [existing, carried]}


def _add_if(item: dict[str, Any], carried: Any) -> None:
    item["if"] = _combine(item.get("if"), carried)


def _features(owner: dict[str, Any], carried: dict[str, Any]) -> None:
    feats = owner["features"]
    for i, f in enumerate(feats):
        if isinstance(f, str):
            feats[i] = f = {"name": f}
        if f["name"] in carried:
            _add_if(f, carried[f["name"]]["if"])
    named = {f["name"] for f in feats}
    missing = set(carried) - named
    assert not missing, f"features {missing} not in {owner}"


def _apply(expr: dict[str, Any], entry: dict[str, Any], kind: str) -> None:
    if "if" in entry:
        _add_if(expr, entry["if"])
    if "features" in entry:
        _features(expr, entry["features"])
    for part in ("data", "base"):
        for name, item in entry.get(part, {}).items():
            container = expr[part]
            if kind == "enum":
                idx = next(i for i, v in enumerate(container)
                           if (v if isinstance(v, str) else v["name"]) == name)
                if isinstance(container[idx], str):
                    container[idx] = {"name": container[idx]}
                target = container[idx]
            else:
                key = name if name in container else "*" + name
                value = container[key]
                if not isinstance(value, dict):
                    container[key] = value = {"type": value}
                target = value
            if "if" in item:
                _add_if(target, item["if"])
            if "features" in item:
                _features(target, item["features"])


def write_into_copy(schema_dir: Path, conditions_file: Path, dest: Path) -> Path:
    """Copy *schema_dir* (QEMU's ``qapi/``) to *dest* with the conditions written into its JSON
    files; return the copy's ``qapi-schema.json``.  Every entry must be used exactly once."""
    shutil.copytree(schema_dir, dest)
    entries = read_entries(conditions_file)
    used: set[tuple[str, str]] = set()
    for path in sorted(dest.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        pieces = []
        last = 0
        for e in top_level(text):
            kind = kind_of(e.value)
            key = (kind, e.value[kind]) if kind else None
            if key in entries:
                assert key is not None
                _apply(e.value, entries[key], key[0])
                used.add(key)
                pieces += [text[last:e.start], write(e.value)]
                last = e.end
        if pieces:
            path.write_text("".join(pieces) + text[last:], encoding="utf-8")
    unused = set(entries) - used
    assert not unused, f"entries of {conditions_file} that name nothing: {sorted(unused)}"
    return dest / "qapi-schema.json"
