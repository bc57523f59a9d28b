"""Source locations and the one error type of the frontend.

A :class:`SourceInfo` names a file, a line, the include directive the file was reached through
(if any), and the definition it belongs to (once known).  Its text form is what QEMU prints in
front of a message::

    In file included from outer.json:3:
    inner.json: In struct 'Foo':
    inner.json:7

A :class:`QAPIError` carries such a location (or none), an optional column and the message.
"""

from __future__ import annotations


class Pragma:
    """The pragma settings in force.  One object is shared by a whole schema (upstream's scope)."""

    __slots__ = ("command_name_exceptions", "command_returns_exceptions", "doc_required",
                 "documentation_exceptions", "member_name_exceptions")

    def __init__(self) -> None:
        self.doc_required = False
        self.command_name_exceptions: list[str] = []
        self.command_returns_exceptions: list[str] = []
        self.documentation_exceptions: list[str] = []
        self.member_name_exceptions: list[str] = []


class SourceInfo:
    """Where something was written: file, line, include chain and enclosing definition."""

    __slots__ = ("defn_meta", "defn_name", "fname", "line", "parent", "pragma")

    def __init__(
        self,
        fname: str,
        line: int | None,
        parent: SourceInfo | None,
        pragma: Pragma,
    ) -> None:
        self.fname = fname
        self.line = line
        self.parent = parent
        self.pragma = pragma
        self.defn_meta: str | None = None
        self.defn_name: str | None = None

    def at_line(self, line: int) -> SourceInfo:
        """A location in the same file (same include chain), at *line*."""
        return SourceInfo(self.fname, line, self.parent, self.pragma)

    def set_defn(self, meta: str, name: str) -> None:
        self.defn_meta = meta
        self.defn_name = name

    def loc(self) -> str:
        return self.fname if self.line is None else f"{self.fname}:{self.line}"

    def include_path(self) -> str:
        chain: list[str] = []
        parent = self.parent
        while parent is not None:
            chain.append(f"In file included from {parent.loc()}:\n")
            parent = parent.parent
        return "".join(reversed(chain))

    def in_defn(self) -> str:
        if self.defn_name is None:
            return ""
        return f"{self.fname}: In {self.defn_meta} '{self.defn_name}':\n"

    def __str__(self) -> str:
        return self.include_path() + self.in_defn() + self.loc()

    def __repr__(self) -> str:
        return f"SourceInfo({self.loc()!r})"


class QAPIError(Exception):
    """Any problem with a schema.  ``str()`` is exactly upstream's error text."""

    def __init__(self, info: SourceInfo | None, msg: str, col: int | None = None) -> None:
        super().__init__(msg)
        self.info = info
        self.msg = msg
        self.col = col

    def __str__(self) -> str:
        if self.info is None:
            return self.msg
        loc = str(self.info)
        if self.col is not None:
            loc += f":{self.col}"
        return f"{loc}: {self.msg}"


def column(src: str, line_start: int, pos: int) -> int:
    """The 1-based column of *pos*, counting tabs the way upstream does."""
    segment = src[line_start:pos]
    if "\t" not in segment:
        return len(segment) + 1
    col = 1
    for ch in segment:
        col = (col + 7) % 8 + 1 if ch == "\t" else col + 1
    return col
