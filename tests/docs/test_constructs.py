"""Every rST construct the doc comments of QEMU 10.0 and 10.2 use is rendered as such in the
HTML reference, never shown as raw reST.

The constructs are found in the schema files' comment text by this test's own reading (the
``##`` blocks of every included ``.json``, the ``#`` removed), independently of qapic's doc
parser and renderer: annotated examples (``.. qmp-example::`` with ``:annotated:`` and
``:title:``), plain examples, tables, bullet and enumerated lists, cross references
(```name```, ``:qapi:event:`NAME```, ```qapi-qmp-index```) and admonitions.  Each is then looked
for in its definition's entry (``<section id="def-NAME">``), or in the whole page for free-form
text: examples as prose plus code, tables as ``<table>`` with the same cells, list items as
``<li>``, references as links to the entry they name.  The counts show that the walk saw the
constructs (e.g. 13 annotated examples in each release).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.docs.htmltree import is_subsequence, shown_words, source_words

RELEASES = ["10.0", "10.2"]


# --- reading the schema's doc comments --------------------------------------------------------


@dataclass
class DocBlock:
    symbol: str | None                    # "@NAME:" on the first line, else free-form
    lines: list[str]
    where: str                            # file:line, for messages


def _included(main: Path) -> list[Path]:
    """The schema files *main* includes, transitively, in order."""
    out: list[Path] = []

    def visit(path: Path) -> None:
        if path in out:
            return
        out.append(path)
        for name in re.findall(r"'include':\s*'([^']+)'", path.read_text(encoding="utf-8")):
            visit(path.parent / name)

    visit(main)
    return out


def doc_blocks(main: Path) -> list[DocBlock]:
    blocks: list[DocBlock] = []
    for path in _included(main):
        lines = path.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            if lines[i].strip() != "##":
                i += 1
                continue
            start = i
            i += 1
            body: list[str] = []
            while i < len(lines) and lines[i].startswith("#") and lines[i].strip() != "##":
                body.append(lines[i][2:] if lines[i].startswith("# ") else "")
                i += 1
            i += 1
            m = re.fullmatch(r"@([\w-]+):\s*", body[0]) if body else None
            blocks.append(DocBlock(m.group(1) if m else None, body,
                                   f"{path.name}:{start + 1}"))
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def code_mask(lines: list[str]) -> list[bool]:
    """Which lines are code (literal text): after a line ending in ``::``, and the body of a
    ``.. qmp-example::`` without ``:annotated:``."""
    mask = [False] * len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        opener = None
        if re.fullmatch(r"\.\. qmp-example::", stripped):
            j = i + 1
            options = []
            while j < len(lines) and re.match(r"\s*:\w+:", lines[j]):
                options.append(lines[j].strip())
                j += 1
            if not any(o.startswith(":annotated:") for o in options):
                opener = (_indent(line), j)
        elif stripped.endswith("::") and not stripped.startswith(".."):
            opener = (_indent(line), i + 1)
        if opener is None:
            i += 1
            continue
        base, j = opener
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
            if lines[j].strip():
                mask[j] = True
            j += 1
        i = j
    return mask


# --- reading the generated HTML ---------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)        # all text under it
    outside_pre: list[str] = field(default_factory=list)  # ... not inside a <pre>
    prose: list[str] = field(default_factory=list)        # ... nor inside a <code>
    entry: str | None = None      # the definition whose entry (section) holds it

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class Elements(HTMLParser):
    """Every element of a fragment with its text (and its text outside ``<pre>``), and the
    entry holding it."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[Node] = []
        self.stack: list[Node] = []
        self.by_entry: dict[str, list[Node]] = {}
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "input", "img", "meta", "link"):
            return
        node = Node(tag, {k: v or "" for k, v in attrs})
        if tag == "section" and node.attrs.get("id", "").startswith("def-"):
            node.entry = node.attrs["data-name"]
        elif self.stack:
            node.entry = self.stack[-1].entry
        if node.entry is not None:
            self.by_entry.setdefault(node.entry, []).append(node)
        self.all.append(node)
        self.stack.append(node)
        self._separate()

    def _separate(self) -> None:
        # Tags separate words, except inside <pre> (its text is verbatim).
        if not any(n.tag == "pre" for n in self.stack):
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag != "pre":
            self._separate()
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        in_pre = in_code = False
        for n in self.stack:
            in_pre = in_pre or n.tag == "pre"
            in_code = in_code or n.tag == "code"
        for n in self.stack:
            n.text.append(data)
            if not in_pre:
                n.outside_pre.append(data)
                if not in_code:
                    n.prose.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        return _find(self.all, tag, cls)


def _find(nodes: list[Node], tag: str, cls: str | None) -> list[Node]:
    return [n for n in nodes if n.tag == tag and (cls is None or cls in n.classes)]


@dataclass
class Scope:
    """The elements of one entry (or of the whole page)."""

    nodes: list[Node]

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        return _find(self.nodes, tag, cls)


def entry_html(page: str, symbol: str) -> str:
    i = page.index(f'id="def-{symbol}"')
    return page[page.rindex("<section", 0, i):page.index("</section>", i)]


@dataclass
class Release:
    version: str
    blocks: list[DocBlock]
    page: str
    symbols: set[str]
    _parsed: Elements | None = None

    def elements(self, block: DocBlock | None) -> Scope:
        """The elements of *block*'s entry; of the whole page for free-form text (None)."""
        if self._parsed is None:
            self._parsed = Elements(self.page)
        if block is None or block.symbol is None:
            return Scope(self._parsed.all)
        return Scope(self._parsed.by_entry[block.symbol])


@pytest.fixture(scope="module", params=RELEASES)
def release(request: pytest.FixtureRequest) -> Release:
    version = request.param.replace(".", "_")
    src: Path = request.getfixturevalue(f"qemu_{version}")
    ref: Path = request.getfixturevalue(f"reference_{version}")
    blocks = doc_blocks(src / "qapi" / "qapi-schema.json")
    page = (ref / "index.html").read_text(encoding="utf-8")
    return Release(request.param, blocks, page, {b.symbol for b in blocks if b.symbol})


def _words(chunks: list[str]) -> list[str]:
    return shown_words(" ".join(chunks))


# --- the constructs ---------------------------------------------------------------------------


@dataclass
class Example:
    title: str
    annotated: bool
    prose: list[str]
    code: list[str]


def examples(block: DocBlock) -> list[Example]:
    """The ``.. qmp-example::`` directives of *block*, read from the comment text."""
    out: list[Example] = []
    lines = block.lines
    mask = code_mask(lines)
    for i, line in enumerate(lines):
        if line.strip() != ".. qmp-example::":
            continue
        base = _indent(line)
        body: list[int] = []
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
            body.append(j)
            j += 1
        options: dict[str, str] = {}
        rest: list[int] = []
        for k in body:
            m = re.fullmatch(r"\s*:(\w+):\s*(.*)", lines[k])
            if m and not rest and not mask[k]:
                options[m.group(1)] = m.group(2)
            else:
                rest.append(k)
        annotated = "annotated" in options
        code = [lines[k].strip() for k in rest if lines[k].strip() and (mask[k] or
                                                                       not annotated)]
        prose = [lines[k].strip() for k in rest if lines[k].strip() and annotated
                 and not mask[k] and lines[k].strip() != "::"]
        out.append(Example(options.get("title", ""), annotated, prose, code))
    return out


def test_examples_are_prose_plus_code(release: Release) -> None:
    counts = {"annotated": 0, "plain": 0, "titled": 0}
    problems: list[str] = []
    for block in release.blocks:
        expected = examples(block)
        if not expected:
            continue
        rendered = release.elements(block).find("div", "example")
        if len(rendered) != len(expected) and block.symbol:
            problems.append(f"{block.where}: {len(expected)} examples, "
                            f"{len(rendered)} rendered")
            continue
        for ex in expected:
            counts["annotated" if ex.annotated else "plain"] += 1
            counts["titled"] += bool(ex.title)
            title = "Example: " + ex.title if ex.title else "Example:"
            candidates = [n for n in rendered
                          if ("annotated" in n.classes) == ex.annotated
                          and " ".join(shown_words(" ".join(n.text))).startswith(
                              " ".join(shown_words(title)))]
            prose = [w for line in ex.prose for w in source_words(line.rstrip(":"))]
            # Code lines are in <pre>, verbatim; the prose is outside <pre>, as paragraphs
            # and lists: neither "::" nor the options are left in it.
            fits = [n for n in candidates
                    if all(re.sub(r"[ ]+", " ", line) in _pre_text(n) for line in ex.code)
                    and is_subsequence(prose, _words(n.outside_pre))
                    and "::" not in "".join(n.outside_pre)
                    and ":annotated:" not in "".join(n.text)
                    and (not ex.annotated or len(ex.prose) == 0 or
                         "".join(n.outside_pre).strip() != "")]
            if not fits:
                problems.append(f"{block.where} {block.symbol}: example {title!r} "
                                f"({'annotated' if ex.annotated else 'plain'}) not rendered "
                                "as prose plus code")
    assert problems == []
    # QEMU 10.0 and 10.2 have 13 annotated examples and about 250 in all.
    assert counts["annotated"] == 13 and counts["plain"] > 230 and counts["titled"] >= 25, counts


def _pre_text(node: Node) -> str:
    inside = "".join(node.text)
    # Compare line by line on collapsed spaces: a code line is verbatim in some <pre>.
    return re.sub(r"[ ]+", " ", inside)


def tables(block: DocBlock) -> list[tuple[list[list[str]], int]]:
    """Simple tables (``====  ====`` borders) and grid tables (``+----+``) outside code:
    their rows of cells (cells split at two or more spaces, or at ``|``) and header rows."""
    out: list[tuple[list[list[str]], int]] = []
    lines, mask = block.lines, code_mask(block.lines)
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if mask[i] or not (re.fullmatch(r"=+( +=+)+", s) or re.fullmatch(r"\+(-+\+)+", s)):
            i += 1
            continue
        grid = s.startswith("+")
        rows: list[list[str]] = []
        head = 0
        borders = 1
        i += 1
        while i < len(lines) and lines[i].strip():
            t = lines[i].strip()
            if (not grid and re.fullmatch(r"=+( +=+)+", t)) or \
                    (grid and re.fullmatch(r"\+([-=]+\+)+", t)):
                borders += 1
                if borders == 2 and (not grid or "=" in t):
                    head = len(rows)
            else:
                rows.append([c.strip() for c in t.strip("|").split("|")] if grid
                            else re.split(r"\s{2,}", t))
            i += 1
        if not grid and borders == 2:
            head = 0
        out.append((rows, head))
    return out


def test_tables_are_tables(release: Release) -> None:
    seen = 0
    problems: list[str] = []
    for block in release.blocks:
        expected = tables(block)
        if not expected:
            continue
        fragment = entry_html(release.page, block.symbol) if block.symbol else release.page
        rendered = [_table_rows(t) for t in _TABLE.findall(fragment)]
        for rows, head in expected:
            seen += 1
            if (rows, head) not in rendered:
                problems.append(f"{block.where} {block.symbol}: table {rows[:2]}... not "
                                f"rendered as a table (found: {rendered})")
    assert problems == []
    assert seen >= 1      # net.json's NetdevDgramOptions


_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)


def _table_rows(table: str) -> tuple[list[list[str]], int]:
    """The cells of an HTML table, row by row, and how many rows are header rows."""
    parser = Elements(table)
    rows: list[list[str]] = []
    head = 0
    for node in parser.all:
        if node.tag == "tr":
            rows.append([])
        elif node.tag in ("td", "th"):
            rows[-1].append(" ".join(html.unescape(" ".join(node.text)).split()))
            if node.tag == "th" and len(rows[-1]) == 1:
                head += 1
    return rows, head


_ITEM = re.compile(r"( *)(-|\*|\d+\.|#\.)\s+(\S.*)")


def list_items(block: DocBlock) -> list[str]:
    """The first line of every bullet or enumerated list item outside code: a marker line
    after a blank line, or after an item of the same list (same indentation)."""
    out: list[str] = []
    lines, mask = block.lines, code_mask(block.lines)
    item_indent: int | None = None
    for i, line in enumerate(lines):
        if mask[i] or not line.strip():
            continue
        m = _ITEM.fullmatch(line)
        prev_blank = i == 0 or not lines[i - 1].strip()
        if m and (prev_blank or item_indent == len(m.group(1))):
            item_indent = len(m.group(1))
            out.append(m.group(3))
        elif item_indent is not None and _indent(line) <= item_indent:
            item_indent = None
    return out


def test_list_items_are_list_items(release: Release) -> None:
    seen = 0
    problems: list[str] = []
    for block in release.blocks:
        items = list_items(block)
        if not items:
            continue
        rendered = [_words(n.text) for n in release.elements(block).find("li")]
        for first in items:
            seen += 1
            words = source_words(first)
            if not any(r[:len(words)] == words for r in rendered):
                problems.append(f"{block.where} {block.symbol}: list item {first!r} is not "
                                "an <li>")
    assert problems == []
    assert seen > 60, seen


# ```name```, ``:qapi:ROLE:`name``` (a leading ~, a trailing ?, [brackets] and a namespace or
# module prefix are not part of the name, as in QEMU's QAPI domain).
_XREF = re.compile(r"(?<![`\w])(?::qapi:\w+:)?`([^`<>]+)`(?![`\w])")


def references(block: DocBlock) -> list[str]:
    out = []
    for line, code in zip(block.lines, code_mask(block.lines), strict=True):
        if code:
            continue
        for m in _XREF.finditer(line):
            if line[:m.start()].rstrip().endswith((":doc:", ":ref:")):
                continue
            out.append(m.group(1).lstrip("~").rstrip("?").strip("[]").split(":")[-1]
                       .split(".")[-1])
    return out


def test_references_link_to_their_entry(release: Release) -> None:
    counts = {"definition": 0, "index": 0, "role": 0}
    problems: list[str] = []
    for block in release.blocks:
        links = None
        for name in references(block):
            if links is None:
                links = {n.attrs.get("href") for n in release.elements(block).find("a")}
            if name in release.symbols:
                counts["definition"] += 1
                if f"#def-{name}" not in links:
                    problems.append(f"{block.where} {block.symbol}: `{name}` is not a link "
                                    "to its entry")
            elif re.fullmatch(r"qapi-\w+-index", name):
                counts["index"] += 1
                if "#qapi-index" not in links:
                    problems.append(f"{block.where}: `{name}` is not a link to the index")
        counts["role"] += sum(1 for line in block.lines for _ in re.finditer(r":qapi:\w+:`",
                                                                              line))
    assert problems == []
    # The index itself: every definition once under its letter, linked.
    index = release.page[release.page.index('id="qapi-index"'):]
    index = index[:index.index("</section>")]
    listed = re.findall(r'<h3 id="index-([A-Z])">.*?</ul>', index, re.DOTALL)
    assert listed and listed == sorted(listed)
    linked = re.findall(r'href="#def-([^"]+)"', index[:index.index('id="index-by-kind"')])
    assert sorted(linked) == sorted(release.symbols)
    assert sorted(linked, key=str.lower) == linked
    # QEMU 10.0 names definitions with @name; 10.1 started writing `name` and roles.
    assert counts["index"] == 1, counts
    if release.version == "10.2":
        assert counts["definition"] > 300 and counts["role"] >= 1, counts


def test_admonitions_are_boxes(release: Release) -> None:
    seen = 0
    problems: list[str] = []
    for block in release.blocks:
        for line, code in zip(block.lines, code_mask(block.lines), strict=True):
            m = re.fullmatch(r"\s*\.\. (note|caution|admonition)::\s*(.*)", line)
            if code or m is None:
                continue
            seen += 1
            boxes = release.elements(block).find("div", m.group(1))
            title = source_words(m.group(2)) if m.group(1) == "admonition" else []
            if not any(_words(b.text)[:len(title)] == title or
                       _words(b.text)[1:1 + len(title)] == title for b in boxes):
                problems.append(f"{block.where} {block.symbol}: .. {m.group(1)}:: not a box")
    assert problems == []
    assert seen > 60


# Markup that must never reach the reader: directive and option lines, roles, double
# backquotes, table borders and "::" at the end of a paragraph.
_RAW = re.compile(r"\.\. [a-z-]+::|:(?:annotated|title|widths|qapi:\w+|doc|ref):"
                  r"|``|={3,} +={3,}|\+-{3,}\+|::\s*$", re.MULTILINE)


def test_no_raw_rest_outside_code(release: Release) -> None:
    page = release.elements(None)
    # Text of code elements (<pre>, <code>) may show anything; the rest must not show markup.
    text = "".join(page.find("main")[0].prose)
    leaks = sorted({m.group(0) for m in _RAW.finditer(text)})
    assert leaks == []
    # The check sees markup when it is there: the doc comments are full of it.
    source = "\n".join(line for b in release.blocks for line in b.lines)
    assert len(_RAW.findall(source)) > 300


# --- constructs QEMU's schemas do not use (yet), in a small schema ---------------------------

SMALL = """\
##
# = Intro
#
# See the `qapi-qmp-index` and :qapi:cmd:`~QMP:things.get-thing`.
#
# +--------+-------------+
# | name   | what        |
# +========+=============+
# | a      | the first   |
# |        | letter      |
# +--------+-------------+
# | b      | ``code``    |
# +--------+-------------+
#
# 3. third
# 4. fourth
##

##
# @get-thing:
#
# Get it; see also :qapi:type:`[Thing]` and `Thing`.
#
# .. table::
#
#    ===  =====
#    one  two
#    ===  =====
#
# .. qmp-example::
#    :annotated:
#    :title: Both ways
#
#    First this::
#
#      -> { "execute": "get-thing" }
#      <- { "return": [] }
#
#    Then, for nothing:
#
#    * a
#    * b
##
{ 'command': 'get-thing', 'returns': ['Thing'] }

##
# @Thing:
#
# A thing.
##
{ 'struct': 'Thing', 'data': {} }
"""


def test_constructs_of_a_small_schema(tmp_path: Path) -> None:
    from tests.docs.helpers import main

    schema = tmp_path / "small.json"
    schema.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(schema), "-o", str(out), "--format", "html,rst"]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    grid, simple = (_table_rows(t) for t in _TABLE.findall(page))
    assert grid == ([["name", "what"], ["a", "the first letter"], ["b", "code"]], 1)
    assert "<td><code>code</code></td>" in page
    assert simple == ([["one", "two"]], 0)
    assert '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>' in page
    # References: the index as QEMU titles it, a role with "~" and a namespace and module
    # prefix (shows the last part), a list type, a plain `name`.
    assert '<a class="index-ref" href="#qapi-index">QMP Index</a>' in page
    assert '<a href="#def-get-thing"><code>get-thing</code></a>' in page
    assert '<a href="#def-Thing"><code>[Thing]</code></a>' in page
    assert page.count('href="#def-Thing"><code>Thing</code></a>') >= 1
    example = Elements(page).find("div", "annotated")
    assert len(example) == 1
    ex = example[0]
    assert shown_words(" ".join(ex.outside_pre)) == [
        "Example", "Both", "ways", "First", "this", "Then", "for", "nothing", "a", "b"]
    assert '<pre class="qmp"><span class="dir" title="to QEMU">-&gt;</span> ' in page
    # The rST output has them too, in standard rST.
    rst = (out / "qapi-reference.rst").read_text(encoding="utf-8")
    assert ".. list-table::\n   :header-rows: 1\n\n   * - name\n     - what\n" in rst
    assert ".. admonition:: Example: Both ways" in rst
    assert "See the QMP Index and :ref:`get-thing <qapi-command-get-thing>`" in rst
