"""What a generated C header declares, as a set of comparable items.

Enough of C to read QAPI's generated headers, not a C parser: comments and the include guard
are dropped, every other preprocessor line and every declaration becomes one :class:`Decl`
carrying the ``#if`` conditions around it.  Struct and union members, and enum constants, are
items of their own, so that two headers that declare the same API in another order or layout
compare equal and a single differing member shows as one item.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9][A-Za-z0-9_.]*)
  | (?P<punct>->|<<|>>|&&|\|\||==|!=|<=|>=|\.\.\.|[{}()\[\];,*&=<>!+\-/.:?|~^%])
  | (?P<space>\s+)
""", re.VERBOSE)


@dataclass(frozen=True, order=True)
class Decl:
    kind: str           # include, define, typedef, struct, member, enum, constant, function, ...
    text: str           # normalised: tokens joined by one space
    cond: tuple[str, ...] = ()    # the #if expressions around it, outermost first

    def __str__(self) -> str:
        where = f"  [if {' && '.join(self.cond)}]" if self.cond else ""
        return f"{self.kind}: {self.text}{where}"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def _norm_expr(expr: str) -> str:
    return re.sub(r"\s+", "", expr)


def _tokens(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The tokens of *text* outside preprocessor lines, each with its ``#if`` stack; the
    preprocessor lines themselves become pseudo-tokens ``#include ...`` / ``#define ...``."""
    out: list[tuple[str, tuple[str, ...]]] = []
    stack: list[str | None] = []     # None for the include guard's #ifndef
    lines = _strip_comments(text).replace("\\\n", " ").splitlines()
    guard: str | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        cond = tuple(c for c in stack if c is not None)
        if stripped.startswith("#"):
            directive = stripped[1:].strip()
            word = directive.split(None, 1)[0] if directive else ""
            rest = directive[len(word):].strip()
            if word == "ifndef" and guard is None and i + 1 < len(lines) \
                    and lines[i + 1].strip().replace(" ", "") == f"#define{rest}":
                guard = rest
                stack.append(None)
            elif word == "ifndef":
                stack.append(f"!defined({rest})")
            elif word == "ifdef":
                stack.append(f"defined({rest})")
            elif word == "if":
                stack.append(_norm_expr(rest))
            elif word == "endif":
                stack.pop()
            elif word == "define" and rest == guard:
                continue
            elif word in ("include", "define"):
                out.append((f"#{word} " + " ".join(rest.split()), cond))
            else:
                raise ValueError(f"unexpected directive: {stripped}")
            continue
        for m in _TOKEN.finditer(line):
            if m.lastgroup != "space":
                out.append((m.group(), cond))
    return out


def declarations(text: str) -> Counter[Decl]:
    """The items *text* (a header) declares, with their multiplicity."""
    items: Counter[Decl] = Counter()
    toks = _tokens(text)
    i = 0
    while i < len(toks):
        tok, cond = toks[i]
        if tok.startswith("#"):
            kind, _, rest = tok[1:].partition(" ")
            items[Decl(kind, rest, cond)] += 1
            i += 1
            continue
        i = _statement(toks, i, items)
    return items


def _match(toks: list[tuple[str, tuple[str, ...]]], i: int) -> int:
    """The index just past the bracket group that opens at *i*."""
    opening = toks[i][0]
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][0] == opening:
            depth += 1
        elif toks[j][0] == closing:
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("unbalanced brackets")


def _statement(toks: list[tuple[str, tuple[str, ...]]], i: int, items: Counter[Decl]) -> int:
    """Read one top-level declaration from *i*; return where the next one starts."""
    cond = toks[i][1]
    start = i
    words: list[str] = []
    while i < len(toks):
        tok = toks[i][0]
        if tok == ";":
            items[Decl(_kind(words), " ".join(words), cond)] += 1
            return i + 1
        if tok == "{":
            end = _match(toks, i)
            if words[:1] == ["typedef"] and "enum" in words[:2]:
                tail = end
                name_words = []
                while toks[tail][0] != ";":
                    name_words.append(toks[tail][0])
                    tail += 1
                name = " ".join(name_words)
                items[Decl("typedef", f"enum {name}", cond)] += 1
                _enum_constants(toks[i + 1:end - 1], name, items)
                return tail + 1
            if words[:1] in (["struct"], ["union"]):
                name = " ".join(words)
                items[Decl("struct", name, cond)] += 1
                _members(toks[i + 1:end - 1], name, items)
                while toks[end][0] != ";":
                    end += 1
                return end + 1
            # A function definition (static inline): its signature is the declaration.
            items[Decl("function", " ".join(words), cond)] += 1
            return end
        if tok == "(" and words and words[-1].startswith("G_DEFINE_"):
            end = _match(toks, i)
            items[Decl("macro", " ".join(t for t, _ in toks[start:end]), cond)] += 1
            return end
        words.append(tok)
        i += 1
    raise ValueError(f"unterminated declaration: {' '.join(words)}")


def _kind(words: list[str]) -> str:
    if words[:1] == ["typedef"]:
        return "typedef"
    if words[:1] == ["extern"]:
        return "extern"
    if "(" in words:
        return "prototype"
    return "declaration"


def _enum_constants(toks: list[tuple[str, tuple[str, ...]]], enum: str,
                    items: Counter[Decl]) -> None:
    words: list[str] = []
    cond: tuple[str, ...] = ()
    for tok, tcond in [*toks, (",", ())]:
        if tok == ",":
            if words:
                items[Decl("constant", f"{enum}: {' '.join(words)}", cond)] += 1
            words = []
            continue
        if not words:
            cond = tcond
        words.append(tok)


def _members(toks: list[tuple[str, tuple[str, ...]]], owner: str,
             items: Counter[Decl]) -> None:
    i = 0
    while i < len(toks):
        cond = toks[i][1]
        words: list[str] = []
        while toks[i][0] != ";":
            if toks[i][0] == "{":
                # A nested union: its members belong to "owner.NAME".
                end = _match(toks, i)
                name = end
                tail: list[str] = []
                while toks[name][0] != ";":
                    tail.append(toks[name][0])
                    name += 1
                nested = f"{owner} . {' '.join(tail)}"
                items[Decl("member", f"{owner}: {' '.join(words)} {{}} {' '.join(tail)}",
                           cond)] += 1
                _members(toks[i + 1:end - 1], nested, items)
                i = name
                break
            words.append(toks[i][0])
            i += 1
        else:
            items[Decl("member", f"{owner}: {' '.join(words)}", cond)] += 1
        i += 1
