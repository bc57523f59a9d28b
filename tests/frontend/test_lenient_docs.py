"""``lenient_docs=True`` relaxes doc-comment layout rules newer than QEMU 7.2, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from qapic.frontend import QAPIError, load_schema

CMD = "{ 'command': 'foo', 'data': { 'a': 'int', 'b': 'int' } }\n"


def _load(tmp_path: Path, text: str, lenient: bool) -> None:
    path = tmp_path / "s.json"
    path.write_text(text)
    load_schema(path, lenient_docs=lenient)


@pytest.mark.parametrize(("doc", "strict_error"), [
    ("##\n# text\n#\n# = Heading\n##\n", "'=' heading must come first"),
    ("##\n# @foo:\n#\n# Note: old style\n#\n# @a: x\n# @b: y\n##\n" + CMD,
     "The 'Note' section is no longer supported"),
    ("##\n# @foo:\n#\n# Example:\n#\n# -> x\n#\n# @a: x\n# @b: y\n##\n" + CMD,
     "The 'Example' section is no longer supported"),
    ("##\n# @foo:\n# @a: x\n#  continued\n# not indented\n# @b: y\n##\n" + CMD,
     "unexpected de-indent"),
    ("##\n# @foo:\n#\n# Since: 1.0\n#\n# @a: x\n# @b: y\n##\n" + CMD, "follows a section"),
    ("##\n# @foo:\n# @a: x\n##\n" + CMD, "member 'b' lacks documentation"),
    ("##\n# @foo:\n# @a: x\n# @b: y\n#\n# Returns: nothing\n##\n" + CMD,
     "'Returns' section, but command doesn't return anything"),
])
def test_relaxed(tmp_path: Path, doc: str, strict_error: str) -> None:
    with pytest.raises(QAPIError, match=strict_error):
        _load(tmp_path, doc, lenient=False)
    _load(tmp_path, doc, lenient=True)


@pytest.mark.parametrize(("text", "error"), [
    ("{ 'struct': 'bad_name', 'data': {} }", "must use CamelCase"),
    ("{ 'struct': 'Foo', 'data': { 'a': 'Nope' } }", "uses unknown type 'Nope'"),
    ("{ 'struct': 'Foo', 'data': { 'a_b': 'int' } }", "must not use uppercase or '_'"),
    ("{ 'struct': 'Foo', 'data': {}, 'if': 'lower' }", "is not a valid identifier"),
    ("{ 'struct': 'Foo', 'data': {}, 'features': ['deprecated'] }", "not supported for types"),
    ("##\n# @foo:\n# @a: x\n# @b: y\n# @c: z\n##\n" + CMD, "documented member 'c' does not exist"),
    ("##\n# @foo:\n##\n{ 'command': 'foo', 'features': ['f'] }", "feature 'f' lacks"),
    ("##\n# @bar:\n##\n" + CMD, "documentation comment is for 'bar'"),
    ("##\n# @foo:\n# Since: 1\n# Since: 2\n##\n" + CMD, "duplicated 'Since' section"),
])
def test_still_strict(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(QAPIError, match=error):
        _load(tmp_path, text, lenient=True)


def test_7_2_description_recognition(tmp_path: Path) -> None:
    # QEMU 7.2 took '@id : text' for plain text, not a description of member 'id'.
    text = "##\n# @foo:\n#\n# @a : text\n#\n# @a: x\n# @b: y\n##\n" + CMD
    _load(tmp_path, text, lenient=True)
