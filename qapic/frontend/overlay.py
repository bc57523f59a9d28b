"""Conditions files: extra ``'if'`` conditions for a schema's items, without editing the schema.

A conditions file is written in the schema language itself (QAPI's JSON dialect: single-quoted
strings, ``#`` comments) and holds one expression per definition it conditions.  Each names the
definition with its kind, as the schema does, and mirrors the schema's own keys::

    # query-sev exists on x86 targets only
    { 'command': 'query-sev', 'if': 'TARGET_I386' }

    # a member of a struct, a feature of a member, a feature of the definition
    { 'struct': 'CpuModelExpansionInfo',
      'data': { 'deprecated-props': { 'if': 'TARGET_S390X' } } }
    { 'struct': 'Foo', 'data': { 'bar': { 'features': { 'unstable': { 'if': 'TARGET_ARM' } } } },
      'features': { 'deprecated': { 'if': 'TARGET_PPC' } } }

    # enum values, union branches and members of a union's inline base, alternate branches
    { 'enum': 'SysEmuTarget', 'data': { 's390x': { 'if': 'TARGET_S390X' } } }
    { 'union': 'CpuInfoFast', 'base': { 'target': { 'if': 'TARGET_S390X' } },
      'data': { 's390x': { 'if': 'TARGET_S390X' } } }
    { 'alternate': 'Alt', 'data': { 'b': { 'if': 'CONFIG_KVM' } } }

    # arguments of a command or an event given inline ('data' of a named type: condition that type)
    { 'event': 'FOO', 'data': { 'arg': { 'if': 'TARGET_ARM' } } }

Rules:

- The kind key (``enum``, ``struct``, ``union``, ``alternate``, ``command``, ``event``) names a
  definition of that kind in the schema; every member, value, branch and feature named must exist
  there.  Members are named without the ``*`` of optional members.  A definition appears once.
- ``'if'`` takes any condition the schema language allows.  Where the item already has a
  condition *C* in the schema, its condition becomes ``{'all': [C, carried]}`` (unchanged when
  the two are equal): a conditions file only ever narrows where something exists.
- ``'data'`` holds members (struct, command, event), values (enum) or branches (union,
  alternate); ``'base'`` the members of a union's inline base.  Members and enum values take
  ``'if'`` and ``'features'``, branches ``'if'`` only.
- Nothing else: no ``include``, no ``pragma``, no doc comments (``##``).

The conditions are applied to the checked expressions before entities are built
(:func:`apply`), so every backend sees the schema exactly as if the conditions had been written
into its files.  Anything wrong in the file is a :class:`QAPIError` located in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .expr import METAS, check_if
from .parser import Definition as ParsedDefinition
from .parser import SchemaParser, Value
from .source import QAPIError, SourceInfo

#: The keys each kind of entry may have besides its kind key and ``'if'``/``'features'``.
PARTS: dict[str, tuple[str, ...]] = {
    "enum": ("data",), "struct": ("data",), "union": ("base", "data"),
    "alternate": ("data",), "command": ("data",), "event": ("data",),
}


class ItemConditions:
    """The condition for one member, value or branch, and for its features."""

    __slots__ = ("cond", "features")

    def __init__(self) -> None:
        self.cond: Value | None = None
        self.features: dict[str, Value] = {}


class Entry:
    """What a conditions file says about one definition."""

    __slots__ = ("cond", "features", "info", "meta", "name", "parts")

    def __init__(self, meta: str, name: str, info: SourceInfo) -> None:
        self.meta = meta
        self.name = name
        self.info = info
        self.cond: Value | None = None
        self.features: dict[str, Value] = {}
        self.parts: dict[str, dict[str, ItemConditions]] = {}


class Overlay:
    """A parsed conditions file."""

    __slots__ = ("entries", "fname")

    def __init__(self, fname: str, entries: list[Entry]) -> None:
        self.fname = fname
        self.entries = entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


# --- reading ----------------------------------------------------------------------------------


def _expect_dict(value: Value, info: SourceInfo, what: str) -> dict[str, Value]:
    if not isinstance(value, dict):
        raise QAPIError(info, f"{what} must be an object")
    return value


def _check_cond(value: Value, info: SourceInfo, what: str) -> Value:
    check_if({"if": value}, info, what)
    return value


def _features(value: Value, info: SourceInfo, owner: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for fname, fval in _expect_dict(value, info, f"'features' of {owner}").items():
        what = f"feature '{fname}' of {owner}"
        body = _expect_dict(fval, info, what)
        _only_keys(body, ("if",), info, what, required=True)
        out[fname] = _check_cond(body["if"], info, what)
    return out


def _only_keys(body: dict[str, Value], allowed: Iterable[str], info: SourceInfo, what: str,
               required: bool = False) -> None:
    allowed = tuple(allowed)
    extra = [k for k in body if k not in allowed]
    if extra:
        raise QAPIError(info, f"{what} has unknown key '{extra[0]}' "
                              f"(allowed: {', '.join(repr(a) for a in allowed)})")
    if required and "if" not in body:
        raise QAPIError(info, f"{what} lacks 'if'")
    if not body:
        raise QAPIError(info, f"{what} adds nothing")


def _items(value: Value, info: SourceInfo, owner: str, part: str,
           allowed: tuple[str, ...]) -> dict[str, ItemConditions]:
    out: dict[str, ItemConditions] = {}
    for iname, ival in _expect_dict(value, info, f"'{part}' of {owner}").items():
        what = f"'{iname}' in '{part}' of {owner}"
        if iname.startswith("*"):
            raise QAPIError(info, f"{what}: name members without '*'")
        body = _expect_dict(ival, info, what)
        _only_keys(body, allowed, info, what)
        item = ItemConditions()
        if "if" in body:
            item.cond = _check_cond(body["if"], info, what)
        if "features" in body:
            item.features = _features(body["features"], info, what)
        out[iname] = item
    return out


def _entry(defn: ParsedDefinition) -> Entry:
    expr, info = defn.expr, defn.info
    metas = [m for m in METAS if m in expr]
    if len(metas) != 1:
        raise QAPIError(info, "a conditions entry must have exactly one key of "
                              + ", ".join(f"'{m}'" for m in METAS))
    meta = metas[0]
    name = expr[meta]
    if not isinstance(name, str):
        raise QAPIError(info, f"'{meta}' must name a definition")
    info.set_defn(meta, name)
    owner = f"{meta} '{name}'"
    _only_keys({k: v for k, v in expr.items() if k != meta},
               ("if", "features", *PARTS[meta]), info, f"conditions entry for {owner}")
    entry = Entry(meta, name, info)
    if "if" in expr:
        entry.cond = _check_cond(expr["if"], info, owner)
    if "features" in expr:
        entry.features = _features(expr["features"], info, owner)
    for part in PARTS[meta]:
        if part in expr:
            allowed = ("if",) if (part == "data" and meta in ("union", "alternate")) \
                else ("if", "features")
            entry.parts[part] = _items(expr[part], info, owner, part, allowed)
    return entry


def load_overlay(path: str | os.PathLike[str]) -> Overlay:
    """Read and shape-check a conditions file; names are checked against a schema by
    :func:`apply`.  Raises :class:`QAPIError` (located in the file) and nothing else."""
    fname = os.fspath(path)
    try:
        parsed = SchemaParser(fname).parse()
    except QAPIError as err:
        if err.info is None:   # the file itself could not be read
            raise QAPIError(None, err.msg.replace("schema file", "conditions file")) from None
        raise
    if parsed.docs:
        doc_info = parsed.docs[0].info
        raise QAPIError(doc_info, "a conditions file has no doc comments (use '#', not '##')")
    entries: list[Entry] = []
    seen: dict[tuple[str, str], Entry] = {}
    for top in parsed.exprs:
        if not isinstance(top, ParsedDefinition):
            raise QAPIError(top.info, "a conditions file cannot include files")
        entry = _entry(top)
        prev = seen.get((entry.meta, entry.name))
        if prev is not None:
            raise QAPIError(entry.info, f"{entry.meta} '{entry.name}' has conditions already "
                                        f"at line {prev.info.line}")
        seen[(entry.meta, entry.name)] = entry
        entries.append(entry)
    return Overlay(fname, entries)


# --- applying ---------------------------------------------------------------------------------


def combine(existing: Value | None, carried: Value) -> Value:
    """The condition of an item that has *existing* in the schema and *carried* added."""
    if existing is None or existing == carried:
        return carried if existing is None else existing
    return {"all": [existing, carried]}


def _add_if(target: dict[str, Value], carried: Value | None) -> None:
    if carried is not None:
        target["if"] = combine(target.get("if"), carried)


def _apply_features(features: Value | None, carried: dict[str, Value], info: SourceInfo,
                    owner: str) -> None:
    by_name: dict[str, dict[str, Value]] = {}
    for f in features if isinstance(features, list) else []:
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            by_name[str(f["name"])] = f
    for fname, cond in carried.items():
        feat = by_name.get(fname)
        if feat is None:
            raise QAPIError(info, f"{owner} has no feature '{fname}'")
        _add_if(feat, cond)


def _named_items(expr: dict[str, Value], meta: str, part: str) -> dict[str, dict[str, Value]]:
    """The checked expression's members, values or branches of *part*, by name."""
    value = expr.get(part)
    if meta == "enum":
        assert isinstance(value, list)
        return {str(v["name"]): v for v in value if isinstance(v, dict)}
    if not isinstance(value, dict):
        return {}   # no inline members: 'data' or 'base' names a type
    out: dict[str, dict[str, Value]] = {}
    for key, body in value.items():
        assert isinstance(body, dict)
        out[key[1:] if key.startswith("*") else key] = body
    return out


#: What the items of ``'data'`` are called, by kind (default: member).
PART_WORDS = {"enum": "value", "union": "branch", "alternate": "branch"}


def apply(overlay: Overlay, defns: Iterable[ParsedDefinition]) -> None:
    """Add *overlay*'s conditions to the checked definitions *defns*, in place."""
    by_name: dict[str, ParsedDefinition] = {}
    for parsed in defns:
        meta = next(m for m in METAS if m in parsed.expr)
        by_name[str(parsed.expr[meta])] = parsed
    for entry in overlay:
        defn = by_name.get(entry.name)
        owner = f"{entry.meta} '{entry.name}'"
        if defn is None:
            raise QAPIError(entry.info, f"the schema has no definition '{entry.name}'")
        if entry.meta not in defn.expr:
            actual = next(m for m in METAS if m in defn.expr)
            raise QAPIError(entry.info, f"'{entry.name}' is a {actual} in the schema, "
                                        f"not a {entry.meta}")
        expr = defn.expr
        _add_if(expr, entry.cond)
        _apply_features(expr.get("features"), entry.features, entry.info, owner)
        for part, items in entry.parts.items():
            present = _named_items(expr, entry.meta, part)
            word = "member" if part == "base" else PART_WORDS.get(entry.meta, "member")
            for iname, item in items.items():
                body = present.get(iname)
                if body is None:
                    raise QAPIError(entry.info, f"{owner} has no {word} '{iname}'"
                                    + (" in its inline base" if part == "base" else ""))
                _add_if(body, item.cond)
                _apply_features(body.get("features"), item.features, entry.info,
                                f"{word} '{iname}' of {owner}")


def load_optional(path: str | os.PathLike[str] | None) -> Overlay | None:
    """The conditions file given with ``--conditions``, if any."""
    return None if path is None else load_overlay(path)


# --- the conditions files qapic ships ----------------------------------------------------------

#: Where the shipped conditions files are (``qemu-MAJOR.MINOR.json``), inside the package.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "carried"

_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.\d+)?")


def shipped_releases() -> list[str]:
    """The QEMU releases (``MAJOR.MINOR``) qapic ships a conditions file for, oldest first."""
    found = []
    for path in SHIPPED_DIR.glob("qemu-*.json"):
        match = _RELEASE.fullmatch(path.stem.removeprefix("qemu-"))
        if match:
            found.append((int(match[1]), int(match[2])))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def shipped_file(release: str) -> Path | None:
    """The conditions file qapic ships for QEMU *release* (``10.2`` or ``10.2.2``), if any."""
    match = _RELEASE.fullmatch(release)
    if match is None:
        return None
    path = SHIPPED_DIR / f"qemu-{int(match[1])}.{int(match[2])}.json"
    return path if path.is_file() else None


def resolve(value: str) -> str:
    """The conditions file that ``--conditions VALUE`` names: a QEMU release (``10.2``, or
    ``10.2.2`` for its series) names the file qapic ships for it; anything else is a path.
    Raises :class:`ValueError` (its message for the user) for a release qapic ships no file
    for."""
    if _RELEASE.fullmatch(value) is None:
        return value
    path = shipped_file(value)
    if path is None:
        shipped = shipped_releases()
        raise ValueError(
            f"qapic ships no conditions file for QEMU {value} (it ships one for "
            f"{', '.join(shipped) or 'no release'}; QEMU 10.0 and earlier have their target "
            "conditions in the schema); name a file instead (a file named like a release: "
            f"./{value})")
    return str(path)


def option_help() -> str:
    """The help text of every command's ``--conditions`` option."""
    shipped = shipped_releases()
    releases = (f"{', '.join(shipped)}, e.g. --conditions {shipped[-1]}" if shipped
                else "no release")
    return ("a conditions file: extra 'if' conditions for the schema's items, written in the "
            "schema language (the README's 'Conditions files'); or a QEMU release, naming the "
            "file qapic ships for it (QEMU 10.1 removed its schema's target conditions; qapic "
            f"ships them carried forward for {releases})")
