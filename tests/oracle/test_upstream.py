"""Tests of the oracles themselves: the C condition evaluator, the QLit reader, the target rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.oracle.diff import describe
from tests.oracle.targets import softmmu_targets, target_config, target_symbols
from tests.oracle.upstream import (
    OracleError,
    UpstreamOracle,
    conditions,
    eval_c_condition,
    evaluate,
    parse_qlit,
)


@pytest.mark.parametrize(("expr", "defined", "want"), [
    ("defined(A)", {"A"}, True),
    ("defined(A)", set(), False),
    ("defined A", {"A"}, True),
    ("!defined(A)", set(), True),
    ("!defined(A)", {"A"}, False),
    ("!!defined(A)", {"A"}, True),
    ("defined(A) && defined(B)", {"A"}, False),
    ("defined(A) && defined(B)", {"A", "B"}, True),
    ("defined(A) || defined(B)", {"B"}, True),
    ("defined(A) || defined(B)", set(), False),
    # && binds tighter than ||
    ("defined(A) || defined(B) && defined(C)", {"A"}, True),
    ("defined(A) || defined(B) && defined(C)", {"B"}, False),
    ("(defined(A) || defined(B)) && defined(C)", {"A"}, False),
    ("(defined(A) || defined(B)) && defined(C)", {"A", "C"}, True),
    ("!(defined(A) || defined(B))", set(), True),
    ("!(defined(A) || defined(B))", {"B"}, False),
    ("!defined(A) && (defined(B) || !defined(C))", set(), True),
    ("!defined(A) && (defined(B) || !defined(C))", {"C"}, False),
    ("(((defined(TARGET_I386))))", {"TARGET_I386"}, True),
    ("defined(CONFIG_LINUX)&&!defined(CONFIG_WIN32)", {"CONFIG_LINUX"}, True),
    ("1", set(), True),
    ("0 || defined(A)", set(), False),
])
def test_eval_c_condition(expr: str, defined: set[str], want: bool) -> None:
    assert eval_c_condition(expr, defined) is want


@pytest.mark.parametrize("bad", ["defined(A", "defined(A) &&", "A", "defined(A) defined(B)",
                                 "defined()", "defined(A) & defined(B)", ""])
def test_eval_c_condition_rejects(bad: str) -> None:
    with pytest.raises(OracleError):
        eval_c_condition(bad, {"A"})


SAMPLE = r'''
/* AUTOMATICALLY GENERATED */
#include "qemu/osdep.h"

const QLitObject qmp_schema_qlit = QLIT_QLIST(((QLitObject[]) {
    QLIT_QDICT(((QLitDictEntry[]) {
        { "name", QLIT_QSTR("always"), },
        { "flag", QLIT_QBOOL(true), },
        { "default", QLIT_QNULL, },
        { "n", QLIT_QNUM(-7), },
        { "esc", QLIT_QSTR("a\"b\\c" "d"), },
        {}
    })),
#if defined(A) && !defined(B)
    /* "1" = Foo */
    QLIT_QDICT(((QLitDictEntry[]) {
        { "name", QLIT_QSTR("a-not-b"), },
#if defined(C)
        { "c", QLIT_QBOOL(false), },
#endif /* defined(C) */
        { "list", QLIT_QLIST(((QLitObject[]) {
#if defined(D) || defined(C)
            QLIT_QSTR("cd"),
#elif defined(E)
            QLIT_QSTR("e"),
#else
            QLIT_QSTR("none"),
#endif
            QLIT_QSTR("x"),
            {}
        })), },
        {}
    })),
#endif /* defined(A) && !defined(B) */
    {}
}));

char qapi_dummy_qapi_introspect_c;
'''


def test_parse_and_evaluate_sample() -> None:
    tree = parse_qlit(SAMPLE)
    first = {"name": "always", "flag": True, "default": None, "n": -7, "esc": 'a"b\\cd'}
    assert evaluate(tree, set()) == [first]
    assert evaluate(tree, {"A", "B"}) == [first]
    assert evaluate(tree, {"A"}) == [first, {"name": "a-not-b", "list": ["none", "x"]}]
    assert evaluate(tree, {"A", "E"}) == [first, {"name": "a-not-b", "list": ["e", "x"]}]
    assert evaluate(tree, {"A", "C", "E"}) == [
        first, {"name": "a-not-b", "c": False, "list": ["cd", "x"]}]
    assert conditions(tree) == {"defined(A) && !defined(B)", "defined(C)",
                                "defined(D) || defined(C)", "defined(E)"}


@pytest.mark.parametrize("bad", [
    SAMPLE.replace("#endif /* defined(C) */", ""),            # unbalanced
    SAMPLE.replace("QLIT_QNULL", "QLIT_QWHAT"),                # unknown constructor
    SAMPLE.replace("qmp_schema_qlit", "other"),                # no such variable
    SAMPLE.replace('        { "flag", QLIT_QBOOL(true), },\n', '        { "flag" },\n'),
])
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(OracleError):
        parse_qlit(bad)


def test_describe() -> None:
    assert describe([{"name": "a"}], [{"name": "a"}]) == ""
    text = describe([{"name": "a", "x": 1}, {"name": "b"}], [{"name": "a", "x": 2}])
    assert "missing (1): b" in text
    assert "$[0].x: got 2, expected 1" in text


# --- against real trees ---------------------------------------------------------------------

def _names(value: Any) -> set[str]:
    return {e["name"] for e in value}


def test_sanity_10_0(oracle_10_0: UpstreamOracle, qemu_10_0: Path) -> None:
    schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    bare = oracle_10_0.introspect(schema, set())
    assert isinstance(bare, list)
    names = _names(bare)
    assert "query-status" in names
    assert "query-qmp-schema" in names
    assert "query-gic-capabilities" not in names
    assert "query-sev" not in names
    arm = _names(oracle_10_0.introspect(schema, {"TARGET_ARM"}))
    assert "query-gic-capabilities" in arm
    assert "query-sev" not in arm
    x86 = _names(oracle_10_0.introspect(schema, target_symbols(qemu_10_0, "x86_64")))
    assert {"query-sev", "rtc-reset-reinjection"} <= x86
    assert "query-gic-capabilities" not in x86
    # every symbol the conditions test is a CONFIG_*, TARGET_* or HAVE_* macro
    syms = oracle_10_0.symbols(schema)
    assert {"CONFIG_KVM", "TARGET_ARM", "TARGET_I386", "CONFIG_LINUX"} <= syms
    assert all(s.startswith(("CONFIG_", "TARGET_", "HAVE_")) for s in syms)


def test_unmask_10_0(oracle_10_0: UpstreamOracle, qemu_10_0: Path) -> None:
    schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    masked = oracle_10_0.introspect(schema, set())
    unmasked = oracle_10_0.introspect(schema, set(), unmask=True)
    assert isinstance(masked, list)
    assert isinstance(unmasked, list)
    assert len(masked) == len(unmasked)
    assert "query-status" in _names(unmasked)
    assert "StatusInfo" in _names(unmasked)      # real type names instead of numbers
    assert "StatusInfo" not in _names(masked)


def test_target_symbols(qemu_10_0: Path) -> None:
    targets = softmmu_targets(qemu_10_0)
    assert len(targets) == 29
    assert {"aarch64", "x86_64", "s390x", "riscv64"} <= set(targets)
    assert target_symbols(qemu_10_0, "aarch64") == {
        "TARGET_NAME", "TARGET_AARCH64", "TARGET_ARM", "TARGET_BIG_ENDIAN",
        "TARGET_SUPPORTS_MTTCG", "TARGET_KVM_HAVE_GUEST_DEBUG", "TARGET_NEED_FDT",
        "TARGET_LONG_BITS"}
    conf = target_config(qemu_10_0, "aarch64")
    assert conf["TARGET_BIG_ENDIAN"] == "0"          # 'n' -> 0, still defined
    assert conf["TARGET_LONG_BITS"] == "64"
    assert conf["TARGET_NAME"] == "aarch64"
    assert target_config(qemu_10_0, "s390x")["TARGET_BIG_ENDIAN"] == "1"
    i386 = target_symbols(qemu_10_0, "i386")
    assert "TARGET_I386" in i386
    assert "TARGET_X86_64" not in i386
    assert {"TARGET_X86_64", "TARGET_I386"} <= target_symbols(qemu_10_0, "x86_64")
    assert {"TARGET_PPC64", "TARGET_PPC"} <= target_symbols(qemu_10_0, "ppc64")
    assert {"TARGET_MIPS64", "TARGET_MIPS"} <= target_symbols(qemu_10_0, "mips64el")
    for t in targets:
        syms = target_symbols(qemu_10_0, t)
        assert "TARGET_ARCH" not in syms
        assert "TARGET_XML_FILES" not in syms
        assert "TARGET_BASE_ARCH" not in syms
        assert all(s.startswith("TARGET_") for s in syms)


def test_describe_aligns_entities() -> None:
    exp = [{"name": "a"}, {"name": "5", "meta-type": "array"}, {"name": "b", "x": 1},
           {"name": "c"}]
    act = [{"name": "a"}, {"name": "b", "x": 2}, {"name": "6", "meta-type": "array"},
           {"name": "d"}]
    text = describe(exp, act)
    assert "$[1].x: got 2, expected 1" in text
    assert "- missing: expected [3]" in text
    assert "+ unexpected: actual [3]" in text
    moved = describe([{"name": "1"}, {"name": "q"}, {"name": "r"}],
                     [{"name": "q"}, {"name": "r"}, {"name": "1"}])
    assert "~ moved: expected at [0], actual at [2]" in moved
