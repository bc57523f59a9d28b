"""Just enough C reading to compare two generators' output by what it declares and defines.

Layout, comments, include lines and blank lines are ignored; what is kept is each top-level
declaration (normalised spacing) or function definition, with the ``#if`` conditions around it.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_SPACE = re.compile(r"\s+")
_AROUND_PUNCT = re.compile(r"\s*([*(),{}\[\]=;])\s*")

Item = tuple[tuple[str, ...], str]


def _normalise(text: str) -> str:
    return _AROUND_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _lines(text: str) -> list[str]:
    """Lines without comments, continuation lines joined."""
    return _COMMENT.sub(" ", text).replace("\\\n", " ").splitlines()


def top_level(text: str) -> list[Item]:
    """Each top-level declaration, definition or ``#define`` of *text*, with its conditions.

    A function definition is reduced to its head (``void f(int x){``): bodies are not compared.
    The include guard is not a condition.
    """
    items: list[Item] = []
    conds: list[str] = []
    pending = ""
    depth = 0
    in_function = False
    for line in _lines(text):
        stripped = line.strip()
        if stripped.startswith("#"):
            directive, _, rest = stripped[1:].strip().partition(" ")
            if directive in ("if", "ifdef", "ifndef"):
                conds.append(f"{directive} {_normalise(rest)}")
            elif directive == "endif":
                conds.pop()
            elif directive == "define" and not rest.strip().endswith("_H"):
                items.append((tuple(conds[1:]), "#define " + _normalise(rest)))
            continue
        for ch in line:
            if in_function:
                depth += {"{": 1, "}": -1}.get(ch, 0)
                in_function = depth > 0
                continue
            pending += ch
            if ch == "{":
                depth += 1
                if depth == 1 and re.search(r"\)\s*\{$", pending):
                    items.append((tuple(conds[1:]), _normalise(pending)))
                    pending = ""
                    in_function = True
            elif ch == "}":
                depth -= 1
            elif ch == ";" and depth == 0:
                if pending.strip() != ";":
                    items.append((tuple(conds[1:]), _normalise(pending)))
                pending = ""
        pending += " "
    return items


def declarations(header: str) -> set[Item]:
    return set(top_level(header))


def external_definitions(source: str) -> set[Item]:
    """Functions and variables a ``.c`` file defines for other files (not ``static``), by
    head only; QEMU's placeholder variables (``qapi_dummy_*``) left out."""
    return {(conds, text) for conds, text in top_level(source)
            if not text.startswith("static") and "qapi_dummy_" not in text}


def identifiers(items: set[Item]) -> set[str]:
    """The names declared by *items*: the identifier before a ``(`` or the last one before
    ``=``/``;``, and enum constants."""
    names: set[str] = set()
    for _, text in items:
        if text.startswith("#define "):
            names.add(text.split()[1].split("(")[0])
            continue
        if text.startswith("typedef enum"):
            body = text[text.index("{") + 1:text.rindex("}")]
            names.update(m.split("=")[0] for m in body.split(",") if m)
            names.add(re.findall(r"\w+", text[text.rindex("}"):])[0])
            continue
        head = text.split("(")[0] if "(" in text.split("{")[0] else text.split("{")[0]
        found = re.findall(r"[A-Za-z_]\w*", head)
        if found:
            names.add(found[-1])
    return names


_INCLUDE = re.compile(r"^\s*#\s*include\b.*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\bchar qapi_dummy_\w+\s*;")


def code(source: str) -> str:
    """A C file's code, bodies included, for comparing two generators' output: comments,
    ``#include`` lines and QEMU's placeholder variable left out, spacing normalised."""
    text = _PLACEHOLDER.sub(" ", _INCLUDE.sub(" ", _COMMENT.sub(" ", source)))
    out: list[str] = []
    code_lines: list[str] = []    # C lines since the last directive: one unit, however wrapped
    for line in text.replace("\\\n", " ").splitlines():
        if line.lstrip().startswith("#"):
            out.extend([_normalise(" ".join(code_lines)), _normalise(line)])
            code_lines = []
        else:
            code_lines.append(line)
    out.append(_normalise(" ".join(code_lines)))
    return "\n".join(part for part in out if part)
