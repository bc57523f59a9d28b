"""``qapic diff`` on query-qmp-schema values from QEMU's own generator (tests/oracle).

The expected differences come from outside qapic: the command and event name sets of upstream's
values, the unmasked values (real type names, so types correspond by name), and values rewritten
as the introspection format allows (masked numbers permuted, lists reordered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.diff.helpers import Introspect, write_value
from tests.diff.util import SAME, names, permute_masked, reachable, run_json, run_text


def _by_kind(out: dict[str, Any], kind: str) -> set[str]:
    return {c["name"] for c in out["changes"] if c["change"] == kind}


def test_x86_64_vs_aarch64_commands(intro_10_0: Introspect, value_dir: Path) -> None:
    x86, arm = intro_10_0("x86_64"), intro_10_0("aarch64")
    a = write_value(value_dir, "10.0-x86_64.json", x86)
    b = write_value(value_dir, "10.0-aarch64.json", arm)
    status, out = run_json(a, b)

    gone = names(x86, "command") - names(arm, "command")
    new = names(arm, "command") - names(x86, "command")
    assert _by_kind(out, "command-removed") == gone
    assert _by_kind(out, "command-added") == new
    assert _by_kind(out, "event-removed") == names(x86, "event") - names(arm, "event")
    assert _by_kind(out, "event-added") == names(arm, "event") - names(x86, "event")
    # What the schema's conditions say: SEV/SGX (TARGET_I386) and the GIC (TARGET_ARM).
    assert {"query-sev", "query-sgx", "sev-inject-launch-secret"} <= gone
    assert "query-gic-capabilities" in new
    assert status == 1 and not out["compatible"]

    status, out = run_json(b, a)
    assert _by_kind(out, "command-removed") == new
    assert _by_kind(out, "command-added") == gone
    assert status == 1


def test_x86_64_vs_aarch64_types_agree(intro_10_0: Introspect, value_dir: Path) -> None:
    """Every type the two targets share (by real name, from the unmasked values) is the same in
    both, so nothing beyond commands and events may be reported."""
    ux, ua = intro_10_0("x86_64", unmask=True), intro_10_0("aarch64", unmask=True)
    by_name = {e["name"]: e for e in ux}
    shared = [e for e in ua if e["meta-type"] not in ("command", "event") and e["name"] in by_name]
    assert shared and all(by_name[e["name"]] == e for e in shared)
    for c in ("command", "event"):
        common = names(ux, c) & names(ua, c)
        assert all(by_name[e["name"]] == e for e in ua if e["name"] in common)

    a = write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64"))
    b = write_value(value_dir, "10.0-aarch64.json", intro_10_0("aarch64"))
    _, out = run_json(a, b)
    kinds = {c["change"] for c in out["changes"]}
    assert kinds <= {"command-added", "command-removed", "event-added", "event-removed"}


def test_same_build_twice(intro_10_0: Introspect, value_dir: Path, tmp_path: Path) -> None:
    a = write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64"))
    b = write_value(tmp_path, "copy.json", intro_10_0("x86_64"))
    assert run_text(a, b) == (0, SAME)
    status, out = run_json(a, b)
    assert status == 0 and out["changes"] == [] and out["compatible"]


def test_permuted_masked_numbers(intro_10_0: Introspect, value_dir: Path,
                                 tmp_path: Path) -> None:
    x86 = intro_10_0("x86_64")
    a = write_value(value_dir, "10.0-x86_64.json", x86)
    for seed in range(3):
        permuted = permute_masked(x86, seed)
        assert {e["name"] for e in permuted} != {e["name"] for e in x86}
        b = write_value(tmp_path, f"permuted-{seed}.json", permuted)
        assert run_text(a, b) == (0, SAME)
        assert run_text(b, a) == (0, SAME)

    # Against another build too: the same report whatever the numbering.
    arm = write_value(value_dir, "10.0-aarch64.json", intro_10_0("aarch64"))
    b = write_value(tmp_path, "permuted.json", permute_masked(x86, 7))
    assert run_text(arm, a) == run_text(arm, b)


def test_qmp_reply_holding_a_value(intro_10_0: Introspect, value_dir: Path,
                                   tmp_path: Path) -> None:
    a = write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64"))
    b = write_value(tmp_path, "reply.json", {"return": intro_10_0("x86_64"), "id": "x"})
    assert run_text(a, b) == (0, SAME)


def test_10_0_vs_10_2(intro_10_0: Introspect, intro_10_2: Introspect, value_dir: Path) -> None:
    old, new = intro_10_0("x86_64"), intro_10_2("x86_64")
    a = write_value(value_dir, "10.0-x86_64.json", old)
    b = write_value(value_dir, "10.2-x86_64.json", new)
    status, out = run_json(a, b)
    added = _by_kind(out, "command-added")
    assert added == names(new, "command") - names(old, "command")
    assert _by_kind(out, "command-removed") == names(old, "command") - names(new, "command")
    # 10.2 dropped the TARGET_* conditions: the GIC query now exists on x86_64 too.
    assert "query-gic-capabilities" in added
    assert status == (1 if any(c["breaking"] for c in out["changes"]) else 0)
    status_text, text = run_text(a, b)
    assert status_text == status
    assert "query-gic-capabilities" in text


def _member_sets(value: list[dict[str, Any]]) -> dict[str, set[str]]:
    live = reachable(value)
    return {e["name"]: {m["name"] for m in e.get("members", [])}
            for e in value if e["meta-type"] == "object" and e["name"] in live}


def _enum_sets(value: list[dict[str, Any]]) -> dict[str, set[str]]:
    live = reachable(value)
    return {e["name"]: {m["name"] for m in e["members"]}
            for e in value if e["meta-type"] == "enum" and e["name"] in live}


def test_10_0_vs_10_2_masked_like_unmasked(intro_10_0: Introspect, intro_10_2: Introspect,
                                           value_dir: Path) -> None:
    """Masked type numbers must not change the report: it is the same as between the unmasked
    values, whose type names do correspond."""
    masked = run_json(write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64")),
                      write_value(value_dir, "10.2-x86_64.json", intro_10_2("x86_64")))
    ua, ub = intro_10_0("x86_64", unmask=True), intro_10_2("x86_64", unmask=True)
    unmasked = run_json(write_value(value_dir, "10.0-x86_64-u.json", ua),
                        write_value(value_dir, "10.2-x86_64-u.json", ub))
    assert masked[0] == unmasked[0]
    assert masked[1]["changes"] == unmasked[1]["changes"]

    # Members and enum values that named types (reached in both) gained or lost, by name.
    _, out = unmasked
    reported_gone = {c["member"] for c in out["changes"] if c["change"] == "member-removed"}
    reported_new = {c["member"] for c in out["changes"] if c["change"] == "member-added"}
    ma, mb = _member_sets(ua), _member_sets(ub)
    common = ma.keys() & mb.keys()
    assert {m for t in common for m in ma[t] - mb[t]} == reported_gone
    assert {m for t in common for m in mb[t] - ma[t]} == reported_new
    ea, eb = _enum_sets(ua), _enum_sets(ub)
    common = ea.keys() & eb.keys()
    assert {v for t in common for v in eb[t] - ea[t]} == \
        {c["value"] for c in out["changes"] if c["change"] == "enum-value-added"}
    assert {v for t in common for v in ea[t] - eb[t]} == \
        {c["value"] for c in out["changes"] if c["change"] == "enum-value-removed"}
