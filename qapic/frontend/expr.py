"""Shape checks on top-level definitions, before any entity exists.

Each definition is checked for the right keys, well-formed names, conditions, features and
flags, and its member/branch/value lists are put in a normal form: every member, branch, enum
value and feature becomes a dict (``{'type': ...}`` / ``{'name': ...}``).  The schema builder
relies on that normal form.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from ..naming import c_name
from .parser import Definition, Value
from .source import QAPIError, SourceInfo

METAS = ("enum", "struct", "union", "alternate", "command", "event")

# A downstream prefix '__RFQDN_' and an 'x-' prefix are not part of the stem checked for style.
# Names are ASCII (the lexer takes nothing else in a string): re.ASCII makes no difference to
# what matches, but spares compiling Unicode case folding at every start-up (about 1 ms).
_VALID_NAME = re.compile(r"(__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)$", re.IGNORECASE | re.ASCII)
_VALID_ENUM_NAME = re.compile(r"(__[a-z0-9.-]+_)?(x-)?([a-z0-9][a-z0-9_-]*)$",
                              re.IGNORECASE | re.ASCII)
_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
_IDENT = re.compile(r"[A-Z][A-Z0-9_]*$")
_LOWER_OR_DASH = re.compile(r"[a-z-]")
_UPPER = re.compile(r"[A-Z]")


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def check_keys(value: dict[str, Value], info: SourceInfo, source: str,
               required: Collection[str], optional: Collection[str]) -> None:
    # The usual case first, by plain loops (called for every definition, member and value).
    for key in required:
        if key not in value:
            break
    else:
        for key in value:
            if key not in required and key not in optional:
                break
        else:
            return
    missing = sorted(set(required) - set(value))
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise QAPIError(info, f"{source} misses key{plural} {_quoted(missing)}")
    allowed = set(required) | set(optional)
    unknown = sorted(set(value) - allowed)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise QAPIError(info, f"{source} has unknown key{plural} {_quoted(unknown)}\n"
                              f"Valid keys are {_quoted(sorted(allowed))}.")


def check_name_is_str(name: Value, info: SourceInfo, source: str) -> str:
    if not isinstance(name, str):
        raise QAPIError(info, f"{source} requires a string name")
    return name


def check_name_str(name: str, info: SourceInfo, source: str, enum_value: bool = False) -> str:
    """Check *name* is a valid name; return it without its downstream prefix."""
    match = (_VALID_ENUM_NAME if enum_value else _VALID_NAME).match(name)
    if not match or c_name(name, False).startswith("q_"):
        raise QAPIError(info, f"{source} has an invalid name")
    return match.group(3)


def check_name_upper(name: str, info: SourceInfo, source: str) -> None:
    stem = check_name_str(name, info, source)
    if _LOWER_OR_DASH.search(stem):
        raise QAPIError(info, f"name of {source} must not use lowercase or '-'")


def check_name_lower(name: str, info: SourceInfo, source: str, permit_upper: bool = False,
                     permit_underscore: bool = False, enum_value: bool = False) -> None:
    stem = check_name_str(name, info, source, enum_value)
    if (not permit_upper and _UPPER.search(stem)) or (
            not permit_underscore and "_" in stem):
        raise QAPIError(info, f"name of {source} must not use uppercase or '_'")


def check_name_camel(name: str, info: SourceInfo, source: str) -> None:
    stem = check_name_str(name, info, source)
    if not _CAMEL.match(stem):
        raise QAPIError(info, f"name of {source} must use CamelCase")


def check_defn_name(name: str, info: SourceInfo, meta: str) -> None:
    if meta == "event":
        check_name_upper(name, info, meta)
    elif meta == "command":
        check_name_lower(name, info, meta,
                         permit_underscore=name in info.pragma.command_name_exceptions)
    else:
        check_name_camel(name, info, meta)
    if name.endswith("List"):
        raise QAPIError(info, f"{meta} name should not end in 'List'")


def check_if(expr: dict[str, Value], info: SourceInfo, source: str) -> None:
    def check(cond: Value) -> None:
        if isinstance(cond, str):
            if not _IDENT.match(cond):
                raise QAPIError(info, f"'if' condition '{cond}' of {source} "
                                      "is not a valid identifier")
            return
        if not isinstance(cond, dict):
            raise QAPIError(info, f"'if' condition of {source} must be a string or an object")
        check_keys(cond, info, f"'if' condition of {source}", [], ["all", "any", "not"])
        if len(cond) != 1:
            raise QAPIError(info, f"'if' condition of {source} has conflicting keys")
        ((op, operand),) = cond.items()
        if op == "not":
            check(operand)
            return
        if not isinstance(operand, list):
            raise QAPIError(info, f"'{op}' condition of {source} must be an array")
        if not operand:
            raise QAPIError(info, f"'if' condition [] of {source} is useless")
        for sub in operand:
            check(sub)

    cond = expr.get("if")
    if cond is not None:
        check(cond)


def _normalize(items: list[Value], key: str) -> list[dict[str, Value]]:
    out: list[dict[str, Value]] = []
    for item in items:
        out.append(item if isinstance(item, dict) else {key: item})
    items[:] = out
    return out


def check_features(features: Value | None, info: SourceInfo) -> None:
    if features is None:
        return
    if not isinstance(features, list):
        raise QAPIError(info, "'features' must be an array")
    for feat in _normalize(features, "name"):
        source = "'features' member"
        check_keys(feat, info, source, ["name"], ["if"])
        name = check_name_is_str(feat["name"], info, source)
        source = f"{source} '{name}'"
        check_name_lower(name, info, source)
        check_if(feat, info, source)


def _normalize_members(members: dict[str, Value]) -> None:
    for key, value in members.items():
        if not isinstance(value, dict):
            members[key] = {"type": value}


def check_type_name(value: Value | None, info: SourceInfo, source: str) -> None:
    if value is not None and not isinstance(value, str):
        raise QAPIError(info, f"{source} should be a type name")


def check_type_name_or_array(value: Value | None, info: SourceInfo, source: str) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, list):
        raise QAPIError(info, f"{source} should be a type name or array")
    if len(value) != 1 or not isinstance(value[0], str):
        raise QAPIError(info, f"{source}: array type must contain single type name")


def check_type_implicit(value: Value | None, info: SourceInfo, source: str,
                        parent_name: str | None) -> None:
    """*value* must be a MEMBERS object (or absent)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise QAPIError(info, f"{source} should be an object or type name")
    permit = parent_name is not None and parent_name in info.pragma.member_name_exceptions
    _normalize_members(value)
    for key, arg in value.items():
        key_source = f"{source} member '{key}'"
        name = key[1:] if key.startswith("*") else key
        check_name_lower(name, info, key_source, permit_upper=permit, permit_underscore=permit)
        cname = c_name(name, False)
        if cname == "u" or cname.startswith("has_"):
            raise QAPIError(info, f"{key_source} uses reserved name")
        assert isinstance(arg, dict)
        check_keys(arg, info, key_source, ["type"], ["if", "features"])
        check_if(arg, info, key_source)
        check_features(arg.get("features"), info)
        check_type_name_or_array(arg["type"], info, key_source)


def check_type_name_or_implicit(value: Value | None, info: SourceInfo, source: str,
                                parent_name: str | None) -> None:
    if value is None or isinstance(value, str):
        return
    check_type_implicit(value, info, source, parent_name)


def _check_enum(expr: dict[str, Value], info: SourceInfo) -> None:
    name = expr["enum"]
    members = expr["data"]
    prefix = expr.get("prefix")
    if not isinstance(members, list):
        raise QAPIError(info, "'data' must be an array")
    if prefix is not None and not isinstance(prefix, str):
        raise QAPIError(info, "'prefix' must be a string")
    permit = name in info.pragma.member_name_exceptions
    for member in _normalize(members, "name"):
        source = "'data' member"
        check_keys(member, info, source, ["name"], ["if", "features"])
        mname = check_name_is_str(member["name"], info, source)
        source = f"{source} '{mname}'"
        check_name_lower(mname, info, source, permit_upper=permit, permit_underscore=permit,
                         enum_value=True)
        check_if(member, info, source)
        check_features(member.get("features"), info)


def _check_struct(expr: dict[str, Value], info: SourceInfo) -> None:
    name = expr["struct"]
    assert isinstance(name, str)
    check_type_implicit(expr["data"], info, "'data'", name)
    check_type_name(expr.get("base"), info, "'base'")


def _check_union(expr: dict[str, Value], info: SourceInfo) -> None:
    name = expr["union"]
    assert isinstance(name, str)
    check_type_name_or_implicit(expr["base"], info, "'base'", name)
    check_name_is_str(expr["discriminator"], info, "'discriminator'")
    members = expr["data"]
    if not isinstance(members, dict):
        raise QAPIError(info, "'data' must be an object")
    _normalize_members(members)
    for key, value in members.items():
        source = f"'data' member '{key}'"
        assert isinstance(value, dict)
        check_keys(value, info, source, ["type"], ["if"])
        check_if(value, info, source)
        check_type_name(value["type"], info, source)


def _check_alternate(expr: dict[str, Value], info: SourceInfo) -> None:
    members = expr["data"]
    if not isinstance(members, dict):
        raise QAPIError(info, "'data' must be an object")
    if not members:
        raise QAPIError(info, "'data' must not be empty")
    _normalize_members(members)
    for key, value in members.items():
        source = f"'data' member '{key}'"
        # Even pragma member-name-exceptions does not permit '_' here: a branch name is a
        # C union member name, and 'a-b' and 'a_b' would clash.
        check_name_lower(key, info, source)
        assert isinstance(value, dict)
        check_keys(value, info, source, ["type"], ["if"])
        check_if(value, info, source)
        check_type_name_or_array(value["type"], info, source)


def _check_arguments(expr: dict[str, Value], info: SourceInfo) -> None:
    """The 'data' of a command or an event: a type name when 'boxed', else also implicit."""
    args = expr.get("data")
    if expr.get("boxed", False):
        if args is None:
            raise QAPIError(info, "'boxed': true requires 'data'")
        check_type_name(args, info, "'data'")
    else:
        check_type_name_or_implicit(args, info, "'data'", None)


def _check_command(expr: dict[str, Value], info: SourceInfo) -> None:
    _check_arguments(expr, info)
    check_type_name_or_array(expr.get("returns"), info, "'returns'")


def _check_event(expr: dict[str, Value], info: SourceInfo) -> None:
    _check_arguments(expr, info)


def _check_flags(expr: dict[str, Value], info: SourceInfo) -> None:
    for key in ("gen", "success-response"):
        if key in expr and expr[key] is not False:
            raise QAPIError(info, f"flag '{key}' may only use false value")
    for key in ("boxed", "allow-oob", "allow-preconfig", "coroutine"):
        if key in expr and expr[key] is not True:
            raise QAPIError(info, f"flag '{key}' may only use true value")
    if "allow-oob" in expr and "coroutine" in expr:
        raise QAPIError(info, "flags 'allow-oob' and 'coroutine' are incompatible")


_KEYS: dict[str, tuple[list[str], list[str]]] = {
    "enum": (["enum", "data"], ["if", "features", "prefix"]),
    "struct": (["struct", "data"], ["base", "if", "features"]),
    "union": (["union", "base", "discriminator", "data"], ["if", "features"]),
    "alternate": (["alternate", "data"], ["if", "features"]),
    "command": (["command"], ["data", "returns", "boxed", "if", "features", "gen",
                              "success-response", "allow-oob", "allow-preconfig",
                              "coroutine"]),
    "event": (["event"], ["data", "boxed", "if", "features"]),
}

_CHECKERS = {
    "enum": _check_enum,
    "struct": _check_struct,
    "union": _check_union,
    "alternate": _check_alternate,
    "command": _check_command,
    "event": _check_event,
}


def definition_meta(expr: dict[str, Value]) -> str:
    """The kind of a (checked) definition."""
    for meta in METAS:
        if meta in expr:
            return meta
    raise AssertionError("unchecked definition")


def check_definition(defn: Definition, lenient_docs: bool = False) -> None:
    expr, info, doc = defn.expr, defn.info, defn.doc
    metas = [m for m in METAS if m in expr]
    if len(metas) != 1:
        raise QAPIError(info, "expression must have exactly one key "
                              "'enum', 'struct', 'union', 'alternate', 'command', 'event'")
    meta = metas[0]
    name = check_name_is_str(expr[meta], info, f"'{meta}'")
    info.set_defn(meta, name)
    check_defn_name(name, info, meta)
    if doc is not None:
        if doc.symbol != name:
            raise QAPIError(info, f"documentation comment is for '{doc.symbol}'")
        doc.check_expr(meta, "returns" in expr, lenient_docs)
    elif info.pragma.doc_required:
        raise QAPIError(info, "documentation comment required")
    required, optional = _KEYS[meta]
    check_keys(expr, info, meta, required, optional)
    _CHECKERS[meta](expr, info)
    check_if(expr, info, meta)
    check_features(expr.get("features"), info)
    _check_flags(expr, info)


def check_definitions(defns: Iterable[Definition], lenient_docs: bool = False) -> None:
    for defn in defns:
        check_definition(defn, lenient_docs)
