"""The condition model: properties that must hold for every condition, checked on random ones."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qapic import conditions
from qapic.conditions import (
    ALWAYS,
    NEVER,
    SymbolClasses,
    Target,
    TargetTable,
    from_json,
    partial,
    target_mask,
    to_c_preprocessor,
    visible,
)

SYMBOLS = ["TARGET_ARM", "TARGET_I386", "TARGET_S390X", "CONFIG_KVM", "CONFIG_SPICE", "CONFIG_VNC"]

cond_json = st.recursive(
    st.sampled_from(SYMBOLS),
    lambda inner: st.one_of(
        st.builds(lambda c: {"not": c}, inner),
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)
assignments = st.fixed_dictionaries({s: st.booleans() for s in SYMBOLS})


def eval_c(expr: str, values: dict[str, bool]) -> bool:
    """Evaluate a C preprocessor expression the way cpp would, independently of the model."""
    py = re.sub(r"defined\((\w+)\)", lambda m: str(values.get(m.group(1), False)), expr)
    py = py.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    result = eval(py, {"__builtins__": {}})  # our own generated text
    assert isinstance(result, bool)
    return result


@given(cond_json)
def test_json_round_trip(raw: object) -> None:
    assert from_json(raw).to_json() == raw


@given(cond_json, assignments)
def test_preprocessor_rendering_means_the_same(raw: object, values: dict[str, bool]) -> None:
    cond = from_json(raw)
    assert eval_c(to_c_preprocessor(cond), values) == cond.evaluate(values.__getitem__)


@settings(max_examples=300)
@given(cond_json, assignments, st.sets(st.sampled_from(SYMBOLS)))
def test_partial_evaluation_agrees_with_full(
    raw: object, values: dict[str, bool], decided: set[str]
) -> None:
    cond = from_json(raw)
    rest = partial(cond, lambda s: values[s] if s in decided else None)
    assert rest.symbols() <= set(SYMBOLS) - decided
    assert rest.evaluate(values.__getitem__) == cond.evaluate(values.__getitem__)
    if not rest.symbols():
        assert rest in (ALWAYS, NEVER)


def test_conjoin_flattens_and_drops_always() -> None:
    a, b = from_json("A"), from_json("B")
    assert conditions.conjoin(ALWAYS, a) == a
    assert conditions.conjoin(a, conditions.conjoin(a, b)) == from_json({"all": ["A", "B"]})
    assert conditions.conjoin() is ALWAYS


def test_disjoin_keeps_each_condition_once_and_absorbs_always() -> None:
    a, b = from_json("A"), from_json("B")
    assert conditions.disjoin(a, b, a) == from_json({"any": ["A", "B"]})
    assert conditions.disjoin(a, a) == a
    assert conditions.disjoin(a, ALWAYS, b) is ALWAYS
    assert conditions.disjoin() is NEVER


def test_runtime_classification_by_globs() -> None:
    classes = SymbolClasses()
    assert classes.is_runtime("TARGET_ARM") and classes.is_runtime("CONFIG_KVM")
    assert not classes.is_runtime("CONFIG_SPICE") and not classes.is_runtime("CONFIG_KVM_X")
    mixed = from_json({"all": ["TARGET_S390X", "CONFIG_KVM", "CONFIG_LINUX"]})
    assert classes.runtime_symbols(mixed) == {"TARGET_S390X", "CONFIG_KVM"}
    assert classes.build_symbols(mixed) == {"CONFIG_LINUX"}
    assert SymbolClasses.parse("TARGET_*, CONFIG_TCG").is_runtime("CONFIG_TCG")


def _table() -> TargetTable:
    def t(name: str, *syms: str, kvm: bool = False) -> Target:
        return Target(name, name, name, frozenset(syms), kvm)
    return TargetTable((
        t("aarch64", "TARGET_AARCH64", "TARGET_ARM"),
        t("s390x", "TARGET_S390X", kvm=True),
        t("x86_64", "TARGET_X86_64", "TARGET_I386", kvm=True),
    ))


def test_target_masks_and_the_multi_target_policy() -> None:
    table = _table()
    arm_or_x86 = from_json({"any": ["TARGET_ARM", "TARGET_I386"]})
    kvm_s390 = from_json({"all": ["TARGET_S390X", "CONFIG_KVM"]})
    assert table.names_in(target_mask(arm_or_x86, table)) == ["aarch64", "x86_64"]
    assert table.names_in(target_mask(kvm_s390, table)) == ["s390x"]
    assert target_mask(ALWAYS, table) == table.all_mask
    spice = from_json("CONFIG_SPICE")
    assert target_mask(spice, table) == 0
    assert target_mask(spice, table, build_defined=lambda s: s == "CONFIG_SPICE") == table.all_mask
    gic = target_mask(from_json("TARGET_ARM"), table)
    assert visible(gic, table.mask(["aarch64"]))
    assert not visible(gic, table.mask(["x86_64"]))
    assert visible(gic, table.mask(["x86_64", "aarch64"]))


def test_availability_in_plain_words() -> None:
    table = _table()

    def say(raw: object, kvm_known: bool = False) -> str:
        cond = from_json(raw)
        where = conditions.availability(cond, table, kvm_known=kvm_known)
        return conditions.describe_availability(where, table)

    assert say(None) == ""
    assert say({"any": ["TARGET_I386", "TARGET_ARM"]}) == "only on aarch64 and x86_64"
    assert say("CONFIG_SPICE") == "needs a build with CONFIG_SPICE"
    assert say({"all": ["TARGET_S390X", "CONFIG_KVM"]}) == \
        "only on s390x, in a build with CONFIG_KVM"
    assert say({"all": ["TARGET_S390X", "CONFIG_KVM"]}, kvm_known=True) == "only on s390x"
    assert say({"not": "TARGET_ARM"}) == "only on s390x and x86_64"
    assert say({"not": "TARGET_S390X"}, kvm_known=True) == "only on aarch64 and x86_64"
    assert say({"all": ["TARGET_ARM", {"not": "TARGET_ARM"}]}) == "on no target"
    assert say({"any": ["TARGET_ARM", {"all": ["TARGET_I386", "CONFIG_SPICE"]}]}) == \
        "on aarch64; on x86_64, in a build with CONFIG_SPICE"


@settings(max_examples=300)
@given(cond_json, assignments)
def test_runtime_split_is_exact(raw: object, values: dict[str, bool]) -> None:
    """Compiled once, with the build-time part in the preprocessor and the rest as a target
    mask: on every target, every build, the result is the per-target build's."""
    table = _table()
    classes = SymbolClasses()
    cond = from_json(raw)
    split = conditions.split_runtime(cond, table, classes)
    build_defined = {s for s, v in values.items() if v and not classes.is_runtime(s)}
    holding = [mask for case, mask in split.cases if case.holds_for(build_defined)]
    assert len(holding) <= 1                                   # the cases are exclusive
    assert split.exists.holds_for(build_defined) == bool(holding)
    assert split.exists.symbols() <= classes.build_symbols(cond)
    for target in table:
        per_target = conditions.holds_on(cond, target, table, classes,
                                         build_defined.__contains__)
        assert per_target == bool(holding and holding[0] & table.bit(target.name))


def test_runtime_split_shapes() -> None:
    table = _table()
    pure = conditions.split_runtime(from_json({"any": ["TARGET_ARM", "TARGET_I386"]}), table)
    assert pure.exists is ALWAYS and pure.cases == ((ALWAYS, table.mask(["aarch64", "x86_64"])),)
    build_only = conditions.split_runtime(from_json("CONFIG_SPICE"), table)
    assert build_only.exists == from_json("CONFIG_SPICE")
    assert not build_only.needs_runtime_check(table)
    mixed = conditions.split_runtime(from_json({"all": ["TARGET_ARM", "CONFIG_SPICE"]}), table)
    assert mixed.exists == from_json("CONFIG_SPICE")
    assert mixed.cases == ((from_json("CONFIG_SPICE"), table.mask(["aarch64"])),)
    nowhere = conditions.split_runtime(from_json({"all": ["TARGET_ARM", "TARGET_S390X"]}), table)
    assert nowhere.exists is NEVER and nowhere.cases == ()


def test_runtime_split_keeping_what_no_built_target_has() -> None:
    # A build whose s390x has no KVM: s390x's KVM-only items exist on no target of the build,
    # yet a QEMU whose own stubs use their declarations (10.1+) needs them compiled in.
    table = TargetTable(tuple(t.with_kvm(False) for t in _table()))
    kvm_s390x = from_json({"all": ["TARGET_S390X", "CONFIG_KVM"]})
    assert conditions.split_runtime(kvm_s390x, table).exists is NEVER
    kept = conditions.split_runtime(kvm_s390x, table, keep_unavailable=True)
    assert kept.exists is ALWAYS and kept.cases == ((ALWAYS, 0),)
    assert kept.needs_runtime_check(table)
    mixed = conditions.split_runtime(from_json({"all": ["CONFIG_SPICE", "TARGET_PPC"]}), table,
                                     keep_unavailable=True)
    assert mixed.exists == from_json("CONFIG_SPICE") and mixed.cases == (
        (from_json("CONFIG_SPICE"), 0),)
    # what can hold on no target at all stays out
    never = from_json({"all": ["TARGET_ARM", {"not": "TARGET_ARM"}]})
    assert conditions.split_runtime(never, table, keep_unavailable=True).exists is NEVER
