"""Documentation comments: their structure, their parsing, and their link to definitions.

A doc comment is a block of ``#`` lines between two ``##`` lines.  If its first line is
``@SYMBOL:`` it documents definition SYMBOL, else it is free-form (possibly starting with an
``=`` heading).  A definition doc has a body (free text), member descriptions (``@name: ...``),
an optional ``Features:`` block of feature descriptions, untagged (plain) sections and tagged
sections (``Returns:``, ``Errors:``, ``Since:``, ``TODO:``).

The parser pulls lines from a :class:`LineSource` one at a time, so that errors come out in
source order, exactly like QEMU's.

Lenient mode (``load_schema(..., lenient_docs=True)``) is for schemas written for older QEMU
(7.2).  It relaxes exactly these doc-comment rules, all introduced after 7.2:

1. an ``=`` heading need not be the first line of a free-form block (it is kept as text), and
   ``=`` lines are not rejected in definition documentation;
2. ``Note:``, ``Notes:``, ``Example:`` and ``Examples:`` start an ordinary untagged paragraph
   instead of being rejected as removed section kinds;
3. a description is recognized as QEMU 7.2 did, only when the line's first word is
   ``@NAME:`` (so ``@id : text`` is plain text);
4. continuation lines of a member, feature or tagged section need no indentation: the section
   runs until a new description or tag, or until a blank line followed by an unindented line
   (7.2's rule), so "unexpected de-indent" is never reported;
5. a member description may follow a plain or tagged section (no "follows a section");
6. members lacking documentation are accepted, as if the definition were listed in pragma
   ``documentation-exceptions``;
7. a ``Returns:`` section is accepted on a command that returns nothing.

Besides these, one code-generation rule newer than 7.2 is relaxed (in :mod:`.entities`): a
command's or event's implicit arguments may be conditional without ``'boxed': true`` (QEMU
7.2's own ``qapi-schema-test.json`` has such a command).  It does not change the interface.

Everything else stays strict: the ``##`` framing, symbol lines, duplicate descriptions or
``Returns``/``Errors``/``Since`` sections, empty tagged sections, ``Returns``/``Errors`` on
non-commands, documented members/features that do not exist, undocumented features, and every
interface rule (names, types, members, branches, conditions, features, flags).

One extension applies in both modes: a line made only of ``=`` characters (an rST heading
underline, as QEMU 10.2 writes headings) is text, not an ``=`` heading; QEMU 10.0 rejects it
when it is not the first line of a block.  This lets QEMU 10.2's schemas load.
"""

from __future__ import annotations

import re
from typing import Protocol

from .source import QAPIError, SourceInfo

PLAIN = "Plain"
MEMBER = "Member"
FEATURE = "Feature"
RETURNS = "Returns"
ERRORS = "Errors"
SINCE = "Since"
TODO = "Todo"

_UNIQUE_KINDS = (RETURNS, ERRORS, SINCE)   # TODO may be repeated
_TAG_KINDS = {"Returns": RETURNS, "Errors": ERRORS, "Since": SINCE, "TODO": TODO}

_DESCRIPTION = re.compile(r"@([^:]*): *")
# QEMU 7.2 recognized a description only when the line's first word was '@NAME:'.
_LENIENT_DESCRIPTION = re.compile(r"@([^\s:]*):(?!\S) *")
_TAG = re.compile(r"(Returns|Errors|Since|Notes?|Examples?|TODO):(?!:) *")
_FREEFORM_DESCRIPTION = re.compile(r"@\S*:")

_REMOVED_NOTE = (
    "The '{}' section is no longer supported. Please use rST's '.. note::' or "
    "'.. admonition:: notes' directives, or another suitable admonition instead."
)
_REMOVED_EXAMPLE = (
    "The '{}' section is no longer supported. Please use the '.. qmp-example::' "
    "directive, or other suitable markup instead."
)


def _indentation(line: str) -> int:
    """The length of *line*'s leading whitespace (``\\s*``: what str.lstrip() strips)."""
    return len(line) - len(line.lstrip())


def _is_adornment(line: str) -> bool:
    """An rST section adornment (a line of '=' only), as QEMU 10.2 uses for headings.

    QEMU 10.0 headings are '=' characters followed by a space and a title; an adornment line
    is never such a heading, so accepting it keeps 10.0's rule while loading 10.2 schemas.
    """
    return line.rstrip("=") == ""


class LineSource(Protocol):
    """What the doc parser needs from the lexer."""

    def next_doc_line(self) -> str | None:
        """The next line's text (after ``# ``), or None at the closing ``##``."""

    def doc_line_info(self) -> SourceInfo:
        """The location (line) of the line last returned."""

    def doc_line_error(self, msg: str) -> QAPIError:
        """An error located at the line last returned (with its column)."""


class DocSection:
    """One section of a doc comment.  ``name`` is set for member and feature descriptions."""

    __slots__ = ("_lines", "info", "kind", "member", "name", "text")

    def __init__(self, info: SourceInfo, kind: str, name: str | None = None) -> None:
        self.info = info
        self.kind = kind
        self.name = name
        self.text = ""
        self._lines: list[str] = []
        self.member: object | None = None   # the schema member this describes, once connected

    def append_line(self, line: str) -> None:
        self._lines.append(line)

    def has_text(self) -> bool:
        return any(self._lines)

    def finish(self) -> None:
        self.text = "\n".join(self._lines).strip("\n")


class Doc:
    """A doc comment: free-form (``symbol`` None) or definition documentation."""

    def __init__(self, info: SourceInfo, symbol: str | None) -> None:
        self.info = info
        self.symbol = symbol
        self.body = DocSection(info, PLAIN)
        self.args: dict[str, DocSection] = {}
        self.features: dict[str, DocSection] = {}
        self.sections: list[DocSection] = []       # plain and tagged, in order
        self._all: list[DocSection] = [self.body]  # everything, in order
        self._current = self.body

    # --- building -------------------------------------------------------------------------

    def _add(self, section: DocSection) -> None:
        self._all.append(section)
        self._current = section

    def ensure_untagged(self, info: SourceInfo) -> None:
        cur = self._current
        if cur.kind == PLAIN:
            if cur.has_text():
                cur.append_line("")
            return
        section = DocSection(info, PLAIN)
        self.sections.append(section)
        self._add(section)

    def new_tagged(self, info: SourceInfo, kind: str) -> None:
        if kind in _UNIQUE_KINDS and any(s.kind == kind for s in self.sections):
            raise QAPIError(info, f"duplicated '{kind}' section")
        section = DocSection(info, kind)
        self.sections.append(section)
        self._add(section)

    def _new_description(self, info: SourceInfo, name: str, table: dict[str, DocSection],
                         kind: str) -> None:
        if not name:
            raise QAPIError(info, "invalid parameter name")
        if name in table:
            raise QAPIError(info, f"'{name}' parameter name duplicated")
        section = DocSection(info, kind, name)
        table[name] = section
        self._add(section)

    def new_arg(self, info: SourceInfo, name: str) -> None:
        self._new_description(info, name, self.args, MEMBER)

    def new_feature(self, info: SourceInfo, name: str) -> None:
        self._new_description(info, name, self.features, FEATURE)

    def append_line(self, line: str) -> None:
        self._current._lines.append(line)

    def finish(self) -> None:
        for section in self._all:
            section.finish()
        for section in self._all:
            if section.kind != PLAIN and not section.text:
                raise QAPIError(section.info, f"text required after '{section.kind}:'")

    # --- queries --------------------------------------------------------------------------

    def section(self, kind: str) -> DocSection | None:
        for s in self.sections:
            if s.kind == kind:
                return s
        return None

    # --- connecting to the definition -----------------------------------------------------

    def check_expr(self, meta: str, has_returns: bool, lenient: bool = False) -> None:
        """Checks against the definition's expression (before the schema is built)."""
        returns = self.section(RETURNS)
        if meta == "command":
            if returns is not None and not has_returns and not lenient:
                raise QAPIError(returns.info,
                                "'Returns' section, but command doesn't return anything")
            return
        if returns is not None:
            raise QAPIError(returns.info, "'Returns' section is only valid for commands")
        errors = self.section(ERRORS)
        if errors is not None:
            raise QAPIError(errors.info, "'Errors' section is only valid for commands")

    def connect_member(self, member: object, name: str, role: str, info: SourceInfo | None,
                       exempt: bool) -> None:
        section = self.args.get(name)
        if section is None:
            if not exempt:
                raise QAPIError(info, f"{role} '{name}' lacks documentation")
            section = DocSection(self.info, MEMBER, name)
            section.finish()
            self.args[name] = section
        section.member = member

    def connect_feature(self, feature: object, name: str, info: SourceInfo | None) -> None:
        section = self.features.get(name)
        if section is None:
            raise QAPIError(info, f"feature '{name}' lacks documentation")
        section.member = feature

    def check(self) -> None:
        for what, table in (("member", self.args), ("feature", self.features)):
            bad = [s for s in table.values() if s.member is None]
            if bad:
                names = ", ".join(f"'{s.name}'" for s in bad)
                if len(bad) == 1:
                    msg = f"documented {what} {names} does not exist"
                else:
                    msg = f"documented {what}s {names} do not exist"
                raise QAPIError(bad[0].info, msg)


# --- parsing ------------------------------------------------------------------------------


def parse_doc(src: LineSource, info: SourceInfo, lenient: bool = False) -> Doc:
    """Parse one doc comment; *src* is positioned just after the opening ``##``."""
    line = src.next_doc_line()
    if line is not None and line.startswith("@"):
        if not line.endswith(":"):
            raise src.doc_line_error("line should end with ':'")
        symbol = line[1:-1]
        if not symbol:
            raise src.doc_line_error("name required after '@'")
        doc = Doc(info, symbol)
        _DefinitionDocParser(src, doc, lenient).run()
    else:
        doc = Doc(info, None)
        first = True
        while line is not None:
            match = _FREEFORM_DESCRIPTION.match(line)
            if match:
                raise src.doc_line_error(
                    f"'{match.group(0)}' not allowed in free-form documentation")
            if line.startswith("=") and not first and not lenient and not _is_adornment(line):
                raise src.doc_line_error("'=' heading must come first in a comment block")
            doc.append_line(line)
            first = False
            line = src.next_doc_line()
    doc.finish()
    return doc


class _DefinitionDocParser:
    def __init__(self, src: LineSource, doc: Doc, lenient: bool) -> None:
        self.src = src
        self.doc = doc
        self.lenient = lenient
        self.description = _LENIENT_DESCRIPTION if lenient else _DESCRIPTION

    def run(self) -> None:
        src, doc = self.src, self.doc
        line = src.next_doc_line()
        no_more_args = False
        while line is not None:
            if line == "":
                line = src.next_doc_line()
                continue
            if line == "Features:":
                if doc.features:
                    raise src.doc_line_error("duplicated 'Features:' line")
                line = src.next_doc_line()
                while line == "":
                    line = src.next_doc_line()
                while line is not None and (match := self.description.match(line)):
                    doc.new_feature(src.doc_line_info(), match.group(1))
                    line = self._description_text(line[match.end():])
                if not doc.features:
                    raise src.doc_line_error("feature descriptions expected")
                no_more_args = True
            elif match := self.description.match(line):
                if no_more_args and not self.lenient:
                    raise src.doc_line_error(
                        f"description of '@{match.group(1)}:' follows a section")
                while line is not None and (match := self.description.match(line)):
                    doc.new_arg(src.doc_line_info(), match.group(1))
                    line = self._description_text(line[match.end():])
                no_more_args = True
            elif match := _TAG.match(line):
                tag = match.group(1)
                if tag.startswith("Note") or tag.startswith("Example"):
                    if not self.lenient:
                        template = _REMOVED_NOTE if tag.startswith("Note") else _REMOVED_EXAMPLE
                        raise src.doc_line_error(template.format(tag))
                    line = self._paragraph(line)
                    continue
                doc.new_tagged(src.doc_line_info(), _TAG_KINDS[tag])
                line = self._description_text(line[match.end():])
                no_more_args = True
            elif line.startswith("=") and not self.lenient and not _is_adornment(line):
                raise src.doc_line_error("unexpected '=' markup in definition documentation")
            else:
                line = self._paragraph(line)

    def _paragraph(self, line: str) -> str | None:
        """An untagged paragraph starting with *line*; returns the line after it."""
        src, doc = self.src, self.doc
        doc.ensure_untagged(src.doc_line_info())
        doc.append_line(line)
        while True:
            nxt = src.next_doc_line()
            if not nxt:
                return nxt
            doc.append_line(nxt)

    def _description_text(self, first: str) -> str | None:
        """The text of a member/feature/tagged section whose first line held *first*."""
        if first:
            self.doc.append_line(first)
        if self.lenient:
            return self._lenient_text()
        return self._indented()

    def _indented(self) -> str | None:
        src, doc = self.src, self.doc
        line = src.next_doc_line()
        while line == "":
            doc.append_line(line)
            line = src.next_doc_line()
        if line is None:
            return None
        indent = _indentation(line)
        if not indent:
            return line
        doc.append_line(line)
        # QEMU only reports a de-indent right after the first indented line; later on, a
        # de-indented line simply ends the section.
        strict = True
        while True:
            line = src.next_doc_line()
            if line is None:
                return None
            if line and _indentation(line) < indent:
                if not strict or self.description.match(line):
                    return line
                raise src.doc_line_error(
                    f"unexpected de-indent (expected at least {indent} spaces)")
            doc.append_line(line)
            strict = False

    def _lenient_text(self) -> str | None:
        """QEMU 7.2's rule: continue until a new description or tag, or until a blank line is
        followed by an unindented line."""
        src, doc = self.src, self.doc
        blank = False
        while True:
            line = src.next_doc_line()
            if line is None:
                return None
            if line == "":
                blank = True
                doc.append_line(line)
                continue
            if self.description.match(line) or _TAG.match(line) or line == "Features:":
                return line
            if blank and not line[0].isspace():
                return line
            blank = False
            doc.append_line(line)
