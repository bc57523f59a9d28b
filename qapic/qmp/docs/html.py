"""The HTML reference: one page, a style sheet and a script, readable from the file system.

Every element that does not exist on every target carries ``data-targets`` (the targets it can
exist on, computed at generation time) and a plain-words note.  The page ends with an index of
every definition (alphabetical, then by kind).  The script, all client-side:

* the target picker hides what the chosen target lacks;
* the search box filters entries by their name and the words of their text (every term must
  be there; "names only" restricts it to names); the sidebar sets text-only hits apart;
* with a target picked, matches that the target lacks are listed with where they exist, each
  a link that shows all targets again and goes there;
* the sidebar follows the location: the entry holding the anchor of a deep link (or of a link
  followed in the page) is marked and scrolled into the sidebar's view, and a filter hiding it
  is undone; while the reader scrolls away from it, the entry at the top of the page is
  marked.

Nothing is loaded from the network.
"""

from __future__ import annotations

import re
from html import escape

from . import markup
from .markup import Block, Span
from .model import (
    Entry,
    FeatureView,
    FreeText,
    Group,
    Heading,
    MemberView,
    Text,
    View,
    Where,
    mentions,
)

INDEX_ANCHOR = "qapi-index"
KIND_LABEL = {"command": "Command", "event": "Event", "enum": "Enum", "struct": "Struct",
              "union": "Union", "alternate": "Alternate"}
KIND_PLURAL = {"command": "Commands", "event": "Events", "enum": "Enums", "struct": "Structs",
               "union": "Unions", "alternate": "Alternates"}
KIND_SHORT = {"command": "cmd", "event": "evt", "enum": "enum", "struct": "struct",
              "union": "union", "alternate": "alt"}
SECTION_TITLE = {"Returns": "Returns", "Errors": "Errors", "Since": "Since", "Todo": "To do"}
ADMONITION_TITLE = {"note": "Note", "caution": "Caution", "warning": "Warning",
                    "important": "Important", "tip": "Tip", "hint": "Hint",
                    "attention": "Attention", "danger": "Danger", "error": "Error",
                    "seealso": "See also"}


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _targets_attr(where: Where) -> str:
    if where.targets is None:
        return ""
    return f' data-targets="{_attr(" ".join(where.targets))}"'


def _where(where: Where) -> str:
    if not where.text:
        return ""
    return f'<span class="where" title="availability">{escape(where.text)}</span>'


def _qmp(text: str) -> str:
    """A QMP exchange as HTML: the direction markers (``->`` client to server, ``<-`` server to
    client) and elisions (``...``) set apart from the JSON."""
    out: list[str] = []
    for line in text.split("\n"):
        m = _QMP_LINE.match(line)
        if m is None:
            out.append(_elide(line))
            continue
        lead, arrow, rest = m.groups()
        title = "to QEMU" if arrow == "->" else "from QEMU"
        out.append(f'{lead}<span class="dir" title="{title}">{escape(arrow)}</span>'
                   f"{_elide(rest)}")
    return "\n".join(out)


def _elide(text: str) -> str:
    parts = _ELISION.split(text)
    return "".join(f'<span class="elided">{escape(p, quote=False)}</span>' if i % 2 else
                   escape(p, quote=False) for i, p in enumerate(parts))


_QMP_LINE = re.compile(r"( *)(->|<-)(.*)")
_ELISION = re.compile(r"(\.{3}(?: .* \.{3})?)")


class _Renderer:
    def __init__(self, view: View) -> None:
        self.view = view
        self.out: list[str] = []
        self.members: dict[str, str] = {}     # @name -> anchor, in the current entry
        self.entry_level = 3
        self.in_example = False

    # -- inline

    def inline(self, text: str) -> str:
        parts: list[str] = []
        for span in markup.inline(text):
            parts.append(self.span(span))
        return "".join(parts)

    def span(self, span: Span) -> str:
        kind = span.kind
        if kind == "text":
            return escape(span.text, quote=False)
        if kind == "code":
            return f"<code>{escape(span.text, quote=False)}</code>"
        if kind == "emph":
            return f"<em>{self.inline(span.text)}</em>"
        if kind == "strong":
            return f"<strong>{self.inline(span.text)}</strong>"
        if kind == "ref":
            target = self.members.get(span.target)
            if target is None and span.target in self.view.entries:
                target = self.view.entries[span.target].anchor
            code = f"<code>{escape(span.text, quote=False)}</code>"
            return f'<a href="#{_attr(target)}">{code}</a>' if target else code
        if markup.names_index(span):
            return (f'<a class="index-ref" href="#{INDEX_ANCHOR}">'
                    f"{escape(markup.index_title(span), quote=False)}</a>")
        name = markup.definition(span)
        entry = self.view.entries.get(name) if name is not None else None
        if entry is not None:
            return (f'<a href="#{_attr(entry.anchor)}"><code>'
                    f"{escape(span.text, quote=False)}</code></a>")
        if span.kind == "xref":
            return f'<span class="xref">{escape(span.text, quote=False)}</span>'
        if span.role == "doc":      # another page of QEMU's manual: the release's, online
            return (f'<a class="manual" href="{_attr(self.view.manual_page(span.target))}">'
                    f"{escape(span.text, quote=False)}</a>")
        # role: a reference into documentation this reference does not contain
        return f'<span class="xref" title="{_attr(span.target)}">{escape(span.text)}</span>'

    # -- blocks

    def blocks(self, blocks: list[Block]) -> None:
        out = self.out
        for b in blocks:
            kind = b.kind
            if kind == "para":
                out.append(f"<p>{self.inline(b.text)}</p>\n")
            elif kind == "literal":
                if self.in_example:
                    out.append(f'<pre class="qmp">{_qmp(b.text)}</pre>\n')
                else:
                    out.append(f"<pre>{escape(b.text, quote=False)}</pre>\n")
            elif kind == "table":
                self.table(b)
            elif kind == "heading":
                level = min(b.level + 1, 6)
                out.append(f"<h{level}>{self.inline(b.text)}</h{level}>\n")
            elif kind == "quote":
                out.append("<blockquote>\n")
                self.blocks(b.children)
                out.append("</blockquote>\n")
            elif kind in ("bullets", "enum"):
                if kind == "bullets":
                    out.append("<ul>\n")
                else:
                    start = f' start="{b.start}"' if b.start != 1 else ""
                    out.append(f"<ol{start}>\n")
                for item in b.items:
                    out.append("<li>")
                    if len(item) == 1 and item[0].kind == "para":
                        out.append(self.inline(item[0].text))
                    else:
                        self.blocks(item)
                    out.append("</li>\n")
                out.append("</ul>\n" if kind == "bullets" else "</ol>\n")
            elif kind == "deflist":
                out.append("<dl class=\"deflist\">\n")
                for term, item in zip(b.terms, b.items, strict=True):
                    out.append(f"<dt>{self.inline(term)}</dt>\n<dd>")
                    self.blocks(item)
                    out.append("</dd>\n")
                out.append("</dl>\n")
            elif kind == "directive":
                self.directive(b)
            # comments are invisible, as in Sphinx

    def table(self, b: Block, caption: str = "") -> None:
        out = self.out
        out.append('<table class="doc-table">\n')
        if caption:
            out.append(f"<caption>{self.inline(caption)}</caption>\n")
        for n, row in enumerate(b.rows):
            if n == 0 and b.head:
                out.append("<thead>\n")
            if n == b.head:
                out.append("<tbody>\n")
            cell = "th" if n < b.head else "td"
            out.append("<tr>" + "".join(f"<{cell}>{self.inline(c)}</{cell}>" for c in row)
                       + "</tr>\n")
            if n == b.head - 1:
                out.append("</thead>\n")
        if len(b.rows) > b.head:
            out.append("</tbody>\n")
        out.append("</table>\n")

    def directive(self, b: Block) -> None:
        out = self.out
        name = b.name
        if name == "table" and len(b.children) == 1 and b.children[0].kind == "table":
            self.table(b.children[0], b.text)
            return
        if name == "qmp-example":
            # As QEMU's Sphinx extension: "Example:" and the title; the body is one QMP
            # exchange, or (annotated) prose around exchanges given as literal blocks.
            title = "Example:"
            if b.options.get("title"):
                title += " " + b.options["title"]
            annotated = " annotated" if "annotated" in b.options else ""
            out.append(f'<div class="example{annotated}">'
                       f'<p class="example-title">{self.inline(title)}</p>\n')
            self.in_example = True
            self.blocks(b.children)
            self.in_example = False
            out.append("</div>\n")
            return
        elif name in markup.ADMONITIONS:
            title = b.text if name == "admonition" else ADMONITION_TITLE.get(name, name)
            cls = "admonition" if name == "admonition" else f"admonition {_attr(name)}"
            out.append(f'<div class="{cls}">'
                       f'<p class="admonition-title">{self.inline(title)}</p>\n')
        else:
            title = b.text or name
            out.append(f'<div class="directive {_attr(name)}">'
                       f'<p class="directive-title">{self.inline(title)}</p>\n')
        self.blocks(b.children)
        out.append("</div>\n")

    def text(self, text: Text, cls: str = "text") -> None:
        if text.empty:
            return
        self.out.append(f'<div class="{cls}">\n')
        self.blocks(text.blocks)
        self.out.append("</div>\n")

    # -- entries

    def type_ref(self, ref_name: str, target: str | None) -> str:
        code = f"<code>{escape(ref_name, quote=False)}</code>"
        entry = self.view.entries.get(target) if target is not None else None
        if entry is None:
            return f'<span class="type">{code}</span>'
        return f'<a class="type" href="#{_attr(entry.anchor)}">{code}</a>'

    def feature_badge(self, f: FeatureView, link: bool = True) -> str:
        cls = "feature special" if f.special else "feature"
        cls += f" feature-{_attr(f.name)}" if f.special else ""
        tip = f' title="{_attr(markup.plain_text(f.text.blocks))}"' if not f.text.empty else ""
        where = f" ({escape(f.where.text)})" if f.where.text else ""
        name = escape(f.name)
        if link:
            name = f'<a href="#{_attr(f.anchor)}">{name}</a>'
        return f'<span class="{cls}"{_targets_attr(f.where)}{tip}>{name}{where}</span>'

    def member(self, m: MemberView) -> None:
        out = self.out
        out.append(f'<div class="member" id="{_attr(m.anchor)}"{_targets_attr(m.where)}>'
                   f'<dt><code class="member-name">{escape(m.name)}</code>')
        if m.type is not None:
            out.append(": " + self.type_ref(m.type.name, m.type.target))
        if m.optional:
            out.append(' <span class="optional">optional</span>')
        if m.where.text:
            out.append(" " + _where(m.where))
        for f in m.features:
            out.append(" " + self.feature_badge(f))
        out.append("</dt>\n<dd>")
        self.blocks(m.text.blocks)
        out.append("</dd></div>\n")

    def group(self, g: Group) -> None:
        out = self.out
        ident = f' id="{_attr(g.anchor)}"' if g.anchor else ""
        out.append(f'<div class="group"{ident}{_targets_attr(g.where)}>'
                   f'<h{self.entry_level + 1}>{escape(g.title)}'
                   f'{" " + _where(g.where) if g.where.text else ""}'
                   f"</h{self.entry_level + 1}>\n")
        if g.ref is not None:
            out.append(f"<p>The members of {self.type_ref(g.ref.name, g.ref.target)}.</p>\n")
        if g.note:
            out.append(f'<p class="note">{escape(g.note)}</p>\n')
        if g.members:
            out.append('<dl class="members">\n')
            for m in g.members:
                self.member(m)
            out.append("</dl>\n")
        out.append("</div>\n")

    def entry(self, e: Entry) -> None:
        out = self.out
        self.members = {m.name: m.anchor for g in e.groups for m in g.members}
        self.members.update({f.name: f.anchor for f in e.all_features})
        h = self.entry_level
        out.append(f'<section class="def def-{e.kind}" id="{_attr(e.anchor)}" '
                   f'data-name="{_attr(e.name)}"{_targets_attr(e.where)}>\n'
                   f'<h{h}><span class="kind">{KIND_LABEL[e.kind]}</span> '
                   f'<code class="name">{escape(e.name)}</code>'
                   f'<a class="permalink" href="#{_attr(e.anchor)}" title="link here">#</a>'
                   f"</h{h}>\n")
        meta: list[str] = []
        if e.where.text:
            meta.append(_where(e.where))
        meta += [f'<span class="flag">{escape(flag)}</span>' for flag in e.flags]
        meta += [self.feature_badge(f) for f in e.features if f.special]
        if meta:
            out.append(f'<p class="meta">{" ".join(meta)}</p>\n')
        self.text(e.body, "text body")
        for g in e.groups:
            self.group(g)
        if e.returns is not None and not any(s.kind == "Returns" for s in e.sections):
            out.append(f'<div class="section section-returns"><h{h + 1}>Returns</h{h + 1}>'
                       f"<p>{self.type_ref(e.returns.name, e.returns.target)}</p></div>\n")
        if e.all_features:
            out.append(f'<div class="features"><h{h + 1}>Features</h{h + 1}>\n'
                       '<dl class="members">\n')
            for f in e.all_features:
                on = ""
                if f.members:
                    names = ", ".join(f"<code>{escape(n)}</code>" for n in f.members)
                    on = f' <span class="on">of {names}</span>'
                out.append(f'<div class="member" id="{_attr(f.anchor)}"{_targets_attr(f.where)}>'
                           f"<dt>{self.feature_badge(f, link=False)}{on}</dt>\n<dd>")
                self.blocks(f.text.blocks)
                out.append("</dd></div>\n")
            out.append("</dl></div>\n")
        for s in e.sections:
            kind = s.kind.lower()
            out.append(f'<div class="section section-{kind}">')
            if s.kind in SECTION_TITLE:
                out.append(f"<h{h + 1}>{SECTION_TITLE[s.kind]}</h{h + 1}>\n")
            if s.returns is not None and not mentions(s.text, s.returns.target):
                out.append(f"<p>{self.type_ref(s.returns.name, s.returns.target)}</p>\n")
            self.blocks(s.text.blocks)
            out.append("</div>\n")
        out.append("</section>\n")
        self.members = {}

    # -- index

    def index(self) -> None:
        """The index of definitions, as QEMU's QAPI index: alphabetically (a letter bar, then
        each letter's names with their kind) and by kind."""
        out = self.out
        entries = sorted(self.view.entries.values(), key=lambda e: (e.name.lower(), e.name))
        letters: dict[str, list[Entry]] = {}
        for e in entries:
            letters.setdefault(e.name[0].upper(), []).append(e)
        out.append(f'<section id="{INDEX_ANCHOR}" class="index">\n<h2 class="index-title">'
                   f'Index<a class="permalink" href="#{INDEX_ANCHOR}" title="link here">#</a>'
                   '</h2>\n<p class="letters">')
        out.append(" ".join(f'<a href="#index-{_attr(c)}">{escape(c)}</a>' for c in letters))
        out.append("</p>\n")

        def item(e: Entry, kind: bool) -> str:
            label = f' <span class="kind">{KIND_SHORT[e.kind]}</span>' if kind else ""
            return (f"<li{_targets_attr(e.where)}>"
                    f'<a href="#{_attr(e.anchor)}"><code>{escape(e.name)}</code></a>'
                    f"{label}</li>")

        for c, group in letters.items():
            out.append(f'<h3 id="index-{_attr(c)}">{escape(c)}</h3>\n<ul class="index-list">'
                       + "".join(item(e, True) for e in group) + "</ul>\n")
        out.append('<h3 id="index-by-kind">By kind</h3>\n')
        for kind, label in KIND_PLURAL.items():
            group = [e for e in entries if e.kind == kind]
            if group:
                out.append(f'<h4 id="index-{kind}">{label} ({len(group)})</h4>\n'
                           '<ul class="index-list">'
                           + "".join(item(e, False) for e in group) + "</ul>\n")
        out.append("</section>\n")

    # -- page

    def page(self) -> str:
        view = self.view
        out = self.out
        toc: list[str] = []
        out.append('<main id="content">\n')
        out.append(f"<header><h1>{escape(view.title)}</h1>\n")
        if view.build:
            out.append(f'<p class="build">This reference documents one build: '
                       f"{escape(view.build)}.</p>\n")
        elif view.targets:
            out.append('<p class="build">Items that do not exist everywhere say where they '
                       "exist; pick a target to hide what it lacks.</p>\n")
        out.append("</header>\n")
        level = 0
        for node in view.nodes:
            if isinstance(node, Heading):
                level = node.level
                hl = min(node.level + 1, 6)
                out.append(f'<h{hl} class="heading" id="{_attr(node.anchor)}">'
                           f"{self.inline(node.title)}</h{hl}>\n")
                toc.append(f'<li class="toc-heading toc-h{min(node.level, 4)}">'
                           f'<a href="#{_attr(node.anchor)}">{self.inline(node.title)}</a></li>')
                self.entry_level = min(hl + 1, 5)
            elif isinstance(node, FreeText):
                self.text(node.text, "freeform")
            else:
                self.entry(node)
                toc.append(f'<li class="toc-item" data-name="{_attr(node.name)}"'
                           f'{_targets_attr(node.where)}><a href="#{_attr(node.anchor)}">'
                           f'<span class="kind">{KIND_SHORT[node.kind]}</span> '
                           f"{escape(node.name)}</a></li>")
        del level
        if view.entries:
            self.index()
            toc.insert(0, f'<li class="toc-heading toc-index"><a href="#{INDEX_ANCHOR}">'
                          "Index</a></li>")
        out.append("</main>\n")
        main = "".join(out)

        options = "".join(f'<option value="{_attr(t)}">{escape(t)}</option>'
                          for t in view.targets)
        picker = ""
        if view.targets:
            picker = ('<label for="target">Target</label> <select id="target">'
                      f'<option value="">all targets</option>{options}</select>\n')
        head = (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(view.title)}</title>\n"
            '<link rel="stylesheet" href="qapi-docs.css">\n</head>\n<body>\n'
            '<nav id="sidebar" aria-label="contents">\n<div class="controls">\n'
            '<input id="search" type="search" placeholder="Search names and descriptions" '
            'aria-label="search names and descriptions" autocomplete="off">\n'
            '<label class="names-only"><input id="names-only" type="checkbox"> names only'
            "</label>\n"
            f"{picker}"
            '<p id="status" aria-live="polite"></p>\n'
            '<div id="elsewhere" hidden></div>\n</div>\n'
            f'<ul id="toc">\n{chr(10).join(toc)}\n</ul>\n</nav>\n'
        )
        return head + main + '<script src="qapi-docs.js"></script>\n</body>\n</html>\n'


def render(view: View) -> dict[str, str]:
    """The files of the HTML reference: name -> content."""
    return {"index.html": _Renderer(view).page(), "qapi-docs.css": CSS, "qapi-docs.js": JS}


CSS = """\
:root { --fg: #1d1f21; --muted: #5b6167; --bg: #fff; --side: #f4f5f7; --line: #d8dbe0;
        --accent: #1a5fb4; --code: #f1f2f4; --warn: #9c5b00; --bad: #a51d2d; }
* { box-sizing: border-box; }
html { scroll-padding-top: 1em; }
body { margin: 0; color: var(--fg); background: var(--bg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
#sidebar { position: fixed; top: 0; bottom: 0; left: 0; width: 20rem; overflow-y: auto;
           background: var(--side); border-right: 1px solid var(--line); padding: 0.8rem; }
.controls { position: sticky; top: -0.8rem; background: var(--side); padding: 0.2rem 0 0.5rem;
            border-bottom: 1px solid var(--line); }
#search { width: 100%; padding: 0.35rem 0.5rem; font-size: 1rem; border: 1px solid #aab;
          border-radius: 4px; margin-bottom: 0.4rem; }
#target { font-size: 0.95rem; margin-left: 0.3rem; }
#status { margin: 0.3rem 0 0; color: var(--muted); font-size: 0.85rem; min-height: 1.2em; }
#toc { list-style: none; margin: 0.5rem 0 0; padding: 0; font-size: 0.88rem; }
#toc li { margin: 0; padding: 0.05rem 0; white-space: nowrap; overflow: hidden;
          text-overflow: ellipsis; }
#toc a { color: var(--fg); text-decoration: none; }
#toc a:hover { color: var(--accent); text-decoration: underline; }
#toc .toc-heading { font-weight: 600; margin-top: 0.5rem; }
#toc .toc-h2 { padding-left: 0.6rem; } #toc .toc-h3, #toc .toc-h4 { padding-left: 1.2rem; }
#toc .toc-item { padding-left: 1.2rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
                 font-size: 0.82rem; }
.kind { display: inline-block; min-width: 3.2em; color: var(--muted); font-size: 0.75em;
        font-family: system-ui, sans-serif; text-transform: uppercase; letter-spacing: 0.03em; }
main { margin-left: 20rem; padding: 1rem 2.5rem 4rem; max-width: 68rem; }
h1 { margin-top: 0.2rem; }
.heading { border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; margin-top: 2rem; }
.build { color: var(--muted); }
.def { border: 1px solid var(--line); border-radius: 6px; padding: 0.2rem 1.1rem 0.6rem;
       margin: 1.2rem 0; background: #fff; }
.def > h3, .def > h4, .def > h5 { margin: 0.5rem 0 0.3rem; font-size: 1.15rem; }
.def .name { font-size: 1.05em; background: none; padding: 0; }
.def h4, .def h5, .def h6 { font-size: 0.95rem; margin: 0.8rem 0 0.2rem; color: #333; }
.permalink { margin-left: 0.4em; color: #aab; text-decoration: none; font-size: 0.85em; }
.meta { margin: 0 0 0.4rem; font-size: 0.88rem; }
.meta > span { margin-right: 0.5em; }
.since { color: var(--muted); }
.where { display: inline-block; background: #fff4d6; color: #6b4a00; border: 1px solid #f0d99a;
         border-radius: 3px; padding: 0 0.35em; font-size: 0.85em; font-weight: normal; }
.flag, .feature { display: inline-block; border: 1px solid var(--line); border-radius: 3px;
                  padding: 0 0.35em; font-size: 0.85em; background: #f7f7f9; }
.feature-deprecated { color: var(--bad); border-color: #e8b4ba; background: #fdf0f1; }
.feature-unstable { color: var(--warn); border-color: #ecc994; background: #fff7ea; }
.optional { color: var(--muted); font-size: 0.85em; font-style: italic; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
       background: var(--code); padding: 0 0.2em; border-radius: 3px; }
a code { color: var(--accent); }
a { color: var(--accent); }
pre { background: var(--code); padding: 0.6rem 0.8rem; overflow-x: auto; border-radius: 4px;
      font-size: 0.85rem; line-height: 1.4; }
dl.members { margin: 0.2rem 0; }
dl.members dt { margin-top: 0.35rem; }
dl.members dd { margin: 0 0 0.3rem 1.5rem; }
dl.members dd > p:first-child { margin-top: 0.1rem; }
dd p { margin: 0.3rem 0; }
.member-name { font-weight: 600; }
.note { color: var(--muted); font-style: italic; margin: 0.2rem 0; }
.example, .admonition, .directive { border-left: 3px solid var(--line); padding: 0.1rem 0.8rem;
                                    margin: 0.6rem 0; }
.admonition { border-left-color: #62a0ea; background: #f3f8fe; }
.admonition.caution, .admonition.warning, .admonition.danger { border-left-color: #e5a50a;
                                                               background: #fffaf0; }
.example-title, .admonition-title, .directive-title { font-weight: 600; margin: 0.3rem 0; }
.xref { font-style: italic; }
.example.annotated > p { margin: 0.4rem 0; }
pre.qmp .dir { color: var(--accent); font-weight: 600; }
pre.qmp .elided { color: var(--muted); font-style: italic; }
table.doc-table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.92rem; }
table.doc-table caption { text-align: left; font-weight: 600; padding: 0.2rem 0;
                         white-space: nowrap; }
table.doc-table th, table.doc-table td { border: 1px solid var(--line); padding: 0.2rem 0.6rem;
                                         text-align: left; vertical-align: top; }
table.doc-table th { background: var(--side); }
.on { color: var(--muted); font-size: 0.9em; }
.section-since { color: var(--muted); font-size: 0.9rem; }
.section-since h4, .section-since h5, .section-since h6 { display: inline; margin-right: 0.4em; }
.section-since p { display: inline; }
.section-todo { color: var(--muted); font-size: 0.9rem; }
.off-target, .no-match, body.searching .freeform, body.searching .heading,
body.searching #toc .toc-heading, body.searching .index { display: none !important; }
::highlight(search) { background-color: #ffe27a; color: inherit; }
.names-only { font-size: 0.85rem; color: var(--muted); margin-right: 0.6rem; }
#toc li.text-hit a { color: var(--muted); font-style: italic; }
#toc li.current { background: #dce8f8; border-left: 3px solid var(--accent);
                  padding-left: calc(1.2rem - 3px); }
#toc li.current a { color: var(--accent); font-weight: 600; }
.def:target, .member:target, .group:target { outline: 2px solid #62a0ea; outline-offset: 2px; }
#elsewhere { font-size: 0.85rem; background: #fff4d6; border: 1px solid #f0d99a;
             border-radius: 4px; padding: 0.2rem 0.5rem; margin-top: 0.3rem;
             max-height: 30vh; overflow-y: auto; }
#elsewhere p { margin: 0.2rem 0; }
#elsewhere ul { margin: 0.2rem 0; padding-left: 1.1rem; }
.index { border-top: 2px solid var(--line); margin-top: 3rem; }
.index .letters { font-size: 1.05rem; word-spacing: 0.35em; }
.index .letters a { text-decoration: none; font-weight: 600; }
.index h3 { border-bottom: 1px solid var(--line); margin: 1.2rem 0 0.3rem; }
ul.index-list { columns: 3 16rem; list-style: none; padding: 0; margin: 0.3rem 0;
                font-size: 0.88rem; }
ul.index-list li { break-inside: avoid; }
@media (max-width: 52rem) {
  #sidebar { position: static; width: auto; max-height: 45vh; }
  main { margin-left: 0; padding: 1rem; }
}
"""

JS = """\
'use strict';
(function () {
  var search = document.getElementById('search');
  var namesOnly = document.getElementById('names-only');
  var picker = document.getElementById('target');
  var status = document.getElementById('status');
  var elsewhere = document.getElementById('elsewhere');
  var sidebar = document.getElementById('sidebar');
  var conditional = Array.prototype.slice.call(document.querySelectorAll('[data-targets]'));
  var sections = Array.prototype.slice.call(document.querySelectorAll('section[data-name]'));
  var tocItems = new Map();
  Array.prototype.slice.call(document.querySelectorAll('#toc li[data-name]')).forEach(
    function (li) { tocItems.set(li.getAttribute('data-name'), li); });
  var lists = new Map();
  conditional.forEach(function (el) { lists.set(el, el.getAttribute('data-targets').split(' ')); });
  var texts = null;   // each entry's words, lower case: built on the first full-text search

  function entryText(el) {
    return el.textContent.replace(/\\s+/g, ' ').toLowerCase();
  }

  // Whether entry *el* matches the query's terms: 2 by name, 1 in its text, 0 not.
  function match(el, name, terms) {
    var inName = terms.every(function (t) { return name.indexOf(t) >= 0; });
    if (inName) { return 2; }
    if (namesOnly.checked) { return 0; }
    if (texts === null) { texts = new Map(); }
    var text = texts.get(el);
    if (text === undefined) { text = entryText(el); texts.set(el, text); }
    return terms.every(function (t) { return text.indexOf(t) >= 0; }) ? 1 : 0;
  }

  function whereText(el) {
    var where = el.querySelector('.meta .where');
    return where ? where.textContent : '';
  }

  function showElsewhere(target, hidden) {
    elsewhere.textContent = '';
    elsewhere.hidden = hidden.length === 0;
    if (hidden.length === 0) { return; }
    var head = document.createElement('p');
    head.textContent = hidden.length + (hidden.length === 1 ? ' match is' : ' matches are') +
      ' not on ' + target + ' but on other targets:';
    elsewhere.appendChild(head);
    var ul = document.createElement('ul');
    hidden.slice(0, 50).forEach(function (el) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '#' + el.id;
      a.textContent = el.getAttribute('data-name');
      a.title = 'show all targets and go there';
      a.addEventListener('click', function () { if (picker) { picker.value = ''; } apply(); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(' \\u2014 ' + whereText(el)));
      ul.appendChild(li);
    });
    elsewhere.appendChild(ul);
    if (hidden.length > 50) {
      var more = document.createElement('p');
      more.textContent = 'and ' + (hidden.length - 50) + ' more';
      elsewhere.appendChild(more);
    }
  }

  // The terms found in the text of the entries shown, marked (CSS Custom Highlight API, where
  // the browser has it; the page works the same without).
  var canMark = !!(window.CSS && CSS.highlights && window.Highlight);
  function mark(shownEntries, terms) {
    if (!canMark) { return; }
    var ranges = [];
    shownEntries.slice(0, 200).forEach(function (el) {
      var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        var text = node.data.toLowerCase();
        terms.forEach(function (t) {
          for (var i = text.indexOf(t); i >= 0; i = text.indexOf(t, i + t.length)) {
            var r = new Range();
            r.setStart(node, i);
            r.setEnd(node, i + t.length);
            ranges.push(r);
          }
        });
      }
    });
    if (ranges.length) {
      CSS.highlights.set('search', new Highlight(...ranges));
    } else {
      CSS.highlights.delete('search');
    }
  }

  function apply() {
    var target = picker ? picker.value : '';
    var query = search.value.trim().toLowerCase();
    var terms = query === '' ? [] : query.split(/\\s+/);
    conditional.forEach(function (el) {
      el.classList.toggle('off-target', target !== '' && lists.get(el).indexOf(target) < 0);
    });
    var shown = 0, byName = 0, hidden = [], shownEntries = [];
    sections.forEach(function (el) {
      var name = el.getAttribute('data-name');
      var how = terms.length ? match(el, name.toLowerCase(), terms) : 2;
      var li = tocItems.get(name);
      el.classList.toggle('no-match', how === 0);
      if (li) {
        li.classList.toggle('no-match', how === 0);
        li.classList.toggle('text-hit', how === 1 && terms.length > 0);
      }
      if (how === 0) { return; }
      if (el.classList.contains('off-target')) { hidden.push(el); return; }
      shown++;
      shownEntries.push(el);
      if (how === 2) { byName++; }
    });
    mark(terms.length ? shownEntries : [], terms);
    document.body.classList.toggle('searching', query !== '');
    var words = [];
    if (query !== '') {
      words.push(shown + (shown === 1 ? ' match' : ' matches') +
                 (shown > byName ? ' (' + byName + ' by name)' : ''));
    }
    if (target !== '') { words.push('showing what ' + target + ' has'); }
    status.textContent = words.join(', ');
    showElsewhere(target, query !== '' && target !== '' ? hidden : []);
    var state = [];
    if (target !== '') { state.push('target=' + encodeURIComponent(target)); }
    if (query !== '') { state.push('q=' + encodeURIComponent(query)); }
    if (history.replaceState && !isAnchor(location.hash.slice(1))) {
      try {
        history.replaceState(null, '', state.length ? '#' + state.join('&') : location.pathname);
      } catch (e) { /* some browsers refuse this for file: URLs; the state is a convenience */ }
    }
  }

  function isAnchor(id) {
    return id !== '' && id.indexOf('=') < 0 && document.getElementById(id) !== null;
  }

  // The sidebar follows the location: the entry (or heading) holding the anchor is marked
  // and scrolled into the sidebar's view; what hides the anchor (search, target) is undone.
  var current = null;
  function follow() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!isAnchor(id)) { return; }
    var el = document.getElementById(id);
    if (el.getClientRects().length === 0) {   // hidden by the search or the target
      search.value = '';
      if (picker) { picker.value = ''; }
      apply();
      el.scrollIntoView();
    }
    var owner = el.closest('section[data-name]');
    var li = owner ? tocItems.get(owner.getAttribute('data-name')) : null;
    if (!li) {
      var link = document.querySelector('#toc a[href="#' + CSS.escape(id) + '"]');
      li = link ? link.parentElement : null;
    }
    select(li, true);
  }

  // Mark *li* as the sidebar's current entry; scroll the sidebar to it (to its middle when
  // *center*, else only if it is out of the sidebar's view).
  function select(li, center) {
    if (li === current) { return; }
    if (current) { current.classList.remove('current'); }
    current = li;
    if (!li) { return; }
    li.classList.add('current');
    var controls = sidebar.querySelector('.controls');
    var top = li.offsetTop - sidebar.offsetTop;
    var above = controls ? controls.offsetHeight : 0;
    var room = sidebar.clientHeight - above;
    if (center || top < sidebar.scrollTop + above || top + li.offsetHeight >
        sidebar.scrollTop + sidebar.clientHeight) {
      sidebar.scrollTop = Math.max(0, top - room / 2);
    }
  }

  // While the reader scrolls, the sidebar follows the entry at the top of the page, unless
  // the location's anchor is still in view (then its entry stays marked).
  var main = document.getElementById('content');
  function spy() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (isAnchor(id)) {
      var anchor = document.getElementById(id).getBoundingClientRect();
      if (anchor.bottom > 0 && anchor.top < window.innerHeight) { return; }
    }
    var box = main.getBoundingClientRect();
    var at = document.elementFromPoint(box.left + box.width / 2, 80);
    var owner = at ? at.closest('section[data-name]') : null;
    if (owner) { select(tocItems.get(owner.getAttribute('data-name')) || null, false); }
  }
  var spying = false;
  window.addEventListener('scroll', function () {
    if (spying) { return; }
    spying = true;
    window.requestAnimationFrame(function () { spying = false; spy(); });
  }, { passive: true });

  var hash = location.hash.slice(1);
  if (!isAnchor(decodeURIComponent(hash))) {
    hash.split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i < 0) { return; }
      var key = kv.slice(0, i), value = decodeURIComponent(kv.slice(i + 1));
      if (key === 'target' && picker) { picker.value = value; }
      if (key === 'q') { search.value = value; }
    });
  }
  search.addEventListener('input', apply);
  namesOnly.addEventListener('change', apply);
  if (picker) { picker.addEventListener('change', apply); }
  window.addEventListener('hashchange', follow);
  apply();
  follow();
})();
"""
