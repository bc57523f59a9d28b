"""Short, readable differences between two introspection values (lists of schema entities)."""

from __future__ import annotations

import json
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
    _walk("$", expected, actual, first, limit)
    lines.append("first differences:")
    lines.extend("  " + d for d in first)
    return "\n".join(lines)
