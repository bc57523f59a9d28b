"""Short, readable differences between two introspection values (lists of schema entities)."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

_SHOW = 160


def _short(v: Any) -> str:
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= _SHOW else s[: _SHOW - 3] + "..."


def _walk(path: str, exp: Any, act: Any, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(exp, dict) and isinstance(act, dict):
        for k in sorted(set(exp) | set(act)):
            if len(out) >= limit:
                return
            p = f"{path}.{k}"
            if k not in act:
                out.append(f"{p}: missing, expected {_short(exp[k])}")
            elif k not in exp:
                out.append(f"{p}: unexpected {_short(act[k])}")
            else:
                _walk(p, exp[k], act[k], out, limit)
    elif isinstance(exp, list) and isinstance(act, list):
        for i, (e, a) in enumerate(zip(exp, act, strict=False)):
            if len(out) >= limit:
                return
            _walk(f"{path}[{i}]", e, a, out, limit)
        if len(exp) != len(act) and len(out) < limit:
            n = min(len(exp), len(act))
            extra = exp[n:] if len(exp) > n else act[n:]
            what = "missing" if len(exp) > n else "unexpected"
            out.append(f"{path}: length {len(act)}, expected {len(exp)}; {what} from [{n}]: "
                       f"{_short(extra[0])}")
    elif exp != act or type(exp) is not type(act):
        out.append(f"{path}: got {_short(act)}, expected {_short(exp)}")


_NUMBERED = re.compile(r"^\[*\d+\]*$")


def _normalized(v: Any) -> Any:
    """*v* with the masked type numbers ("12", "[12]") blanked, so that an entity missing early
    does not make every later one differ."""
    if isinstance(v, dict):
        return {k: _normalized(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_normalized(x) for x in v]
    if isinstance(v, str) and _NUMBERED.match(v):
        return re.sub(r"\d+", "#", v)          # "12" -> "#", "[12]" -> "[#]"
    return v


def _align(exp: list[Any], act: list[Any], out: list[str], limit: int) -> None:
    """Entities added, removed, moved or changed, after aligning the two lists on their
    contents (type numbers blanked)."""
    ke = [json.dumps(_normalized(e), sort_keys=True) for e in exp]
    ka = [json.dumps(_normalized(a), sort_keys=True) for a in act]
    sm = difflib.SequenceMatcher(None, ke, ka, autojunk=False)
    removed: list[int] = []
    added: list[int] = []
    changed: list[tuple[int, int]] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            changed += [(i1 + k, j1 + k) for k in range(i2 - i1)]
            continue
        removed += range(i1, i2)
        added += range(j1, j2)
    # pair up same-named entities; what is left is removed / added
    by_name = {n: j for j in added if (n := _name(act[j])) is not None}
    paired: set[int] = set()
    still_removed: list[int] = []
    for i in removed:
        name = _name(exp[i])
        j = by_name.get(name) if name is not None else None
        if j is not None and j not in paired:
            paired.add(j)
            changed.append((i, j))
        else:
            still_removed.append(i)
    removed = still_removed
    added = [j for j in added if j not in paired]
    # an entity removed here and added there (same contents) has moved
    added_at: dict[str, list[int]] = {}
    for j in added:
        added_at.setdefault(ka[j], []).append(j)
    events: list[tuple[int, str]] = []
    moved_to: set[int] = set()
    for i in removed:
        js = added_at.get(ke[i])
        if js:
            j = js.pop(0)
            moved_to.add(j)
            events.append((i, f"~ moved: expected at [{i}], actual at [{j}]: {_short(exp[i])}"))
        else:
            events.append((i, f"- missing: expected [{i}] {_short(exp[i])}"))
    for j in added:
        if j not in moved_to:
            events.append((j, f"+ unexpected: actual [{j}] {_short(act[j])}"))
    for i, j in changed:
        sub: list[str] = []
        _walk(f"$[{j}]", exp[i], act[j], sub, 3)
        events.append((i, "\n  ".join(sub)))
    for _, text in sorted(events, key=lambda e: e[0]):
        if len(out) >= limit:
            return
        out.append(text)


def _name(v: Any) -> str | None:
    n = v.get("name") if isinstance(v, dict) else None
    return n if isinstance(n, str) and not _NUMBERED.match(n) else None


def _entity_names(v: Any) -> list[str]:
    if not isinstance(v, list):
        return []
    return [e["name"] for e in v if isinstance(e, dict) and isinstance(e.get("name"), str)]


def describe(expected: Any, actual: Any, limit: int = 12) -> str:
    """A few lines telling how *actual* differs from *expected* ('' when equal).

    For lists of schema entities, first the named (non-numbered) entities present on one side
    only, then the first differing positions."""
    if expected == actual:
        return ""
    lines: list[str] = []
    en, an = _entity_names(expected), _entity_names(actual)
    if en or an:
        lines.append(f"entities: {len(an)} actual vs {len(en)} expected")
        named_e = {n for n in en if not n.isdigit() and not n.startswith("[")}
        named_a = {n for n in an if not n.isdigit() and not n.startswith("[")}
        if named_e - named_a:
            miss = sorted(named_e - named_a)
            lines.append(f"missing ({len(miss)}): {', '.join(miss[:15])}"
                         + (" ..." if len(miss) > 15 else ""))
        if named_a - named_e:
            extra = sorted(named_a - named_e)
            lines.append(f"unexpected ({len(extra)}): {', '.join(extra[:15])}"
                         + (" ..." if len(extra) > 15 else ""))
    first: list[str] = []
    if en and an and isinstance(expected, list) and isinstance(actual, list):
        _align(expected, actual, first, limit)
    if not first:
        _walk("$", expected, actual, first, limit)
    lines.append("first differences:")
    lines.extend("  " + d for d in first)
    return "\n".join(lines)
