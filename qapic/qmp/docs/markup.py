"""The reStructuredText subset QAPI doc comments use, parsed into a small tree.

QEMU's doc comments are rST read by Sphinx with QEMU's own extensions.  qapic renders them
without Sphinx, so it understands the part of rST the schemas use and degrades gracefully on the
rest (anything unrecognized stays visible as text or as a literal block, never dropped):

* blocks: paragraphs, ``=`` headings (``= Title``, ``== Sub``, or a title underlined with
  ``===``/``---``), bullet and enumerated lists, definition lists, literal blocks introduced by
  ``::``, indented blocks (block quotes), simple tables (columns under ``=====  ====`` borders)
  and grid tables (``+----+----+`` borders, ``|`` between cells), directives (``.. qmp-example::``
  with ``:title:`` and ``:annotated:``, admonitions such as ``.. note::``, ``.. admonition::
  Title``, ``.. table:: Title`` around a table, and others such as ``.. code-block::`` whose body
  is kept literally), and comments;
* inline: ``literal``, ``@name`` (a member or definition), ```name``` (a definition, QEMU's
  default role), ``:role:`text <target>``` (``:qapi:cmd:`` and its kin name a definition; other
  roles point into other manuals), ``*emphasis*`` and ``**strong**``.

A ``.. qmp-example::`` is a QMP exchange: its body is one literal block (shown as code), unless
it has ``:annotated:``: then its body is rST like any other (prose, lists, and the exchanges as
``::`` literal blocks), as QEMU's Sphinx extension reads it.

:func:`parse` turns text into :class:`Block` objects; :func:`inline` splits a paragraph's text
into :class:`Span` tokens.  Both renderers (HTML and rST) walk the same tree.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

# --- blocks -----------------------------------------------------------------------------------


@dataclass
class Block:
    """A block: ``kind`` is one of the names below; the other fields as each kind needs."""

    kind: str               # para heading literal quote bullets enum deflist table directive
    text: str = ""          # para/heading/literal text, directive argument
    level: int = 0          # heading level (1 = top)
    children: list[Block] = field(default_factory=list)        # quote, directive body
    items: list[list[Block]] = field(default_factory=list)     # list items
    terms: list[str] = field(default_factory=list)             # deflist terms (with items)
    name: str = ""          # directive name
    options: dict[str, str] = field(default_factory=dict)      # directive options
    start: int = 1          # first number of an enumerated list
    rows: list[list[str]] = field(default_factory=list)        # table cells (inline text)
    head: int = 0           # how many of a table's rows are header rows


ADMONITIONS = frozenset({"note", "caution", "warning", "important", "tip", "hint", "attention",
                         "danger", "error", "seealso", "admonition"})
# Directives whose body is shown as a literal block (``qmp-example`` unless ``:annotated:``).
LITERAL_DIRECTIVES = frozenset({"qmp-example", "code-block", "code", "csv-table",
                                "list-table", "literalinclude", "parsed-literal"})

_BULLET = re.compile(r"([-*+•])( +|$)")
_ENUM = re.compile(r"(\d+|#|[a-zA-Z])([.)])( +|$)")
_DIRECTIVE = re.compile(r"\.\.\s+([A-Za-z][\w:+-]*)::(?:\s+(.*)|\s*$)")
_OPTION = re.compile(r":([A-Za-z][\w-]*):(?:\s+(.*)|\s*$)")
_ADORNMENT = re.compile(r"([=\-~^\"'`#*+])\1{2,}\s*")
_ADORNMENT_LEVEL = {"=": 1, "-": 2, "~": 3, "^": 4}
_OLD_HEADING = re.compile(r"(=+) +(.*)")
_SIMPLE_BORDER = re.compile(r"=+(?: +=+)+ *")
_GRID_BORDER = re.compile(r"\+(?:[-=]+\+)+ *")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(lines: list[str]) -> list[str]:
    width = min((_indent(s) for s in lines if s.strip()), default=0)
    return [s[width:] if s.strip() else "" for s in lines]


def _strip_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def normalize(text: str) -> str:
    """A description's text: its first line follows ``@name:`` or ``Tag:`` and is not indented
    like the rest; dedent the rest so that the whole reads as one rST fragment."""
    first, _, rest = text.partition("\n")
    if not rest:
        return text.strip()
    return "\n".join([first.strip(), *_dedent(rest.split("\n"))]).strip("\n")


def parse(text: str) -> list[Block]:
    """The blocks of *text* (rST)."""
    lines = [line.rstrip().expandtabs(8) for line in text.split("\n")]
    return _Parser(_dedent(lines)).blocks()


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0

    def _take_indented(self, min_indent: int = 1) -> list[str]:
        """Following lines that are blank or indented by at least *min_indent*."""
        out: list[str] = []
        lines = self.lines
        while self.i < len(lines):
            line = lines[self.i]
            if line.strip() and _indent(line) < min_indent:
                break
            out.append(line)
            self.i += 1
        # Give trailing blank lines back: they separate, they do not belong.
        while out and not out[-1].strip():
            out.pop()
            self.i -= 1
        return out

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        literal_next = False
        lines = self.lines
        while self.i < len(lines):
            line = lines[self.i]
            if not line.strip():
                self.i += 1
                continue
            if _indent(line) > 0:
                body = self._take_indented()
                if literal_next:
                    out.append(Block("literal", "\n".join(_dedent(body))))
                else:
                    out.append(Block("quote", children=_Parser(_dedent(body)).blocks()))
                literal_next = False
                continue
            literal_next = False
            if line.startswith(".."):
                out.append(self._directive())
            elif (table := self._table()) is not None:
                out.append(table)
            elif _BULLET.match(line):
                out.append(self._list(_BULLET, "bullets"))
            elif _ENUM.match(line) and self._is_enum(line):
                out.append(self._list(_ENUM, "enum"))
            elif (heading := self._heading()) is not None:
                out.append(heading)
            else:
                block = self._paragraph()
                if block.kind == "para" and block.text.endswith("::"):
                    literal_next = True
                    stripped = block.text[:-2].rstrip()
                    if not stripped:
                        continue
                    block.text = stripped if block.text[:-2].endswith((" ", "\n")) else \
                        block.text[:-1]
                out.append(block)
        return out

    def _table(self) -> Block | None:
        """A simple or grid table starting at the current line, or None (the line is then
        read as something else)."""
        line = self.lines[self.i]
        if _SIMPLE_BORDER.fullmatch(line):
            return self._simple_table()
        if _GRID_BORDER.fullmatch(line):
            return self._grid_table()
        return None

    def _simple_table(self) -> Block | None:
        lines, start = self.lines, self.i
        border = lines[start].rstrip()
        columns = [m.start() for m in re.finditer(r"=+", border)]
        borders: list[int] = [start]
        j = start + 1
        while j < len(lines):
            if _SIMPLE_BORDER.fullmatch(lines[j]):
                borders.append(j)
                if j + 1 >= len(lines) or not lines[j + 1].strip():
                    break
            elif lines[j].strip() and _indent(lines[j]) < columns[0]:
                return None
            j += 1
        else:
            return None
        if len(borders) not in (2, 3):
            return None
        block = Block("table")
        for k in range(len(borders) - 1):
            if k == 1:
                block.head = len(block.rows)
            for text in lines[borders[k] + 1:borders[k + 1]]:
                if not text.strip():
                    continue
                cells = [text[a:b].strip() for a, b in
                         zip(columns, [*columns[1:], len(text) + 1], strict=True)]
                if not cells[0] and block.rows and k == len(borders) - 2 and \
                        len(block.rows) > block.head:
                    prev = block.rows[-1]
                    block.rows[-1] = [f"{p}\n{c}".strip() for p, c in zip(prev, cells,
                                                                          strict=True)]
                else:
                    block.rows.append(cells)
        if len(borders) == 2:
            block.head = 0
        self.i = borders[-1] + 1
        return block

    def _grid_table(self) -> Block | None:
        lines, start = self.lines, self.i
        border = lines[start].rstrip()
        cuts = [k for k, c in enumerate(border) if c == "+"]
        block = Block("table")
        cells: list[str] | None = None
        j = start + 1
        while j < len(lines) and lines[j].startswith(("+", "|")):
            text = lines[j].rstrip()
            if _GRID_BORDER.fullmatch(text):
                if cells is not None:
                    block.rows.append([c.strip() for c in cells])
                cells = None
                if "=" in text:
                    block.head = len(block.rows)
            else:
                parts = [text[a + 1:b].strip() for a, b in itertools.pairwise(cuts)]
                cells = parts if cells is None else \
                    [f"{c}\n{p}".strip() for c, p in zip(cells, parts, strict=True)]
            j += 1
        if cells is not None or not block.rows:
            return None     # not closed by a border: not a table
        self.i = j
        return block

    def _is_enum(self, line: str) -> bool:
        # "A. Smith wrote" is not a list; a single letter counts only when followed by more.
        m = _ENUM.match(line)
        assert m is not None
        return m.group(1).isdigit() or m.group(1) == "#" or bool(
            self.i + 1 < len(self.lines) and _ENUM.match(self.lines[self.i + 1]))

    def _heading(self) -> Block | None:
        lines, i = self.lines, self.i
        line = lines[i]
        m = _OLD_HEADING.fullmatch(line)
        if m is not None:
            self.i += 1
            return Block("heading", m.group(2).strip(), level=len(m.group(1)))
        over = _ADORNMENT.fullmatch(line)
        if over is not None and i + 2 < len(lines) and _ADORNMENT.fullmatch(lines[i + 2]):
            self.i += 3
            return Block("heading", lines[i + 1].strip(), level=1)
        if i + 1 < len(lines):
            under = _ADORNMENT.fullmatch(lines[i + 1])
            if under is not None and len(lines[i + 1].rstrip()) >= len(line.strip()):
                self.i += 2
                return Block("heading", line.strip(),
                             level=_ADORNMENT_LEVEL.get(under.group(1), 4))
        return None

    def _paragraph(self) -> Block:
        lines = self.lines
        para: list[str] = []
        while self.i < len(lines):
            line = lines[self.i]
            if not line.strip() or (para and _indent(line) > 0):
                break
            para.append(line)
            self.i += 1
        if (len(para) == 1 and self.i < len(lines) and lines[self.i].strip()
                and _indent(lines[self.i]) > 0 and not para[0].endswith("::")):
            return self._deflist(para[0])
        return Block("para", "\n".join(para))

    def _deflist(self, term: str) -> Block:
        block = Block("deflist")
        while True:
            body = self._take_indented()
            block.terms.append(term)
            block.items.append(_Parser(_dedent(body)).blocks())
            # Another term: an unindented line directly followed by an indented one.
            j = self.i
            while j < len(self.lines) and not self.lines[j].strip():
                j += 1
            if (j + 1 < len(self.lines) and _indent(self.lines[j]) == 0
                    and self.lines[j + 1].strip() and _indent(self.lines[j + 1]) > 0
                    and not self.lines[j].startswith("..")
                    and not _BULLET.match(self.lines[j]) and not _ENUM.match(self.lines[j])
                    and not self.lines[j].endswith("::")):
                term = self.lines[j]
                self.i = j + 1
                continue
            return block

    def _list(self, marker: re.Pattern[str], kind: str) -> Block:
        block = Block(kind)
        lines = self.lines
        first = True
        while self.i < len(lines):
            m = marker.match(lines[self.i])
            if m is None:
                break
            if kind == "enum" and first and m.group(1).isdigit():
                block.start = int(m.group(1))
            first = False
            width = m.end() if m.end() < len(lines[self.i]) else len(m.group(0).rstrip()) + 1
            item = [lines[self.i][m.end():]]
            self.i += 1
            rest = self._take_indented()
            item.extend(s[min(width, _indent(s)):] if s.strip() else "" for s in rest)
            block.items.append(_Parser(item).blocks())
            j = self.i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and marker.match(lines[j]):
                self.i = j
                continue
            break
        return block

    def _directive(self) -> Block:
        line = self.lines[self.i]
        self.i += 1
        m = _DIRECTIVE.fullmatch(line)
        body = _dedent(self._take_indented())
        if m is None:
            # A comment or a link target: invisible in Sphinx output too, but keep it visible
            # as text unless it is an empty comment.
            text = line[2:].strip()
            if body:
                text = "\n".join([text, *body]).strip()
            return Block("comment", text)
        name, arg = m.group(1), (m.group(2) or "").strip()
        options: dict[str, str] = {}
        k = 0
        # A directive's argument may continue on the following lines until the options.
        while k < len(body) and body[k].strip() and not _OPTION.fullmatch(body[k]):
            if name in LITERAL_DIRECTIVES or (name in ADMONITIONS and name != "admonition"):
                break
            arg = f"{arg} {body[k].strip()}".strip()
            k += 1
        while k < len(body) and (opt := _OPTION.fullmatch(body[k])) is not None:
            options[opt.group(1)] = (opt.group(2) or "").strip()
            k += 1
        content = _strip_blank(_dedent(body[k:]))
        if name in ADMONITIONS and name != "admonition" and arg:
            # ".. note:: text" starts the note's first paragraph on the directive's line; the
            # lines below continue it (not a paragraph of their own).
            content, arg = [arg, *_dedent(body)], ""
        block = Block("directive", arg, name=name, options=options)
        if name in LITERAL_DIRECTIVES and not (name == "qmp-example" and "annotated" in options):
            block.children = [Block("literal", "\n".join(content))] if content else []
        else:
            block.children = _Parser(content).blocks()
        return block


# --- inline markup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """An inline token: ``kind`` text, code, ref (``@name``), xref (```name```), role,
    emph or strong; ``text`` what is shown, ``target`` what a ref/xref/role points to."""

    kind: str
    text: str
    target: str = ""
    role: str = ""          # a role's name, e.g. "qapi:cmd" or "doc"


_INLINE = re.compile(
    r"``(?P<code>.+?)``(?!`)"
    r"|:(?P<role>[A-Za-z][\w:+-]*):`(?P<roletext>[^`]+)`"
    r"|(?<![\w`])`(?P<xref>[^`]+)`(?P<under>_{0,2})(?![\w`])"
    r"|(?<![\w*])\*\*(?P<strong>[^\s*](?:.*?[^\s*])?)\*\*(?![\w*])"
    r"|(?<![\w*])\*(?P<emph>[^\s*](?:.*?[^\s*])?)\*(?![\w*])"
    r"|(?<![\w@])@(?P<ref>[A-Za-z0-9_][\w.-]*[\w]|[A-Za-z0-9_])",
    re.DOTALL,
)
_ROLE_TARGET = re.compile(r"(.*?)\s*<([^<>]+)>\s*", re.DOTALL)


def inline(text: str) -> list[Span]:
    """The inline tokens of a paragraph's *text*."""
    out: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(Span("text", text[pos:m.start()]))
        pos = m.end()
        if m.group("code") is not None:
            out.append(Span("code", m.group("code")))
        elif m.group("role") is not None:
            shown = m.group("roletext")
            target = ""
            tm = _ROLE_TARGET.fullmatch(shown)
            if tm is not None:
                shown, target = tm.group(1) or tm.group(2), tm.group(2)
            elif m.group("role").startswith("qapi:"):
                shown, target = _qapi_title(shown)
            out.append(Span("role", shown, target or shown, m.group("role")))
        elif m.group("xref") is not None:
            shown = m.group("xref")
            target = shown
            tm = _ROLE_TARGET.fullmatch(shown)
            if tm is not None:
                shown, target = tm.group(1) or tm.group(2), tm.group(2)
            out.append(Span("xref", shown, target))
        elif m.group("strong") is not None:
            out.append(Span("strong", m.group("strong")))
        elif m.group("emph") is not None:
            out.append(Span("emph", m.group("emph")))
        else:
            name = m.group("ref")
            out.append(Span("ref", name, name))
    if pos < len(text):
        out.append(Span("text", text[pos:]))
    return out


def _qapi_title(text: str) -> tuple[str, str]:
    """What a ``:qapi:ROLE:`target``` without an explicit title shows, and its target: a
    leading ``~`` shows only the last dotted part; ``?`` (optional) and ``[...]`` (a list) are
    not part of the target."""
    target = text.strip()
    short = target.startswith("~")
    target = target.lstrip("~").rstrip("?")
    if target.startswith("[") and target.endswith("]"):
        target = target[1:-1]
    return (target.split(".")[-1] if short else text.strip().lstrip("~")), target


#: Roles that name a definition of the schema (QEMU's QAPI domain); ``any`` is Sphinx's.
DEFINITION_ROLES = frozenset({"qapi:cmd", "qapi:event", "qapi:type", "qapi:any", "qapi:obj",
                              "qapi:enum", "qapi:alt", "qapi:struct", "qapi:union", "any"})
# A reference to the definition index (QEMU: ``qapi-qmp-index``, ``qapi-qga-index``, ...).
_INDEX_LABEL = re.compile(r"qapi(?:-(\w+))?-index")


def definition(span: Span) -> str | None:
    """The definition a reference span names, or None: ```name``` (QEMU's default role,
    resolved like ``:any:``) and ``:qapi:cmd:`` and its kin; the name without namespace or
    module prefix (``QMP:block-core.query-block`` names ``query-block``)."""
    if span.kind == "xref" or (span.kind == "role" and span.role in DEFINITION_ROLES):
        return span.target.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return None


def names_index(span: Span) -> bool:
    """Whether *span* refers to the index of definitions (```qapi-qmp-index```)."""
    return span.kind in ("xref", "role") and span.role in ("", "ref", "any") and \
        _INDEX_LABEL.fullmatch(span.target) is not None


def index_title(span: Span) -> str:
    """What a reference to the index shows: its explicit title, else the index's title as
    Sphinx shows it for QEMU's label (```qapi-qmp-index``` reads "QMP Index")."""
    if span.text != span.target:
        return span.text
    m = _INDEX_LABEL.fullmatch(span.target)
    return f"{m.group(1).upper()} Index" if m is not None and m.group(1) else "Index"


def plain_text(blocks: list[Block]) -> str:
    """The visible words of *blocks*, markup removed: for checks and for search."""
    parts: list[str] = []

    def walk(bs: list[Block]) -> None:
        for b in bs:
            if b.kind in ("para", "heading"):
                parts.append("".join(s.text for s in inline(b.text)))
            elif b.kind in ("literal", "comment"):
                parts.append(b.text)
            elif b.kind == "directive":
                parts.append(b.text)
                parts.extend(b.options.values())
            for term in b.terms:
                parts.append("".join(s.text for s in inline(term)))
            for row in b.rows:
                parts.extend("".join(s.text for s in inline(cell)) for cell in row)
            walk(b.children)
            for item in b.items:
                walk(item)

    walk(blocks)
    return " ".join(parts)
