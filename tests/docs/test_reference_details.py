"""Details of the QMP reference a reader meets (issue 20, item 14): a ``.. note::`` whose text
starts on its first line is one paragraph; QEMU's internal command flags (``boxed``,
``coroutine``) are not shown to QMP users; references to other QEMU manuals
(``:doc:`/interop/qmp-spec```) link to the matching page of that release's online manual; the
page title names the QEMU release of the tree; a note's class is ``admonition note``."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from tests.docs.helpers import main
from tests.support import SYSTEM_SCHEMA

_NOTE = re.compile(r"^# \.\. note:: (\S.*)$")
_TAGS = re.compile(r"<[^>]+>")


def _paragraphs(html: str) -> list[str]:
    """The text of every paragraph, tags removed, spaces folded."""
    return [" ".join(unescape(_TAGS.sub("", p)).split())
            for p in re.findall(r"<p>(.*?)</p>", html, re.DOTALL)]


def _words(text: str) -> list[str]:
    """The words of doc text as the page shows them (no markup characters)."""
    return [w.lstrip("@").replace("*", "").replace("`", "") for w in text.split()]


def test_a_note_starting_on_its_first_line_is_one_paragraph(qemu_10_0: Path,
                                                            reference_10_0: Path) -> None:
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    paragraphs = _paragraphs(html)
    notes = 0
    for path in sorted((qemu_10_0 / "qapi").glob("*.json")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines[:-1]):
            m = _NOTE.match(line)
            more = lines[i + 1]
            if m is None or not more.startswith("#    ") or not more[5:].strip():
                continue
            notes += 1
            first, cont = _words(m.group(1)), _words(more[5:])
            # The paragraph holding the note's first words goes on with the next line's.
            joined = [p for p in paragraphs if " ".join(first[-2:]) in p]
            assert joined, (path.name, line)
            assert any(" ".join([*first[-2:], cont[0]]) in p for p in joined), (path.name, line)
    assert notes >= 40        # 41 in QEMU 10.0.13


def test_internal_flags_are_not_shown(reference_10_0: Path) -> None:
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    rst = (reference_10_0 / "qapi-reference.rst").read_text(encoding="utf-8")
    flags = set(re.findall(r'<span class="flag">([^<]*)</span>', html))
    assert "allow-oob" in flags and "allow-preconfig" in flags
    assert not flags & {"boxed", "coroutine"}
    assert "``boxed``" not in rst and "``coroutine``" not in rst


def test_other_manuals_are_linked(qemu_10_0: Path, reference_10_0: Path) -> None:
    version = (qemu_10_0 / "VERSION").read_text().strip()
    page = f"https://qemu.readthedocs.io/en/v{version}/interop/qmp-spec.html"
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    assert (f'<a class="manual" href="{page}">QEMU Machine Protocol Specification</a>'
            in html)
    assert f'<a class="manual" href="{page}">/interop/qmp-spec</a>' in html
    rst = (reference_10_0 / "qapi-reference.rst").read_text(encoding="utf-8")
    assert f"`QEMU Machine Protocol Specification <{page}>`__" in rst


def test_the_title_names_the_release(qemu_10_0: Path, reference_10_0: Path,
                                     tmp_path: Path) -> None:
    version = (qemu_10_0 / "VERSION").read_text().strip()
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    assert f"<title>QEMU {version} QMP Reference</title>" in html
    assert f"<h1>QEMU {version} QMP Reference</h1>" in html
    rst = (reference_10_0 / "qapi-reference.rst").read_text(encoding="utf-8")
    assert f"\nQEMU {version} QMP Reference\n" in rst
    # --title wins; outside a tree there is no release to name, nor a release's manual.
    assert main([str(qemu_10_0 / SYSTEM_SCHEMA), "-o", str(tmp_path / "t"),
                 "--title", "Mine"]) == 0
    assert "<title>Mine</title>" in (tmp_path / "t" / "index.html").read_text()
    schema = tmp_path / "s.json"
    schema.write_text("##\n# = Intro\n#\n# See :doc:`/interop/qmp-spec`.\n##\n")
    assert main([str(schema), "-o", str(tmp_path / "u")]) == 0
    page = (tmp_path / "u" / "index.html").read_text()
    assert "<title>QMP Reference</title>" in page
    assert ('<a class="manual" href="https://www.qemu.org/docs/master/interop/qmp-spec.html">'
            in page)


def test_admonition_classes(reference_10_0: Path, tmp_path: Path) -> None:
    html = (reference_10_0 / "index.html").read_text(encoding="utf-8")
    assert '<div class="admonition note">' in html
    assert "admonition admonition" not in html
    schema = tmp_path / "s.json"
    schema.write_text("##\n# = Intro\n#\n# .. admonition:: Mind\n#\n#    this\n##\n")
    assert main([str(schema), "-o", str(tmp_path / "u")]) == 0
    page = (tmp_path / "u" / "index.html").read_text()
    assert '<div class="admonition"><p class="admonition-title">Mind</p>' in page
