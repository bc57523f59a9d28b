"""carry-conditions measured where the answer is known, and chained from release to release.

*Real history* (issue 21, item 9): QEMU 10.0.13's schema with its run-time conditions
(``TARGET_*``, ``CONFIG_KVM``) deleted, as upstream deleted them in 10.1, is the NEW schema; 7.2
is OLD.  What carry-conditions puts back is compared, item by item, with the conditions 10.0.13
really has (definitions, members, enum values, branches, features; read and compared by the
test's own reader and evaluator, tests/carry/qapi_text.py).  Every difference is listed below
with the reason; precision and recall are printed.  Items new since 7.2 that have a run-time
condition in 10.0 cannot be carried: carry-conditions must list each of them (or its
definition) as new, for review.

*Chained* (item 10): carrying 10.0 -> 10.2 directly, and then 10.2 (with that result as its
own conditions) -> 10.2, give the same conditions; 10.2 with the shipped file carried onto
itself gives the shipped file's conditions.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.carry.qapi_text import top_level, write
from tests.carry.rewrite import kind_of, read_entries
from tests.support import REPO, qemu_source

SHIPPED_10_2 = REPO / "qapic" / "carried" / "qemu-10.2.json"
Item = tuple[str, ...]


def _runtime(sym: str) -> bool:
    return sym.startswith("TARGET_") or sym == "CONFIG_KVM"


def _symbols(cond: Any) -> set[str]:
    if cond is None:
        return set()
    if isinstance(cond, str):
        return {cond}
    ((_op, arg),) = cond.items()
    return set().union(*map(_symbols, arg if isinstance(arg, list) else [arg]))


def _holds(cond: Any, defined: set[str]) -> bool:
    if cond is None:
        return True
    if isinstance(cond, str):
        return cond in defined
    ((op, arg),) = cond.items()
    if op == "not":
        return not _holds(arg, defined)
    values = [_holds(c, defined) for c in arg]
    return all(values) if op == "all" else any(values)


def _same(a: Any, b: Any) -> bool:
    """Whether conditions *a* and *b* hold in exactly the same builds (truth tables)."""
    syms = sorted(_symbols(a) | _symbols(b))
    return all(_holds(a, set(on)) == _holds(b, set(on))
               for n in range(len(syms) + 1) for on in itertools.combinations(syms, n))


def _strip(cond: Any) -> Any:
    """*cond* with the run-time symbols deleted, as upstream deleted them: an item that was
    only on some targets is on every target."""
    if cond is None:
        return None
    if isinstance(cond, str):
        return None if _runtime(cond) else cond
    ((op, arg),) = cond.items()
    if op == "not":
        inner = _strip(arg)
        return None if inner is None else {"not": inner}
    if op == "any" and any(_runtime(s) for s in _symbols(cond)):
        return None
    parts = [p for p in map(_strip, arg) if p is not None]
    return None if not parts else parts[0] if len(parts) == 1 else {op: parts}


# --- the test's own walk over schema expressions ---------------------------------------------


def _named(value: Any) -> dict[str, Any]:
    """The items of a 'data'/'base' value by name (a type name, no items: empty)."""
    if isinstance(value, list):
        return {v if isinstance(v, str) else v["name"]: v for v in value}
    if isinstance(value, dict):
        return {k.lstrip("*"): v for k, v in value.items()}
    return {}


def _features(owner: Any) -> dict[str, Any]:
    if not isinstance(owner, dict):
        return {}
    return {f if isinstance(f, str) else f["name"]: f for f in owner.get("features", [])}


def _if(value: Any) -> Any:
    return value.get("if") if isinstance(value, dict) else None


def items_of(schema_dir: Path) -> dict[Item, Any]:
    """Every definition, item and feature of the schema in *schema_dir*, with its 'if'."""
    out: dict[Item, Any] = {}
    for path in sorted(schema_dir.glob("*.json")):
        for e in top_level(path.read_text(encoding="utf-8")):
            kind = kind_of(e.value)
            if kind is None:
                continue
            name = e.value[kind]
            out[(kind, name)] = e.value.get("if")
            for fname, feat in _features(e.value).items():
                out[(kind, name, "feature", fname)] = _if(feat)
            for part in ("base", "data"):
                for iname, item in _named(e.value.get(part)).items():
                    out[(kind, name, part, iname)] = _if(item)
                    for fname, feat in _features(item).items():
                        out[(kind, name, part, iname, "feature", fname)] = _if(feat)
    return out


def strip_into_copy(schema_dir: Path, dest: Path) -> Path:
    """A copy of *schema_dir* with every run-time symbol deleted from every condition."""
    shutil.copytree(schema_dir, dest)

    def strip_item(holder: dict[str, Any]) -> None:
        if "if" in holder:
            stripped = _strip(holder["if"])
            if stripped is None:
                del holder["if"]
            else:
                holder["if"] = stripped
        for f in holder.get("features", []):
            if isinstance(f, dict):
                strip_item(f)

    for path in sorted(dest.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        pieces, last = [], 0
        for e in top_level(text):
            if kind_of(e.value) is None:
                continue
            strip_item(e.value)
            for part in ("base", "data"):
                for item in _named(e.value.get(part)).values():
                    if isinstance(item, dict):
                        strip_item(item)
            pieces += [text[last:e.start], write(e.value)]
            last = e.end
        path.write_text("".join(pieces) + text[last:], encoding="utf-8")
    return dest / "qapi-schema.json"


def carried_items(conditions_file: Path) -> dict[Item, Any]:
    """The conditions a conditions file adds, by item (the format's documented keys)."""
    out: dict[Item, Any] = {}
    for (kind, name), entry in read_entries(conditions_file).items():
        if "if" in entry:
            out[(kind, name)] = entry["if"]
        for fname, feat in entry.get("features", {}).items():
            out[(kind, name, "feature", fname)] = feat["if"]
        for part in ("base", "data"):
            for iname, item in entry.get(part, {}).items():
                if "if" in item:
                    out[(kind, name, part, iname)] = item["if"]
                for fname, feat in item.get("features", {}).items():
                    out[(kind, name, part, iname, "feature", fname)] = feat["if"]
    return out


def _carry(old: Path, new: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", "carry-conditions", str(old),
                           str(new), "-o", str(out), *args], capture_output=True, text=True,
                          timeout=300)


# --- real history: 7.2 carried onto 10.0.13 without its conditions ---------------------------

#: Where 10.0.13's real conditions differ from 7.2's carried ones, and why: upstream widened
#: the condition between 7.2 and 10.0 (a target implemented the command), which no carrying
#: from 7.2 can know. Exactly these differ.
_LOONGARCH_RISCV = ("LoongArch and RISC-V implement CPU model expansion since 7.2: 10.0's "
                    "condition adds TARGET_LOONGARCH64 and TARGET_RISCV to 7.2's S390X, I386, "
                    "ARM")
_RISCV = ("RISC-V implements query-cpu-definitions since 7.2: 10.0's condition adds "
          "TARGET_RISCV to 7.2's PPC, ARM, I386, S390X, MIPS, LOONGARCH64")
CHANGED_SINCE_7_2: dict[Item, str] = {
    ("command", "query-cpu-model-expansion"): _LOONGARCH_RISCV,
    ("struct", "CpuModelExpansionInfo"): _LOONGARCH_RISCV,
    ("command", "query-cpu-definitions"): _RISCV,
    ("struct", "CpuDefinitionInfo"): _RISCV,
}


def test_carried_from_7_2_against_the_real_10_0(tmp_path: Path) -> None:
    old = qemu_source("7.2") / "qapi" / "qapi-schema.json"
    real_dir = qemu_source("10.0") / "qapi"
    new = strip_into_copy(real_dir, tmp_path / "qapi")
    out = tmp_path / "carried.json"
    proc = _carry(old, new, out, "--lenient-docs", "--qemu-src", str(qemu_source("10.0")))
    assert proc.returncode in (0, 1), proc.stderr
    real = items_of(real_dir)
    stripped = items_of(new.parent)
    before = items_of(old.parent)
    carried = carried_items(out)
    both = [k for k in real if k in before]
    matched, differ = [], {}
    for item in both:
        got = stripped[item] if item not in carried else (
            carried[item] if stripped[item] is None else {"all": [stripped[item], carried[item]]})
        relevant = any(_runtime(s) for s in _symbols(real[item]) | _symbols(carried.get(item)))
        if not relevant:
            continue
        if _same(got, real[item]):
            matched.append(item)
        else:
            differ[item] = (real[item], carried.get(item))
    precision = len([i for i in matched if i in carried]) / max(1, len(carried))
    recall = len(matched) / max(1, len([i for i in both if any(
        _runtime(s) for s in _symbols(real[i]))]))
    print(f"7.2 -> 10.0.13 stripped: {len(carried)} carried, {len(matched)} as in 10.0.13, "
          f"{len(differ)} differ; precision {precision:.3f}, recall {recall:.3f}")
    # Items new since 7.2 with a run-time condition in 10.0: listed as new, for review.
    listed = set(re.findall(r"^#   (.*)$", out.read_text(), re.M))
    unlisted, found = [], 0
    for item, cond in real.items():
        if item in before or not any(_runtime(s) for s in _symbols(cond)):
            continue
        kind, name = item[0], item[1]
        if f"{kind} '{name}'" in listed or (len(item) == 4 and any(
                line.endswith(f"'{item[3]}' of {kind} '{name}'") for line in listed)):
            found += 1
            continue
        if len(item) > 4 or item[2] == "feature":
            continue        # a feature of something new or changed: its owner is listed
        unlisted.append(item)
    print(f"new since 7.2 with a run-time condition in 10.0.13, listed for review: {found}")
    assert not unlisted, unlisted
    assert found >= 10
    assert set(differ) == set(CHANGED_SINCE_7_2), differ
    for item, (real_cond, carried_cond) in differ.items():
        # Each explained difference is a widening: 10.0 holds wherever 7.2's carried one does.
        assert all(_holds(real_cond, {s}) for s in _symbols(carried_cond)), item
    assert len(matched) == len(carried) - len(differ)


# --- chained carry -----------------------------------------------------------------------------


def test_chained_carry_gives_the_same_conditions(tmp_path: Path) -> None:
    v10_0 = qemu_source("10.0") / "qapi" / "qapi-schema.json"
    v10_2 = qemu_source("10.2") / "qapi" / "qapi-schema.json"
    direct, chained, shipped = (tmp_path / n for n in ("direct.json", "chained.json",
                                                      "shipped.json"))
    proc = _carry(v10_0, v10_2, direct)
    assert proc.returncode == 1 and "SGXInfo" in proc.stderr     # renamed SgxInfo in 10.1
    proc = _carry(v10_2, v10_2, chained, "--old-conditions", str(direct))
    assert proc.returncode == 0, proc.stderr
    assert carried_items(chained) == carried_items(direct)
    assert "New since OLD" not in chained.read_text()
    proc = _carry(v10_2, v10_2, shipped, "--old-conditions", str(SHIPPED_10_2))
    assert proc.returncode == 0, proc.stderr
    assert carried_items(shipped) == carried_items(SHIPPED_10_2)
    assert len(carried_items(SHIPPED_10_2)) > len(carried_items(direct)) > 20
