"""``qapic docs``: one-build references, output writing, bad input, and doc-text rendering on
small schemas."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from qapic.qmp.docs.model import anchor
from tests.docs.helpers import main
from tests.docs.htmltree import HtmlTree
from tests.support import SYSTEM_SCHEMA as SYSTEM


def _html(out: Path) -> str:
    return (out / "index.html").read_text(encoding="utf-8")


def _tree(out: Path) -> HtmlTree:
    tree = HtmlTree.parse(_html(out))
    assert tree.errors == []
    return tree


# --- one build -------------------------------------------------------------------------------


def test_target_x86_64(qemu_10_0: Path, tmp_path: Path) -> None:
    out = tmp_path / "x86"
    assert main([str(qemu_10_0 / SYSTEM), "-o", str(out), "--target", "x86_64",
                 "--format", "html,rst"]) == 0
    tree = _tree(out)
    assert anchor("query-sev") in tree.by_id
    assert anchor("query-gic-capabilities") not in tree.by_id
    # Stripped: nothing left to hide, no picker.
    html = _html(out)
    assert "data-targets" not in html
    assert 'id="target"' not in html
    assert "target x86_64" in html
    # Nor build-time-conditional items, no symbol being defined: query-spice needs CONFIG_SPICE.
    assert anchor("query-spice") not in tree.by_id
    rst = (out / "qapi-reference.rst").read_text(encoding="utf-8")
    assert ".. _qapi-command-query-sev:" in rst
    assert "query-gic-capabilities" not in rst


def test_target_aarch64(qemu_10_0: Path, tmp_path: Path) -> None:
    out = tmp_path / "arm"
    assert main([str(qemu_10_0 / SYSTEM), "-o", str(out), "-t", "aarch64"]) == 0
    tree = _tree(out)
    assert anchor("query-sev") not in tree.by_id
    assert anchor("query-gic-capabilities") in tree.by_id


def test_define_config_spice(qemu_10_0: Path, tmp_path: Path) -> None:
    schema = str(qemu_10_0 / SYSTEM)
    with_spice, without = tmp_path / "spice", tmp_path / "nospice"
    assert main([schema, "-o", str(with_spice), "--define", "CONFIG_SPICE"]) == 0
    assert main([schema, "-o", str(without), "--define", "CONFIG_VNC"]) == 0
    assert anchor("query-spice") in _tree(with_spice).by_id
    assert anchor("query-spice") not in _tree(without).by_id
    assert anchor("query-vnc") in _tree(without).by_id
    assert anchor("query-vnc") not in _tree(with_spice).by_id
    # Unconditional commands are in both.
    assert anchor("query-status") in _tree(with_spice).by_id


# --- small schemas ---------------------------------------------------------------------------

SMALL = """\
##
# = Things & <stuff>
#
# Intro with <b>tags</b> & "quotes", *emphasis*, **strong**,
# ``code <x>``, and a list:
#
# - one
# - two
#   continued
#
# Literal follows::
#
#     <pre> & raw
##

##
# @Thing:
#
# A thing.  See @name, @Kind and `Other`.
#
# @name: the <name>
#
# @opt: optional one
#
# @kind: its kind
#
# Features:
#
# @unstable: experimental <!-- really -->
#
# Since: 1.0
##
{ 'struct': 'Thing',
  'data': { 'name': 'str',
            '*opt': { 'type': 'int', 'if': 'CONFIG_FOO', 'features': ['unstable'] },
            'kind': 'Kind' } }

##
# @Kind:
#
# @a: the first
#
# @b: the second
##
{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b', 'if': { 'not': 'CONFIG_BAR' } } ] }

##
# @get-thing:
#
# Returns: the @Thing
#
# .. note:: Beware of <script>alert(1)</script>.
#
# .. qmp-example::
#    :title: Get it
#
#    -> { "execute": "get-thing" }
#    <- { "return": { "name": "<x>", "kind": "a" } }
##
{ 'command': 'get-thing', 'returns': 'Thing', 'if': 'CONFIG_FOO' }
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_small_schema_outside_a_qemu_tree(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(small), "-o", str(out), "--format", "html,rst"]) == 0
    html = _html(out)
    tree = _tree(out)
    # Escaped, never live markup from doc text.
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>tags</b>" not in html and "&lt;b&gt;tags&lt;/b&gt;" in html
    assert "<!-- really -->" not in html
    assert "<em>emphasis</em>" in html and "<strong>strong</strong>" in html
    assert "<code>code &lt;x&gt;</code>" in html
    assert "<li>two\ncontinued</li>" in html
    assert "<pre>&lt;pre&gt; &amp; raw</pre>" in html
    # References: @name is the member, @Kind the type, `Other` unknown.
    thing = tree.by_id[anchor("Thing")]
    assert f'href="#{anchor("Thing", "name")}"' in html
    assert f'<a href="#{anchor("Kind")}"><code>Kind</code></a>' in html
    assert '<span class="xref">Other</span>' in html
    # No QEMU tree: conditions in words, nothing for a picker.
    assert "only when CONFIG_FOO" in tree.by_id[anchor("Thing", "opt")].text
    assert "only when not CONFIG_BAR" in tree.by_id[anchor("Kind", "b")].text
    assert "only when CONFIG_FOO" in tree.by_id[anchor("get-thing")].text
    assert 'id="target"' not in html
    assert "experimental" in tree.by_id[anchor("Thing", "feature-unstable")].text
    assert "Since" in thing.text and "1.0" in thing.text
    example = tree.by_id[anchor("get-thing")].text
    assert "Example: Get it" in example and '"execute": "get-thing"' in example
    heading = tree.by_id["sec-things-stuff"]
    assert heading.text.strip() == "Things & <stuff>"


def test_small_schema_one_build(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(small), "-o", str(out), "-D", "CONFIG_FOO", "-D", "CONFIG_BAR"]) == 0
    tree = _tree(out)
    assert anchor("get-thing") in tree.by_id
    assert anchor("Thing", "opt") in tree.by_id
    assert anchor("Kind", "b") not in tree.by_id
    assert "only when" not in _html(out)
    out2 = tmp_path / "out2"
    assert main([str(small), "-o", str(out2), "-D", "CONFIG_BAR"]) == 0
    tree2 = _tree(out2)
    assert anchor("get-thing") not in tree2.by_id
    assert anchor("Thing", "opt") not in tree2.by_id
    # The member's feature went with it.
    assert anchor("Thing", "feature-unstable") not in tree2.by_id


# --- output and errors ------------------------------------------------------------------------


def test_existing_directory_keeps_other_files(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "README").write_text("mine\n")
    (out / "index.html").write_text("old\n")
    assert main([str(small), "-o", str(out)]) == 0
    assert (out / "README").read_text() == "mine\n"
    assert _html(out).startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.iterdir()) == [
        "README", "index.html", "qapi-docs.css", "qapi-docs.js"]


def test_schema_error_is_one_located_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("##\n# @Thing:\n##\n{ 'struct': 'Thing', 'data': { 'a': 'Nope' } }\n")
    out = tmp_path / "out"
    assert main([str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{bad}:" in err and "unknown type 'Nope'" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.json"]


def test_missing_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "none.json"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "none.json" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, message", [
    (["--format", "pdf"], "unknown format 'pdf' (known: html, rst)"),
    (["--target", "x86_64"], "not inside a QEMU source tree"),
])
def test_usage_errors(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                      extra: list[str], message: str) -> None:
    assert main([str(small), "-o", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_unknown_target(qemu_10_0: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(qemu_10_0 / SYSTEM), "-o", str(tmp_path / "o"), "-t", "vax"]) == 2
    assert "unknown target 'vax' (known: aarch64, " in capsys.readouterr().err


def test_output_is_a_file(small: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main([str(small), "-o", str(target)]) == 1
    assert f"qapic docs: error: cannot write {target}: {target} exists and is not a directory" \
        in capsys.readouterr().err
    assert target.read_text() == "x"


def test_lenient_docs(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(textwrap.dedent("""\
        ##
        # @Thing:
        #
        # Notes: written the 7.2 way
        ##
        { 'struct': 'Thing', 'data': { 'a': 'str' } }
        """))
    assert main([str(old), "-o", str(tmp_path / "strict")]) == 1
    assert main([str(old), "-o", str(tmp_path / "lenient"), "--lenient-docs"]) == 0
    assert "written the 7.2 way" in _html(tmp_path / "lenient")
