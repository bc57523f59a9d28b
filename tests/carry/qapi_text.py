"""The test side's own reader and writer of QAPI schema text, independent of qapic.

Used to write a conditions file's conditions *into a copy of the schema's JSON files*, so that
upstream's generator (the oracle) sees the schema as if QEMU had kept its conditions.  Only what
the schema language needs: ``#`` comments, single-quoted strings, objects, arrays, ``true`` /
``false``.  :func:`top_level` gives each top-level expression with its span in the text, so an
expression can be replaced in place and everything else (doc comments, layout) stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"(?:\s+|#[^\n]*)*")


class QapiTextError(Exception):
    pass


@dataclass
class Expr:
    value: dict[str, Any]
    start: int
    end: int


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        m = _SPACE.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos:self.pos + 1]

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise QapiTextError(f"expected {ch!r} at offset {self.pos}: "
                                f"{self.text[self.pos:self.pos + 30]!r}")
        self.pos += 1

    def value(self) -> Any:
        ch = self.peek()
        if ch == "{":
            self.pos += 1
            out: dict[str, Any] = {}
            if self.peek() == "}":
                self.pos += 1
                return out
            while True:
                key = self.value()
                if not isinstance(key, str):
                    raise QapiTextError(f"key is not a string at offset {self.pos}")
                self.expect(":")
                out[key] = self.value()
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect("}")
                return out
        if ch == "[":
            self.pos += 1
            items: list[Any] = []
            if self.peek() == "]":
                self.pos += 1
                return items
            while True:
                items.append(self.value())
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect("]")
                return items
        if ch == "'":
            self.pos += 1
            chars = []
            while True:
                c = self.text[self.pos]
                self.pos += 1
                if c == "\\":
                    chars.append(self.text[self.pos])
                    self.pos += 1
                elif c == "'":
                    return "".join(chars)
                else:
                    chars.append(c)
        for word, val in (("true", True), ("false", False)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        raise QapiTextError(f"unexpected {ch!r} at offset {self.pos}")


def top_level(text: str) -> list[Expr]:
    """Every top-level expression of a schema file, with its span."""
    reader = _Reader(text)
    out = []
    while reader.peek():
        start = reader.pos
        value = reader.value()
        if not isinstance(value, dict):
            raise QapiTextError(f"top-level value at offset {start} is not an object")
        out.append(Expr(value, start, reader.pos))
    return out


def write(value: Any) -> str:
    """*value* in schema syntax (single quotes), on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[ " + ", ".join(write(v) for v in value) + " ]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{write(k)}: {write(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)
