"""The compatibility rule of ``qapic diff`` (module docstring of qapic/qmp/diff/__init__.py, after
docs/devel/qapi-code-gen.rst "Compatibility considerations"), on small hand-written values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.diff.util import run_json, run_text

BUILTINS = [
    {"name": "str", "meta-type": "builtin", "json-type": "string"},
    {"name": "int", "meta-type": "builtin", "json-type": "int"},
    {"name": "number", "meta-type": "builtin", "json-type": "number"},
    {"name": "bool", "meta-type": "builtin", "json-type": "boolean"},
    {"name": "null", "meta-type": "builtin", "json-type": "null"},
    {"name": "any", "meta-type": "builtin", "json-type": "value"},
]

E = {"name": "0", "meta-type": "object", "members": []}


def obj(name: str, *members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "meta-type": "object", "members": list(members), **extra}


def m(name: str, typ: str, optional: bool = False, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"name": name, "type": typ, **extra}
    if optional:
        d["default"] = None
    return d


def enum(name: str, *values: str) -> dict[str, Any]:
    return {"name": name, "meta-type": "enum", "members": [{"name": v} for v in values],
            "values": list(values)}


def cmd(name: str, arg: str = "0", ret: str = "0", oob: bool = False,
        **extra: Any) -> dict[str, Any]:
    d = {"name": name, "meta-type": "command", "arg-type": arg, "ret-type": ret, **extra}
    if oob:
        d["allow-oob"] = True
    return d


def event(name: str, arg: str = "0", **extra: Any) -> dict[str, Any]:
    return {"name": name, "meta-type": "event", "arg-type": arg, **extra}


def diff(tmp_path: Path, a: list[dict[str, Any]], b: list[dict[str, Any]],
         ) -> tuple[int, list[tuple[str, str, bool]]]:
    """(exit status, [(change, 'command X: where: message', breaking)])."""
    fa, fb = tmp_path / "a.json", tmp_path / "b.json"
    fa.write_text(json.dumps([*BUILTINS, E, *a]))
    fb.write_text(json.dumps([*BUILTINS, E, *b]))
    status, out = run_json(fa, fb)
    changes = []
    for c in out["changes"]:
        place = f"{c['entity']} {c['name']}" + (f": {c['where']}" if c["where"] else "")
        changes.append((c["change"], f"{place}: {c['message']}", c["breaking"]))
    return status, changes


def one(tmp_path: Path, a: list[dict[str, Any]], b: list[dict[str, Any]]
        ) -> tuple[str, str, bool]:
    status, changes = diff(tmp_path, a, b)
    assert len(changes) == 1, changes
    assert status == (1 if changes[0][2] else 0)
    return changes[0]


def test_commands_and_events(tmp_path: Path) -> None:
    assert one(tmp_path, [cmd("x")], []) == ("command-removed", "command x: removed", True)
    assert one(tmp_path, [], [cmd("x")]) == ("command-added", "command x: added", False)
    assert one(tmp_path, [event("E")], []) == ("event-removed", "event E: removed", True)
    assert one(tmp_path, [], [event("E")]) == ("event-added", "event E: added", False)
    assert diff(tmp_path, [cmd("x"), event("E")], [cmd("x"), event("E")]) == (0, [])


ARGS = "10"


@pytest.mark.parametrize(("a_members", "b_members", "expected"), [
    ([m("a", "str")], [], ("member-removed", "argument 'a': removed (was mandatory)", True)),
    ([m("a", "str", True)], [], ("member-removed", "argument 'a': removed (was optional)", True)),
    ([], [m("a", "str", True)], ("member-added", "argument 'a': added (optional)", False)),
    ([], [m("a", "str")], ("member-added", "argument 'a': added (mandatory)", True)),
    ([m("a", "str", True)], [m("a", "str")],
     ("member-mandatory", "argument 'a': optional became mandatory", True)),
    ([m("a", "str")], [m("a", "str", True)],
     ("member-optional", "argument 'a': mandatory became optional", False)),
    ([m("a", "str")], [m("a", "int")],
     ("type-changed", "argument 'a': type changed from str to int", True)),
])
def test_arguments(tmp_path: Path, a_members: list[dict[str, Any]],
                   b_members: list[dict[str, Any]], expected: tuple[str, str, bool]) -> None:
    kind, msg, breaking = expected
    got = one(tmp_path, [cmd("x", arg=ARGS), obj(ARGS, *a_members)],
              [cmd("x", arg="20"), obj("20", *b_members)])
    assert got == (kind, f"command x: {msg}", breaking)


@pytest.mark.parametrize(("a_members", "b_members", "expected"), [
    ([m("a", "str")], [], ("member-removed", "return 'a': removed (was mandatory)", True)),
    ([m("a", "str", True)], [], ("member-removed", "return 'a': removed (was optional)", True)),
    ([], [m("a", "str")], ("member-added", "return 'a': added (mandatory)", False)),
    ([m("a", "str", True)], [m("a", "str")],
     ("member-mandatory", "return 'a': optional became mandatory", False)),
    ([m("a", "str")], [m("a", "str", True)],
     ("member-optional", "return 'a': mandatory became optional", True)),
])
def test_return_values(tmp_path: Path, a_members: list[dict[str, Any]],
                       b_members: list[dict[str, Any]], expected: tuple[str, str, bool]) -> None:
    kind, msg, breaking = expected
    got = one(tmp_path, [cmd("x", ret="10"), obj("10", *a_members)],
              [cmd("x", ret="20"), obj("20", *b_members)])
    assert got == (kind, f"command x: {msg}", breaking)


def test_event_data(tmp_path: Path) -> None:
    got = one(tmp_path, [event("E", "10"), obj("10", m("a", "int"), m("b", "int"))],
              [event("E", "20"), obj("20", m("b", "int"))])
    assert got == ("member-removed", "event E: data 'a': removed (was mandatory)", True)


def test_enum_values(tmp_path: Path) -> None:
    a = [cmd("x", arg="1"), obj("1", m("mode", "2")), enum("2", "on", "off")]
    b = [cmd("x", arg="5"), obj("5", m("mode", "6")), enum("6", "off", "auto")]
    status, changes = diff(tmp_path, a, b)
    assert status == 1
    assert changes == [
        ("enum-value-removed", "command x: argument 'mode': enum value 'on' removed", True),
        ("enum-value-added", "command x: argument 'mode': enum value 'auto' added", False),
    ]


def _union(name: str, tag_enum: str, cases: dict[str, str]) -> dict[str, Any]:
    return obj(name, m("kind", tag_enum), tag="kind",
               variants=[{"case": c, "type": t} for c, t in cases.items()])


def test_union_branches(tmp_path: Path) -> None:
    a = [cmd("x", arg="1"), _union("1", "2", {"a": "3", "b": "4"}), enum("2", "a", "b"),
         obj("3", m("x", "int")), obj("4", m("y", "int"))]
    b = [cmd("x", arg="1"), _union("1", "2", {"a": "3"}), enum("2", "a"),
         obj("3", m("x", "int"))]
    status, changes = diff(tmp_path, a, b)
    assert status == 1
    assert ("branch-removed", "command x: arguments: union branch 'b' removed", True) in changes
    assert ("enum-value-removed", "command x: argument 'kind': enum value 'b' removed",
            True) in changes
    status, changes = diff(tmp_path, b, a)
    assert status == 0
    assert ("branch-added", "command x: arguments: union branch 'b' added", False) in changes


def test_union_branch_without_members_need_not_be_listed(tmp_path: Path) -> None:
    """A case the tag's enum still has is a branch, listed in 'variants' or not."""
    a = [cmd("x", arg="1"), _union("1", "2", {"a": "3", "b": "0"}), enum("2", "a", "b"),
         obj("3", m("x", "int"))]
    b = [cmd("x", arg="1"), _union("1", "2", {"a": "3"}), enum("2", "a", "b"),
         obj("3", m("x", "int"))]
    assert diff(tmp_path, a, b) == (0, [])
    assert diff(tmp_path, b, a) == (0, [])
    # ... but its members are compared with nothing.
    a[1]["variants"][1]["type"] = "4"
    a.append(obj("4", m("y", "int", True)))
    assert one(tmp_path, a, b) == (
        "member-removed", "command x: argument '{kind=b}.y': removed (was optional)", True)


def test_alternate_branches(tmp_path: Path) -> None:
    alt_a = {"name": "2", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "3"}]}
    alt_b = {"name": "2", "meta-type": "alternate", "members": [{"type": "str"}]}
    a = [cmd("x", arg="1"), obj("1", m("v", "2")), alt_a, obj("3", m("q", "int"))]
    b = [cmd("x", arg="1"), obj("1", m("v", "2")), alt_b]
    assert one(tmp_path, a, b) == (
        "alternate-branch-removed", "command x: argument 'v': alternate branch object removed",
        True)
    assert one(tmp_path, b, a) == (
        "alternate-branch-added", "command x: argument 'v': alternate branch object added",
        False)
    # Branches are matched by JSON kind: members inside the object branch are compared.
    a2 = [*a[:3], obj("3", m("q", "int"), m("r", "int", True))]
    assert one(tmp_path, a, a2) == (
        "member-added", "command x: argument 'v<object>.r': added (optional)", False)


def test_widening_and_narrowing(tmp_path: Path) -> None:
    alt = {"name": "9", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "null"}]}
    plain_arg = [cmd("x", arg="1"), obj("1", m("v", "str"))]
    alt_arg = [cmd("x", arg="1"), obj("1", m("v", "9")), alt]
    kind, msg, breaking = one(tmp_path, plain_arg, alt_arg)
    assert (kind, breaking) == ("type-changed", False)
    assert msg == "command x: argument 'v': type changed from str to alternate of null or str " \
                  "(widened)"
    assert one(tmp_path, alt_arg, plain_arg)[2] is True
    plain_ret = [cmd("x", ret="1"), obj("1", m("v", "str"))]
    alt_ret = [cmd("x", ret="1"), obj("1", m("v", "9")), alt]
    assert one(tmp_path, plain_ret, alt_ret)[2] is True
    assert one(tmp_path, alt_ret, plain_ret)[2] is False
    # enum -> str accepts more; int -> number too; anything -> any.
    enum_arg = [cmd("x", arg="1"), obj("1", m("v", "2")), enum("2", "a")]
    assert one(tmp_path, enum_arg, plain_arg)[2] is False
    assert one(tmp_path, plain_arg, enum_arg)[2] is True
    int_arg = [cmd("x", arg="1"), obj("1", m("v", "int"))]
    num_arg = [cmd("x", arg="1"), obj("1", m("v", "number"))]
    any_arg = [cmd("x", arg="1"), obj("1", m("v", "any"))]
    assert one(tmp_path, int_arg, num_arg)[2] is False
    assert one(tmp_path, num_arg, int_arg)[2] is True
    assert one(tmp_path, int_arg, any_arg)[2] is False
    # Kinds that have nothing in common.
    arr = {"name": "7", "meta-type": "array", "element-type": "str"}
    arr_arg = [cmd("x", arg="1"), obj("1", m("v", "7")), arr]
    assert one(tmp_path, plain_arg, arr_arg) == (
        "type-changed", "command x: argument 'v': type changed from str to array of str", True)


def test_features(tmp_path: Path) -> None:
    assert one(tmp_path, [cmd("x")], [cmd("x", features=["deprecated"])]) == (
        "feature-added", "command x: feature 'deprecated' added", False)
    assert one(tmp_path, [cmd("x", features=["unstable"])], [cmd("x")]) == (
        "feature-removed", "command x: feature 'unstable' removed", False)
    assert one(tmp_path, [cmd("x", features=["savevm-monitor-nodes"])], [cmd("x")]) == (
        "feature-removed", "command x: feature 'savevm-monitor-nodes' removed", True)
    a = [cmd("x", arg="1"), obj("1", m("v", "str"))]
    b = [cmd("x", arg="1"), obj("1", m("v", "str", features=["deprecated"]))]
    assert one(tmp_path, a, b) == (
        "feature-added", "command x: argument 'v': feature 'deprecated' added", False)
    e_a = [event("E", "1"), obj("1", m("v", "2")), enum("2", "a")]
    e_b = [event("E", "1"), obj("1", m("v", "2")),
           {"name": "2", "meta-type": "enum", "members": [{"name": "a", "features": ["unstable"]}]}]
    assert one(tmp_path, e_a, e_b) == (
        "feature-added", "event E: data 'v': enum value 'a': feature 'unstable' added", False)


def test_allow_oob(tmp_path: Path) -> None:
    assert one(tmp_path, [cmd("x", oob=True)], [cmd("x")]) == (
        "allow-oob-changed", "command x: out-of-band execution removed", True)
    assert one(tmp_path, [cmd("x")], [cmd("x", oob=True)])[2] is False


def test_nested_paths_and_recursion(tmp_path: Path) -> None:
    """Array elements, union branches and recursive types; a change in a type reached from
    several places is reported once, with the other places."""
    def build(extra: bool) -> list[dict[str, Any]]:
        node = obj("3", m("name", "str"), m("children", "4", True),
                   *([m("size", "int", True)] if extra else []))
        return [cmd("a", ret="4"), event("B", "1"), obj("1", m("nodes", "4")),
                {"name": "4", "meta-type": "array", "element-type": "3"}, node]
    status, out = run_json(*_files(tmp_path, build(False), build(True)))
    assert status == 0
    [change] = out["changes"]
    assert change["name"] == "a" and change["where"] == "return '[].size'"
    assert change["path"] == ["return", "[]", "size"]
    assert change["also"] == ["event B: data 'nodes[].size'"]
    # The same type in data sent to QEMU is judged (and reported) again.
    sent = [*build(True)[:1], cmd("b", arg="1"), *build(True)[2:]]
    status, out = run_json(*_files(tmp_path, [*build(False)[:1], cmd("b", arg="1"),
                                              *build(False)[2:]], sent))
    assert [(c["name"], c["where"]) for c in out["changes"]] == [
        ("a", "return '[].size'"), ("b", "argument 'nodes[].size'")]
    status, text = run_text(*_files(tmp_path, build(False), build(True)))
    assert ("  + command a: return '[].size': added (optional)\n"
            "      also at event B: data 'nodes[].size'\n") in text


def _files(tmp_path: Path, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> tuple[Path, Path]:
    fa, fb = tmp_path / "a.json", tmp_path / "b.json"
    fa.write_text(json.dumps([*BUILTINS, E, *a]))
    fb.write_text(json.dumps([*BUILTINS, E, *b]))
    return fa, fb


def test_breaking_only_and_text(tmp_path: Path) -> None:
    a = [cmd("x", arg="1"), obj("1", m("v", "str")), cmd("gone")]
    b = [cmd("x", arg="1"), obj("1", m("v", "str"), m("w", "str", True)), cmd("new")]
    fa, fb = _files(tmp_path, a, b)
    status, text = run_text(fa, fb)
    assert status == 1
    assert text.splitlines() == [
        "Commands removed (1):",
        "  ! gone",
        "",
        "Commands added (1):",
        "  + new",
        "",
        "Changed commands (1, 1 changes):",
        "  + command x: argument 'w': added (optional)",
        "",
        "3 changes, 1 breaking: B is not compatible with A.",
    ]
    status, text = run_text("--breaking", fa, fb)
    assert status == 1
    assert "new" not in text and "gone" in text


def test_one_line_when_nothing_or_nothing_breaking_is_shown(tmp_path: Path) -> None:
    a = [cmd("x", arg="1"), obj("1", m("v", "str"))]
    fa, fb = _files(tmp_path, a, [*a, cmd("new")])
    assert run_text(fa, fa) == (0, "No change: B has the same commands, events and types as A.\n")
    assert run_text("--breaking", fa, fb) == (
        0, "1 change, none breaking: B is compatible with A.\n")
