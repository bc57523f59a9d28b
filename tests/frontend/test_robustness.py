"""Bad input of every kind gives one QAPIError with a location, never another exception."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qapic.frontend import QAPIError, load_schema
from qapic.frontend.parser import ParseResult

LOCATED = re.compile(r"^(In file included from .*:\d+:\n)*(.*: In .*\n)?[^\n:]+:\d+(:\d+)?: ")


def _error(path: Path) -> QAPIError:
    with pytest.raises(QAPIError) as exc:
        load_schema(path)
    return exc.value


def _write(tmp_path: Path, data: bytes | str, name: str = "s.json") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def test_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, b"{ 'enum': 'Foo',\n  'data': [ 'caf\xe9' ] }\n")
    err = _error(path)
    assert str(err) == f"{path}:2:17: invalid UTF-8 in schema file"


def test_not_utf8_in_include(tmp_path: Path) -> None:
    _write(tmp_path, b"\n\xff\n", "sub.json")
    path = _write(tmp_path, "{ 'include': 'sub.json' }\n")
    assert str(_error(path)) == (f"In file included from {path}:1:\n"
                                 f"{tmp_path}/sub.json:2:1: invalid UTF-8 in schema file")


def test_binary(tmp_path: Path) -> None:
    err = _error(_write(tmp_path, bytes(range(256)) * 4))
    assert LOCATED.match(str(err))


def test_nul_bytes(tmp_path: Path) -> None:
    assert str(_error(_write(tmp_path, "\0\0\0"))).endswith(":1:1: stray '\0\0\0'")


def test_empty_and_blank(tmp_path: Path) -> None:
    # QEMU accepts an empty schema (tests/qapi-schema/empty.json).
    for text in ("", "\n\n", "# just a comment\n", "   "):
        load_schema(_write(tmp_path, text))


@pytest.mark.parametrize("opener", ["[", "{ 'a': ", "[ { 'a': "])
def test_deep_nesting(tmp_path: Path, opener: str) -> None:
    err = _error(_write(tmp_path, opener * 100_000))
    assert LOCATED.match(str(err))
    assert "nesting deeper than" in str(err)


def test_deep_condition_within_limit(tmp_path: Path) -> None:
    cond = "'A'"
    for _ in range(100):
        cond = "{ 'not': " + cond + " }"
    schema = load_schema(_write(tmp_path, "{ 'struct': 'Foo', 'data': {}, 'if': " + cond + " }"))
    assert schema.lookup_type("Foo") is not None


def test_long_base_chain(tmp_path: Path) -> None:
    lines = ["{ 'struct': 'T0', 'data': {} }"]
    lines += [f"{{ 'struct': 'T{i}', 'base': 'T{i - 1}', 'data': {{}} }}"
              for i in range(1, 5000)]
    err = _error(_write(tmp_path, "\n".join(lines[::-1])))
    assert LOCATED.match(str(err))


def test_missing_schema(tmp_path: Path) -> None:
    err = _error(tmp_path / "nope.json")
    assert str(err) == f"can't read schema file '{tmp_path}/nope.json': No such file or directory"


def test_missing_include(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n{ 'include': 'nope.json' }\n")
    assert str(_error(path)) == (f"{path}:2: can't read include file '{tmp_path}/nope.json': "
                                 "No such file or directory")


def test_include_cycle(tmp_path: Path) -> None:
    _write(tmp_path, "{ 'include': 'a.json' }\n", "b.json")
    path = _write(tmp_path, "{ 'include': 'b.json' }\n", "a.json")
    assert str(_error(path)) == (f"In file included from {path}:1:\n"
                                 f"{tmp_path}/b.json:1: inclusion loop for {path}")


def test_deep_include_chain(tmp_path: Path) -> None:
    for i in range(200):
        _write(tmp_path, f"{{ 'include': 'f{i + 1}.json' }}\n", f"f{i}.json")
    _write(tmp_path, "", "f200.json")
    err = _error(tmp_path / "f0.json")
    assert "includes nest deeper than" in str(err)
    assert LOCATED.match(str(err))


def test_directory(tmp_path: Path) -> None:
    assert str(_error(tmp_path)) == f"can't read schema file '{tmp_path}': Is a directory"
    (tmp_path / "sub").mkdir()
    path = _write(tmp_path, "{ 'include': 'sub' }\n")
    assert str(_error(path)) == (f"{path}:1: can't read include file '{tmp_path}/sub': "
                                 "Is a directory")


def test_huge_file(tmp_path: Path) -> None:
    defs = [f"{{ 'enum': 'Enum{i}', 'data': [ 'a', 'b', 'c' ] }}" for i in range(20_000)]
    defs.append("{ 'struct': 'Last', 'data': { 'x': 'Enum0' } }")
    schema = load_schema(_write(tmp_path, "\n".join(defs)))
    assert schema.lookup_type("Enum19999") is not None


def test_huge_string(tmp_path: Path) -> None:
    name = "x" * 1_000_000
    schema = load_schema(_write(tmp_path, "{ 'command': '" + name + "' }"))
    assert schema.lookup_entity(name) is not None
    err = _error(_write(tmp_path, "{ 'command': '" + name))
    assert str(err) == f"{tmp_path}/s.json:1:14: missing terminating \"'\""


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, data)
    try:
        load_schema(path)
    except QAPIError as err:
        assert LOCATED.match(str(err)), str(err)


_ALPHABET = st.sampled_from(["{", "}", "[", "]", ":", ",", " ", "\n", "'", "#", "##", "\\",
                             "'a'", "'struct'", "'data'", "true", "'if'", "'include'", "@",
                             "'enum'", "'command'", "'Foo'", "'*x'", "\t", "x", "é"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_ALPHABET, max_size=60))
def test_random_tokens(tmp_path: Path, parts: list[str]) -> None:
    path = _write(tmp_path, "".join(parts))
    try:
        load_schema(path)
    except QAPIError as err:
        assert LOCATED.match(str(err)), str(err)


# The tokenizer's pattern as first written: a repetition of alternatives (whitespace character
# or comment; string character or escaped backslash).  The parser's is written for speed and
# must match exactly the same tokens.
_PLAIN_TOKEN = re.compile(
    r"(?:\s|#(?!#)[^\n]*)*"
    r"(?:([{}\[\]:,])"
    r"|'((?:[ !#-&(-\[\]-~]|\\\\)*)'"
    r"|(#[^\n]*)"
    r"|(')"
    r"|(true)|(false)"
    r"|([^\[\]{}:,'\s]+))?"
)

_schema_text = st.lists(st.sampled_from([*" \t\n#'\\{}[]:,ab\"é", "true", "##", "\\\\"]),
                        max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_schema_text)
def test_tokenizer_matches_the_plain_pattern(text: str) -> None:
    from qapic.frontend.parser import _TOKEN

    def tokens(pattern: re.Pattern[str]) -> list[tuple[int | None, tuple[int, int], str]]:
        return [(m.lastindex, m.span(), m.group(m.lastindex or 0))
                for m in pattern.finditer(text)]

    assert tokens(_TOKEN) == tokens(_PLAIN_TOKEN)


_value = st.recursive(
    st.sampled_from(["'a'", "'b'", "true", "false", "'\\\\\\\\x'", "''"]),
    lambda inner: st.one_of(
        st.lists(st.tuples(st.sampled_from(["'a'", "'b'", "'c'"]), inner), max_size=3).map(
            lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    ),
    max_leaves=10,
)
_noise = st.sampled_from(["", "", "", " ", "\n", "# c\n", "# , 'z'\n", "##\n", ",", "}", "]",
                          "'", "tru", "true", ":", "{", "'a'"])


def _same_without_fast_path(path: Path, summary: Callable[[ParseResult], object],
                            *patterns: str) -> None:
    """Parsing *path* gives the same *summary* of its result, or the same error, when the
    parser's fast-path *patterns* never match (so that everything goes the general way)."""
    from qapic.frontend import parser

    def outcome() -> object:
        try:
            return summary(parser.SchemaParser(str(path)).parse())
        except QAPIError as err:
            return str(err)

    fast = outcome()
    saved = {name: getattr(parser, name) for name in patterns}
    for name in patterns:
        setattr(parser, name, re.compile(r"(?!)"))
    try:
        assert outcome() == fast
    finally:
        for name, pattern in saved.items():
            setattr(parser, name, pattern)


@settings(max_examples=2000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_value, _noise, st.integers(0, 200)), min_size=1, max_size=3))
def test_fast_entries_agree_with_tokens(tmp_path: Path,
                                        parts: list[tuple[str, str, int]]) -> None:
    """Objects' and arrays' usual entries are read by one pattern match each; the result, or
    the error, is the same as token by token."""
    text = ""
    for value, noise, where in parts:
        body = "{ 'x': " + value + " }"
        at = where % (len(body) + 1)
        text += body[:at] + noise + body[at:] + "\n"

    def summary(result: ParseResult) -> object:
        return [(getattr(top, "expr", None), top.info.line) for top in result.exprs]

    _same_without_fast_path(_write(tmp_path, text), summary, "_ENTRY", "_ELEMENT")


_doc_line = st.sampled_from([
    "#", "# ", "# text", "# @a: member", "# @b:", "#     more", "# Returns: x", "# Since: 1.0",
    "# Features:", "# @deprecated: d", "# = Heading", "#   ", "# trailing  ", "#x", "  # indented",
    "", "   ", "##", "## junk", "# Note: n", "#\t tab", "# @a: again", "# TODO: t",
])


@settings(max_examples=2000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(_doc_line, max_size=8), st.booleans())
def test_plain_doc_comments_agree_with_line_by_line(tmp_path: Path, symbol: bool,
                                                    lines: list[str], closed: bool) -> None:
    """Doc comments whose lines are all '#' or '# text' at column 0 have their lines' texts
    taken at once; the docs, or the error, are the same as line by line."""
    head = ["##", "# @Thing:"] if symbol else ["##"]
    tail = ["##"] if closed else []
    text = "\n".join([*head, *lines, *tail]) + "\n{ 'struct': 'Thing', 'data': { 'a': 'int' } }\n"

    def summary(result: ParseResult) -> object:
        return [(doc.symbol, doc.info.line,
                 [(s.kind, s.name, s.text, s.info.line) for s in (doc.body, *doc.args.values(),
                                                                   *doc.features.values(),
                                                                   *doc.sections)])
                for doc in result.docs]

    _same_without_fast_path(_write(tmp_path, text), summary, "_PLAIN_DOC")
