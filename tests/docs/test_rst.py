"""The reStructuredText reference: valid rST (read by docutils, with Sphinx's ``:ref:`` role
stood in for), every ``:ref:`` resolves to a label, and the doc text is there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from qapic.frontend import Schema
from tests.docs.htmltree import is_subsequence, missing_at, shown_words, source_words

try:
    from docutils import nodes, utils  # type: ignore[import-untyped,unused-ignore]
    from docutils.core import publish_doctree  # type: ignore[import-untyped,unused-ignore]
    from docutils.parsers.rst import roles  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover
    nodes = None


def _doctree(text: str) -> Any:
    if nodes is None:
        pytest.fail("docutils is not installed: pip install docutils (a test dependency)")

    def ref_role(name: str, rawtext: str, text: str, lineno: int, inliner: object,
                 options: object = None, content: object = None) -> tuple[list[Any], list[Any]]:
        m = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text, re.DOTALL)
        shown, target = (m.group(1), m.group(2)) if m else (text, text)
        node = nodes.reference(rawtext, utils.unescape(shown), refname=target)
        return [node], []

    roles.register_local_role("ref", ref_role)
    return publish_doctree(text, settings_overrides={
        "report_level": 5, "halt_level": 5, "warning_stream": False})


def test_rst_is_valid_and_linked(reference_10_0: Path, schema_10_0: Schema) -> None:
    text = (reference_10_0 / "qapi-reference.rst").read_text(encoding="utf-8")
    doctree = _doctree(text)
    messages = [m.astext() for m in doctree.findall(nodes.system_message)
                if m["level"] >= 2]
    assert messages == []
    labels = set(re.findall(r"^\.\. _([^:]+):$", text, re.MULTILINE))
    symbols = [d.symbol for d in schema_10_0.docs if d.symbol]
    assert len(labels) == len(symbols)
    refs = set(re.findall(r":ref:`[^`<]*<([^>]+)>`", text))
    assert len(refs) > 500
    assert refs - labels == set()
    # The doc text is there: bodies and sections in source order; members and features (listed
    # in definition order, which may differ from the doc comment's) word for word.
    words = shown_words(doctree.astext())
    ordered = [w for d in schema_10_0.docs for part in [d.body, *d.sections]
               for w in source_words(part.text)]
    assert is_subsequence(ordered, words), missing_at(ordered, words)
    described = {w for d in schema_10_0.docs
                 for part in [*d.args.values(), *d.features.values()]
                 for w in source_words(part.text)}
    assert described - set(words) == set()
