"""A small reader of generated HTML (``html.parser``): the text under each element with an id,
each element's attributes and its ancestors with ids, and the words of doc text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list[str]                  # ids of enclosing elements, outermost first
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


class HtmlTree(HTMLParser):
    """Elements with an id, by id; the whole text of ``<main>``; well-formedness checked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, Element] = {}
        self.stack: list[tuple[str, Element | None]] = []
        self.main: list[str] = []
        self.in_main = 0
        self.errors: list[str] = []
        self.all_attrs: list[tuple[str, dict[str, str]]] = []

    @classmethod
    def parse(cls, text: str) -> HtmlTree:
        tree = cls()
        tree.feed(text)
        tree.close()
        if tree.stack:
            tree.errors.append(f"unclosed elements: {[t for t, _ in tree.stack]}")
        return tree

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.all_attrs.append((tag, values))
        if tag in VOID:
            return
        self._separate()
        elem = None
        if "id" in values:
            ident = values["id"]
            if ident in self.by_id:
                self.errors.append(f"duplicate id {ident}")
            ancestors = [e.attrs["id"] for _t, e in self.stack if e is not None]
            elem = Element(tag, values, ancestors)
            self.by_id[ident] = elem
        if tag == "main":
            self.in_main += 1
        self.stack.append((tag, elem))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else ""
            self.errors.append(f"</{tag}> does not close <{open_tag}>")
            return
        self.stack.pop()
        self._separate()
        if tag == "main":
            self.in_main -= 1

    def _separate(self) -> None:
        # Tags separate words (the text of adjacent blocks must not run together).
        self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        for _tag, elem in self.stack:
            if elem is not None:
                elem.chunks.append(data)
        if self.in_main:
            self.main.append(data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def main_text(self) -> str:
        return " ".join(self.main)


_ROLE_WITH_TARGET = re.compile(r":[A-Za-z][\w:+-]*:`([^`<]*?)\s*<[^>`]*>`")
_XREF_WITH_TARGET = re.compile(r"`([^`<]*?)\s*<[^>`]*>`")
_ROLE = re.compile(r":[A-Za-z][\w:+-]*:`")
_DIRECTIVE = re.compile(r"^\s*\.\.\s+[A-Za-z][\w:+-]*::", re.MULTILINE)
# A directive's option: its name is markup; its value is shown only for a title (an option such
# as ":widths: auto" or ":annotated:" is presentation, as in Sphinx's output).
_TITLE_OPTION = re.compile(r"^\s*:title:(?=\s|$)", re.MULTILINE)
_OPTION = re.compile(r"^\s*:[A-Za-z][\w-]*:(?=\s|$).*$", re.MULTILINE)
_ENUM_MARKER = re.compile(r"^(\s*)(\d+|#|[a-zA-Z])[.)](?=\s)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z0-9]+")
# A reference to QEMU's index label shows the index's title, as in Sphinx ("QMP Index").
_INDEX_LABEL = re.compile(r"`qapi-(\w+)-index`")


def source_words(raw: str) -> list[str]:
    """The words a reader must see of rST *raw*: markup characters, role names and targets,
    directive names and option names, and list numbers removed."""
    text = _INDEX_LABEL.sub(lambda m: f"{m.group(1).upper()} Index", raw)
    text = _ROLE_WITH_TARGET.sub(r"\1", text)
    text = _XREF_WITH_TARGET.sub(r"\1", text)
    text = _ROLE.sub("`", text)
    text = _DIRECTIVE.sub(" ", text)
    text = _TITLE_OPTION.sub(" ", text)
    text = _OPTION.sub(" ", text)
    text = _ENUM_MARKER.sub(r"\1 ", text)
    return _WORD.findall(text)


def shown_words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(w == h for h in it) for w in needle)


def missing_at(needle: list[str], haystack: list[str]) -> str:
    """Where *needle* stops matching *haystack* (for messages)."""
    it = iter(haystack)
    for i, w in enumerate(needle):
        if not any(w == h for h in it):
            return " ".join(needle[max(0, i - 5):i + 5]) + f"  <-- '{w}'"
    return ""
