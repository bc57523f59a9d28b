"""The reference as reStructuredText, for projects that build their documentation with Sphinx.

The output is plain rST: it needs no QEMU Sphinx extension.  Doc text is re-emitted from the
parsed tree, with QEMU-specific markup turned into standard markup: ``@name`` and ```Name```
become ``:ref:`` links to the definition's label (``qapi-KIND-NAME``) or literals, roles into
QEMU's own manuals (``:doc:``) become their text, and ``.. qmp-example::`` becomes an
admonition around a literal block.  Each definition is a section under the free-form headings
of the schema, preceded by its label.
"""

from __future__ import annotations

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
    mentions,
)

_ADORN = "=-~^\"'`"
_KIND = {"command": "command", "event": "event", "enum": "enum", "struct": "struct",
         "union": "union", "alternate": "alternate"}


def labels(view: View) -> dict[str, str]:
    """Each entry's label: ``qapi-KIND-NAME`` (Sphinx folds case: event ``STOP`` and command
    ``stop`` differ by kind; should two names of one kind differ only in case, the later one
    gets a suffix)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, entry in view.entries.items():
        base = lab = f"qapi-{entry.kind}-{name}"
        n = 1
        while lab.lower() in seen:
            n += 1
            lab = f"{base}-{n}"
        seen.add(lab.lower())
        out[name] = lab
    return out


def _literal(text: str) -> str:
    """*text* as an inline literal (backquotes that would end it are kept apart)."""
    if "``" in text or text.startswith("`") or text.endswith("`") or not text.strip():
        return f":literal:`{text.replace('`', chr(92) + '`')}`" if text.strip() else text
    return f"``{text}``"


def _indent(lines: list[str], by: str) -> list[str]:
    return [by + line if line else "" for line in lines]


class _Writer:
    def __init__(self, view: View) -> None:
        self.view = view
        self.labels = labels(view)
        self.members: set[str] = set()

    # -- inline

    def ref(self, name: str, shown: str) -> str:
        lab = self.labels.get(name)
        if lab is None:
            return _literal(shown)
        return f":ref:`{shown.replace('<', chr(92) + '<')} <{lab}>`"

    def span(self, s: Span) -> str:
        if s.kind == "text":
            return s.text
        if s.kind == "code":
            return _literal(s.text)
        if s.kind == "emph":
            return f"*{s.text}*"
        if s.kind == "strong":
            return f"**{s.text}**"
        if s.kind == "ref":
            if s.target in self.members or s.target not in self.labels:
                return _literal(s.text)
            return self.ref(s.target, s.text)
        if markup.names_index(s):
            return markup.index_title(s)   # Sphinx's own index (genindex) serves there
        name = markup.definition(s)
        if name is not None and name in self.labels:
            return self.ref(name, s.text)
        if s.kind == "xref":
            return f"*{s.text}*"
        if s.role == "doc":     # another page of QEMU's manual: the release's, online
            return f"`{s.text} <{self.view.manual_page(s.target)}>`__"
        return s.text   # a role into documentation this output does not have

    def inline(self, text: str) -> str:
        return "".join(self.span(s) for s in markup.inline(text))

    # -- blocks

    def blocks(self, blocks: list[Block]) -> list[str]:
        out: list[str] = []
        for b in blocks:
            lines = self.block(b)
            if not lines:
                continue
            if out:
                out.append("")
            out.extend(lines)
        return out

    def block(self, b: Block) -> list[str]:
        kind = b.kind
        if kind == "para":
            return self.inline(b.text).split("\n")
        if kind == "heading":
            return [f"**{self.inline(b.text)}**"]
        if kind == "literal":
            return ["::", "", *_indent(b.text.split("\n"), "   ")]
        if kind == "quote":
            return _indent(self.blocks(b.children), "   ")
        if kind in ("bullets", "enum"):
            out: list[str] = []
            for n, item in enumerate(b.items):
                marker = "-" if kind == "bullets" else f"{b.start + n}."
                body = self.blocks(item) or [""]
                pad = " " * (len(marker) + 1)
                out.append(f"{marker} {body[0]}".rstrip())
                out.extend(_indent(body[1:], pad))
                out.append("")
            return out[:-1]
        if kind == "deflist":
            out = []
            for term, item in zip(b.terms, b.items, strict=True):
                out.append(self.inline(term))
                out.extend(_indent(self.blocks(item) or ["\\"], "   "))
            return out
        if kind == "table":
            return self.table(b)
        if kind == "directive":
            return self.directive(b)
        return []   # comments

    def table(self, b: Block, title: str = "") -> list[str]:
        """A table as a ``list-table`` (any cell text fits, whatever its width)."""
        out = [f".. list-table:: {self.inline(title)}".rstrip()]
        if b.head:
            out.append(f"   :header-rows: {b.head}")
        out.append("")
        for row in b.rows:
            for n, cell in enumerate(row):
                text = " ".join(self.inline(cell).split("\n")).strip() or "\\"
                out.append(f"   {'* -' if n == 0 else '  -'} {text}")
        return out

    def directive(self, b: Block) -> list[str]:
        name = b.name
        if name == "table" and len(b.children) == 1 and b.children[0].kind == "table":
            return self.table(b.children[0], b.text)
        body = self.blocks(b.children)
        if name == "qmp-example":
            title = "Example"
            if b.options.get("title"):
                title += ": " + self.inline(b.options["title"])
            head = [f".. admonition:: {title}"]
        elif name == "admonition":
            head = [f".. admonition:: {self.inline(b.text)}"]
        elif name in markup.ADMONITIONS:
            head = [f".. {name}::"]
        else:
            head = [f".. admonition:: {self.inline(b.text or name)}"]
        return [*head, "", *_indent(body or ["\\"], "   ")]

    # -- entries

    def type_ref(self, name: str, target: str | None) -> str:
        return self.ref(target, name) if target is not None else _literal(name)

    def feature(self, f: FeatureView) -> str:
        where = f" ({f.where.text})" if f.where.text else ""
        return f"``{f.name}``{where}"

    def member(self, m: MemberView) -> list[str]:
        head = _literal(m.name)
        extra: list[str] = []
        if m.type is not None:
            extra.append(self.type_ref(m.type.name, m.type.target))
        if m.optional:
            extra.append("optional")
        if extra:
            head += f" ({', '.join(extra)})"
        if m.where.text:
            head += f" -- *{m.where.text}*"
        if m.features:
            head += " -- features: " + ", ".join(self.feature(f) for f in m.features)
        body = self.blocks(m.text.blocks)
        return [f"- {head}", *(["", *_indent(body, "  ")] if body else [])]

    def group(self, g: Group) -> list[str]:
        title = g.title + (f" -- *{g.where.text}*" if g.where.text else "")
        out = [f".. rubric:: {title}", ""]
        if g.ref is not None:
            out += [f"The members of {self.type_ref(g.ref.name, g.ref.target)}.", ""]
        if g.note:
            out += [f"*{g.note}*", ""]
        for m in g.members:
            out += self.member(m)
            out.append("")
        return out

    def text(self, text: Text) -> list[str]:
        lines = self.blocks(text.blocks)
        return [*lines, ""] if lines else []

    def entry(self, e: Entry, level: int) -> list[str]:
        self.members = {m.name for g in e.groups for m in g.members}
        self.members |= {f.name for f in e.all_features}
        title = f"{_literal(e.name)} ({_KIND[e.kind]})"
        out = [f".. _{self.labels[e.name]}:", "", title, _ADORN[min(level, len(_ADORN)) - 1]
               * len(title), ""]
        meta: list[str] = []
        if e.where.text:
            meta.append(f"*Availability: {e.where.text}*")
        if e.flags:
            meta.append("Flags: " + ", ".join(_literal(f) for f in e.flags))
        if meta:
            out += [" | ".join(meta), ""]
        out += self.text(e.body)
        for g in e.groups:
            out += self.group(g)
        if e.returns is not None and not any(s.kind == "Returns" for s in e.sections):
            out += [".. rubric:: Returns", "", self.type_ref(e.returns.name, e.returns.target),
                    ""]
        if e.all_features:
            out += [".. rubric:: Features", ""]
            for f in e.all_features:
                body = self.blocks(f.text.blocks)
                on = f" -- of {', '.join(_literal(n) for n in f.members)}" if f.members else ""
                out += [f"- {self.feature(f)}{on}", *(["", *_indent(body, "  ")] if body else []),
                        ""]
        for s in e.sections:
            if s.kind == "Since":
                out += [f"*Since: {self.inline(s.text.raw.strip())}*", ""]
                continue
            if s.kind != "Plain":
                out += [f".. rubric:: {'To do' if s.kind == 'Todo' else s.kind}", ""]
            if s.returns is not None and not mentions(s.text, s.returns.target):
                out += [self.type_ref(s.returns.name, s.returns.target), ""]
            out += self.text(s.text)
        self.members = set()
        return out

    def document(self) -> str:
        view = self.view
        title = view.title
        out = ["#" * len(title), title, "#" * len(title), ""]
        if view.build:
            out += [f"This reference documents one build: {view.build}.", ""]
        level = 0   # of the last heading, normalized so that no level is skipped
        for node in view.nodes:
            if isinstance(node, Heading):
                level = min(node.level, level + 1)
                text = self.inline(node.title)
                out += [text, _ADORN[min(level, len(_ADORN)) - 1] * len(text), ""]
            elif isinstance(node, FreeText):
                out += self.text(node.text)
            else:
                out += self.entry(node, level + 1)
        while out and not out[-1]:
            out.pop()
        return "\n".join(line.rstrip() for line in out) + "\n"


def render(view: View) -> dict[str, str]:
    """The files of the rST reference: name -> content."""
    return {"qapi-reference.rst": _Writer(view).document()}
