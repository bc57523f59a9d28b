"""Two generators' files compared token by token, comments and whitespace aside, and what kind
each difference is.

A file is a list of *units*: each preprocessor directive is one unit (its tokens joined: the
line structure is what the preprocessor reads), every other C token is a unit of its own.
Trace-events files are compared by the words of their lines that are not ``#`` comments.

The kinds of difference qapic's output has from upstream's, each the same C (docs/DESIGN.md):

- ``merged #if``: an ``#endif`` right before an ``#if`` of the same condition (upstream closes
  and reopens the block between two items; qapic writes one block);
- ``includes left out``: an ``#include`` upstream writes and qapic does not (never the other
  way round);
- ``moved inline function``: a ``static inline`` function defined at another place in the file.
"""

from __future__ import annotations

import re
from collections import Counter

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_TOKEN = re.compile(r"""
      "(?:\\.|[^"\\\n])*" | '(?:\\.|[^'\\\n])*'         # string and character literals
    | [A-Za-z_]\w*                                      # identifiers and keywords
    | \.?\d(?:[eEpP][+-]|[\w.])*                        # numbers (preprocessing numbers)
    | \.\.\. | <<= | >>= | -> | \+\+ | -- | << | >> | <= | >= | == | != | && | \|\|
    | [-+*/%&|^]= | \#\#
    | \S                                                # any other punctuator
""", re.VERBOSE)

MERGED_IF = "merged #if"
INCLUDES = "includes left out"
MOVED_INLINE = "moved inline function"
#: Every kind, in the order a file's difference is explained.
KINDS = (MERGED_IF, INCLUDES, MOVED_INLINE)


def units(text: str, trace_events: bool = False) -> list[str]:
    """*text* as units (see the module's docstring)."""
    if trace_events:
        return [word for line in text.splitlines()
                if not line.lstrip().startswith("#") for word in line.split()]
    out: list[str] = []
    for line in _COMMENT.sub(" ", text).replace("\\\n", " ").splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            out.append("#" + " ".join(_TOKEN.findall(stripped[1:])))
        else:
            out.extend(_TOKEN.findall(line))
    return out


def merge_ifs(seq: list[str]) -> list[str]:
    """*seq* with every ``#endif`` that is followed by an ``#if`` of the condition it closes
    removed, together with that ``#if``: one block instead of two adjacent ones."""
    out: list[str] = []
    open_ifs: list[str] = []
    i = 0
    while i < len(seq):
        unit = seq[i]
        if unit == "#endif" and open_ifs and i + 1 < len(seq) and seq[i + 1] == open_ifs[-1]:
            i += 2
            continue
        if unit.startswith(("#if ", "#ifdef ", "#ifndef ")):
            open_ifs.append(unit)
        elif unit == "#endif" and open_ifs:
            open_ifs.pop()
        out.append(unit)
        i += 1
    return out


def _includes(seq: list[str]) -> list[str]:
    return [unit for unit in seq if unit.startswith("#include")]


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(unit in rest for unit in short)


def _without_inline_functions(seq: list[str]) -> tuple[list[str], Counter[tuple[str, ...]]]:
    """*seq* without its top-level ``static inline`` function definitions, and those."""
    out: list[str] = []
    functions: Counter[tuple[str, ...]] = Counter()
    i = 0
    while i < len(seq):
        if seq[i:i + 2] == ["static", "inline"]:     # generated code has none in a body
            j = seq.index("{", i)
            depth = 0
            while True:
                depth += {"{": 1, "}": -1}.get(seq[j], 0)
                j += 1
                if depth == 0:
                    break
            functions[tuple(seq[i:j])] += 1
            i = j
            continue
        out.append(seq[i])
        i += 1
    return out, functions


def differences(upstream: list[str], ours: list[str]) -> list[str] | None:
    """The kinds of difference (:data:`KINDS`) that turn *upstream*'s units into *ours*; [] when
    they are identical, None when the difference is none of them."""
    kinds: list[str] = []
    if upstream == ours:
        return kinds
    merged_up, merged_ours = merge_ifs(upstream), merge_ifs(ours)
    if len(upstream) - len(merged_up) != len(ours) - len(merged_ours):
        kinds.append(MERGED_IF)         # one side has blocks the other has merged
    upstream, ours = merged_up, merged_ours
    if _includes(upstream) != _includes(ours):
        if not _is_subsequence(_includes(ours), _includes(upstream)):
            return None     # qapic includes something upstream does not, or reorders them
        upstream = [u for u in upstream if not u.startswith("#include")]
        ours = [u for u in ours if not u.startswith("#include")]
        kinds.append(INCLUDES)
    if upstream != ours:
        rest_up, functions_up = _without_inline_functions(upstream)
        rest_ours, functions_ours = _without_inline_functions(ours)
        if rest_up != rest_ours or functions_up != functions_ours:
            return None
        kinds.append(MOVED_INLINE)
    return kinds


def c_name_of_file(name: str) -> str:
    """The identifier of upstream's placeholder of file *name* (``scripts/qapi``'s c_fname)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)
