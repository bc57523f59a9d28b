"""Every doc comment of QEMU 10.0's schema is in the HTML reference, where it belongs.

The checks compare the schema's doc comments (as the frontend parsed them) with the generated
HTML read back by ``html.parser``: every definition has its entry; the words of its body, of
every member, value, branch and feature description and of every section appear in it (in
order, markup aside); the sections follow the body in source order inside the entry; free-form
blocks appear in source order, their headings as headings.
"""

from __future__ import annotations

from pathlib import Path

from qapic.frontend import Command, Event, Schema
from qapic.frontend.doc import PLAIN
from qapic.qmp.docs.model import anchor, build_view
from tests.docs.htmltree import HtmlTree, is_subsequence, missing_at, shown_words, source_words


def test_html_is_well_formed(tree_10_0: HtmlTree) -> None:
    assert tree_10_0.errors == []


def test_every_definition_has_an_entry(schema_10_0: Schema, tree_10_0: HtmlTree) -> None:
    symbols = [doc.symbol for doc in schema_10_0.docs if doc.symbol]
    assert len(symbols) > 900
    missing = [s for s in symbols if anchor(s) not in tree_10_0.by_id]
    assert missing == []
    sections = [e for e in tree_10_0.by_id.values()
                if e.tag == "section" and "def" in e.attrs.get("class", "").split()]
    assert len(sections) == len(symbols)
    # Every command and event of the schema is documented.
    for ent in schema_10_0.definitions:
        if isinstance(ent, Command | Event):
            assert anchor(ent.name) in tree_10_0.by_id, ent.name


def test_every_doc_text_is_rendered_under_its_definition(schema_10_0: Schema,
                                                         tree_10_0: HtmlTree) -> None:
    problems: list[str] = []
    counts = {"body": 0, "member": 0, "feature": 0, "section": 0}
    for doc in schema_10_0.docs:
        if doc.symbol is None:
            continue
        entry = tree_10_0.by_id[anchor(doc.symbol)]
        entry_words = shown_words(entry.text)
        # Body, then the sections in source order, inside the entry.
        ordered: list[str] = []
        for part in [doc.body, *doc.sections]:
            words = source_words(part.text)
            if not words:
                continue
            counts["body" if part is doc.body else "section"] += 1
            if not is_subsequence(words, entry_words):
                problems.append(f"{doc.symbol}: {part.kind} text missing: "
                                f"{missing_at(words, entry_words)}")
            ordered += words
        if not is_subsequence(ordered, entry_words):
            problems.append(f"{doc.symbol}: body and sections out of order: "
                            f"{missing_at(ordered, entry_words)}")
        # Members, enum values, alternate branches: their own element, inside the entry.
        for name, section in doc.args.items():
            words = source_words(section.text)
            elem = tree_10_0.by_id.get(anchor(doc.symbol, name))
            if elem is None:
                problems.append(f"{doc.symbol}: member {name} not rendered")
                continue
            if anchor(doc.symbol) not in elem.ancestors:
                problems.append(f"{doc.symbol}: member {name} outside its entry")
            if words:
                counts["member"] += 1
                if not is_subsequence(words, shown_words(elem.text)):
                    problems.append(f"{doc.symbol}: member {name} text missing: "
                                    f"{missing_at(words, shown_words(elem.text))}")
        for name, section in doc.features.items():
            words = source_words(section.text)
            elem = tree_10_0.by_id.get(anchor(doc.symbol, "feature-" + name))
            if elem is None:
                problems.append(f"{doc.symbol}: feature {name} not rendered")
                continue
            if anchor(doc.symbol) not in elem.ancestors:
                problems.append(f"{doc.symbol}: feature {name} outside its entry")
            counts["feature"] += 1
            if not is_subsequence(words, shown_words(elem.text)):
                problems.append(f"{doc.symbol}: feature {name} text missing")
    assert problems == []
    # The walk did see the schema's documentation (QEMU 10.0: ~1000 definitions).
    assert counts["body"] > 800 and counts["member"] > 3000, counts
    assert counts["feature"] > 50 and counts["section"] > 1000


def test_free_form_blocks_in_source_order(schema_10_0: Schema, tree_10_0: HtmlTree) -> None:
    main_words = shown_words(tree_10_0.main_text())
    free = [doc for doc in schema_10_0.docs if doc.symbol is None]
    assert len(free) > 40
    words: list[str] = []
    for doc in free:
        words += source_words(doc.body.text)
    assert is_subsequence(words, main_words), missing_at(words, main_words)
    headings = [e for e in tree_10_0.by_id.values()
                if "heading" in e.attrs.get("class", "").split()]
    titles = [doc.body.text.split("\n")[0].lstrip("=").strip() for doc in free
              if doc.body.text.startswith("=")]
    assert [" ".join(shown_words(h.text)) for h in headings] == \
        [" ".join(shown_words(t)) for t in titles]


def test_sections_have_their_kind(schema_10_0: Schema, reference_10_0: Path) -> None:
    """Since, Returns and Errors sections are labelled; plain sections (notes, examples) not."""
    view = build_view(schema_10_0, None)
    kinds = {s.kind for e in view.entries.values() for s in e.sections}
    assert {"Since", "Returns", "Errors", PLAIN} <= kinds
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    assert html.count('class="section section-since"') == sum(
        1 for e in view.entries.values() for s in e.sections if s.kind == "Since")
    # Examples and notes, as QEMU writes them (directives), are rendered as such.
    assert html.count('<div class="example') >= 250
    assert html.count('<div class="admonition note">') >= 60


def test_member_types_link_to_their_type(tree_10_0: HtmlTree) -> None:
    links = [a for tag, a in tree_10_0.all_attrs if tag == "a" and "type" in a.get("class", "")]
    assert len(links) > 900
    broken = {a["href"] for a in links if a["href"][1:] not in tree_10_0.by_id}
    assert broken == set()
    # e.g. blockdev-add's arguments are BlockdevOptions, a link.
    entry = tree_10_0.by_id[anchor("blockdev-add")]
    assert "BlockdevOptions" in entry.text
    all_links = {a["href"] for tag, a in tree_10_0.all_attrs if tag == "a" and "href" in a}
    assert {h for h in all_links if h.startswith("#") and h[1:] not in tree_10_0.by_id} == set()


def test_conditional_items_say_where(tree_10_0: HtmlTree) -> None:
    by_id = tree_10_0.by_id
    sev = by_id[anchor("query-sev")]
    assert sev.attrs["data-targets"] == "i386 x86_64"
    assert "only on i386 and x86_64" in sev.text
    gic = by_id[anchor("query-gic-capabilities")]
    assert set(gic.attrs["data-targets"].split()) == {"aarch64", "arm"}
    spice = by_id[anchor("query-spice")]
    assert "data-targets" not in spice.attrs
    assert "needs a build with CONFIG_SPICE" in spice.text
    # Everywhere: no words, no list.
    assert "data-targets" not in by_id[anchor("query-status")].attrs
    # A conditional member, an enum value, a union branch and a feature.
    conditional = [e for e in by_id.values() if e.attrs.get("class") in ("member", "group")
                   and ("data-targets" in e.attrs or "where" in e.text)]
    assert len(conditional) > 20
    value = by_id[anchor("SysEmuTarget", "x86_64")]
    assert "data-targets" not in value.attrs     # the value itself is unconditional
