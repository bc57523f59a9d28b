"""Schema text to top-level expressions, doc comments, include and pragma directives.

The tokenizer is a single compiled regular expression matched at the cursor; line numbers are
computed only when a location is needed (binary search over the file's newline offsets).
Values are parsed by recursive descent with a depth limit, so no input can exhaust the Python
stack.  Includes are followed depth-first; the result is one flat list in which an include
directive precedes the expressions of the file it includes.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from typing import NoReturn

from .doc import Doc, parse_doc
from .source import Pragma, QAPIError, SourceInfo, column

# A value as the parser builds it.
Value = dict[str, "Value"] | list["Value"] | str | bool

MAX_DEPTH = 128            # brackets; QEMU's own parser overflows the Python stack well before
MAX_INCLUDE_DEPTH = 64     # nested includes

# Whitespace and ordinary comments, and a well-formed string.  The patterns are written for
# speed: runs of a character class (``\s*``, ``[...]*``) rather than a repetition of
# alternatives, which matches the same.  _SKIP is atomic: it always takes all the whitespace
# and comments there are, as the tokenizer does, so a pattern that continues after it cannot
# find a token inside a comment.
_SKIP = r"(?>\s*(?:#(?!#)[^\n]*\s*)*)"
_STRING = r"'([ !#-&(-\[\]-~]*(?:\\\\[ !#-&(-\[\]-~]*)*)'"
# Groups: 1 punctuation, 2 well-formed string, 3 '##' comment, 4 any other string (an error),
# 5 true, 6 false, 7 a stray word.  An empty match is the end of input.
_TOKEN = re.compile(
    _SKIP
    + r"(?:([{}\[\]:,])"
    + r"|" + _STRING
    + r"|(#[^\n]*)"
    + r"|(')"
    + r"|(true)|(false)"
    + r"|([^\[\]{}:,'\s]+))?"
)
# The usual entries of objects and arrays, each matched at once (see _FileParser.get_object):
# a string key, its colon and a scalar value with the comma or closing brace after it, or the
# opening bracket of a nested value.  Groups: 1 key, 2 string value, 3 true, 4 false,
# 5 the separator after a scalar, 6 an opening bracket.  _ELEMENT is the same for an array
# element, without the key (groups 1-5).
_SCALAR_THEN = _SKIP + r"(?:" + _STRING + r"|(true)|(false))" + _SKIP + r"([,%s])"
_ENTRY = re.compile(_SKIP + _STRING + _SKIP + ":"
                    + r"(?:" + _SCALAR_THEN % "}" + r"|" + _SKIP + r"([{\[]))")
_ELEMENT = re.compile(r"(?:" + _SCALAR_THEN % "\\]" + r"|" + _SKIP + r"([{\[]))")
_DOC_BLOCK = re.compile(r"(?:[^\S\n]*(?:#[^\n]*)?\n)*")
# A doc comment as nearly all are, from the line after its opening '##': '#' or '# text' lines
# at column 0, then '##' (see _FileParser.get_doc).
_PLAIN_DOC = re.compile(r"(?:#(?: [^\n]*)?\n)*##\n")
_WS = re.compile(r"\s*")
_NEWLINE = re.compile("\n")

_LIST_PRAGMAS = {
    "command-name-exceptions": "command_name_exceptions",
    "command-returns-exceptions": "command_returns_exceptions",
    "documentation-exceptions": "documentation_exceptions",
    "member-name-exceptions": "member_name_exceptions",
}

# Token kinds (self.tok): one of "{}[]:,", "#" (doc comment line), "'" (string), "b"
# (boolean), or None at end of file.


class Definition:
    """A top-level definition (enum, struct, ...) as written, with its doc comment."""

    __slots__ = ("doc", "expr", "info")

    def __init__(self, expr: dict[str, Value], info: SourceInfo, doc: Doc | None) -> None:
        self.expr = expr
        self.info = info
        self.doc = doc


class Include:
    """An include directive; *fname* is the included file's path as QEMU spells it."""

    __slots__ = ("fname", "info")

    def __init__(self, fname: str, info: SourceInfo) -> None:
        self.fname = fname
        self.info = info


TopLevel = Definition | Include


class ParseResult:
    """A schema's top-level expressions and doc comments, in order, and its pragma settings."""

    __slots__ = ("docs", "exprs", "pragma")

    def __init__(self, exprs: list[TopLevel], docs: list[Doc], pragma: Pragma) -> None:
        self.exprs = exprs
        self.docs = docs
        self.pragma = pragma


def read_text(fname: str) -> str:
    """A schema file's text; raises OSError, or QAPIError for undecodable bytes."""
    with open(fname, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        line_start = data.rfind(b"\n", 0, e.start) + 1
        col = len(data[line_start:e.start].decode("utf-8", "replace")) + 1
        info = SourceInfo(fname, line, None, Pragma())
        raise QAPIError(info, "invalid UTF-8 in schema file", col) from None


def _unescape(text: str) -> str:
    """A well-formed string token's value (its only escape is ``\\\\``)."""
    return text.replace("\\\\", "\\") if "\\" in text else text


def _scalar(m: re.Match[str], first: int = 2) -> Value:
    """The string, true or false that ``_ENTRY`` (groups 2-4) or ``_ELEMENT`` (*first* 1:
    groups 1-3) matched."""
    text = m.group(first)
    if text is not None:
        return _unescape(text)
    return m.group(first + 1) is not None


class SchemaParser:
    """Parses a schema file and, recursively, everything it includes."""

    def __init__(self, fname: str, lenient_docs: bool = False) -> None:
        self.root = fname
        self.lenient = lenient_docs
        self.pragma = Pragma()
        self.exprs: list[TopLevel] = []
        self.docs: list[Doc] = []
        self._seen: set[str] = set()

    def parse(self) -> ParseResult:
        try:
            text = read_text(self.root)
        except OSError as e:
            raise QAPIError(None, f"can't read schema file '{self.root}': {e.strerror}") from None
        self._seen.add(os.path.realpath(self.root))
        _FileParser(self, self.root, text, None, [os.path.realpath(self.root)]).parse()
        return ParseResult(self.exprs, self.docs, self.pragma)

    def include(self, fname: str, info: SourceInfo, chain: list[str]) -> None:
        real = os.path.realpath(fname)
        if len(chain) > MAX_INCLUDE_DEPTH:
            raise QAPIError(info, f"includes nest deeper than {MAX_INCLUDE_DEPTH} levels")
        if real in chain:
            raise QAPIError(info, f"inclusion loop for {fname}")
        if real in self._seen:
            return
        self._seen.add(real)
        try:
            text = read_text(fname)
        except OSError as e:
            raise QAPIError(info, f"can't read include file '{fname}': {e.strerror}") from None
        except QAPIError as e:
            assert e.info is not None
            e.info.parent = info
            raise
        _FileParser(self, fname, text, info, [*chain, real]).parse()


class _FileParser:
    def __init__(self, top: SchemaParser, fname: str, src: str, parent: SourceInfo | None,
                 chain: list[str]) -> None:
        if not src.endswith("\n"):
            src += "\n"
        self.top = top
        self.fname = fname
        self.src = src
        self.parent = parent
        self.chain = chain
        self.pragma = top.pragma
        self._newlines: list[int] | None = None
        self.cursor = 0
        self._tokens = _TOKEN.finditer(src)
        self._doc_lines: list[str] = []
        self._doc_texts: list[str | None] | None = None     # each line's text, when plain
        self._doc_index = 0
        self._doc_first_line = 0
        self._doc_line = 0
        self._doc_col_text = ""
        self._doc_end = 0
        self._doc_done = False
        self.tok: str | None = None
        self.val: Value = ""
        self.pos = 0

    # --- locations -------------------------------------------------------------------------

    def _line_index(self, pos: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.src)]
        return bisect_left(self._newlines, pos)

    def info_at(self, pos: int) -> SourceInfo:
        return SourceInfo(self.fname, self._line_index(pos) + 1, self.parent, self.pragma)

    def error_at(self, pos: int, msg: str) -> QAPIError:
        idx = self._line_index(pos)
        line_start = 0 if idx == 0 else self._newlines[idx - 1] + 1  # type: ignore[index]
        return QAPIError(self.info_at(pos), msg, column(self.src, line_start, pos))

    # --- tokens ----------------------------------------------------------------------------

    def advance(self) -> None:
        """Move to the next token (doc comment lines included, ordinary comments skipped)."""
        m = next(self._tokens)
        kind = m.lastindex
        self.cursor = end = m.end()
        if kind == 1:                                   # punctuation
            self.pos = end - 1
            self.tok = m.group(1)
        elif kind == 2:                                 # well-formed string
            self.pos = m.start(2) - 1
            self.tok = "'"
            self.val = _unescape(m.group(2))
        elif kind == 3:                                 # '##...' comment
            self.pos = m.start(3)
            self.tok = "#"
            self.val = m.group(3)
        elif kind is None:
            # End of input; QEMU puts the end on the final newline.
            self.pos = len(self.src) - 1
            self.tok = None
        elif kind == 4:                                 # a string that is not well-formed
            self.pos = m.start(4)
            self._bad_string(self.pos)
        elif kind == 5 or kind == 6:
            self.pos = m.start(kind)
            self.tok = "b"
            self.val = kind == 5
        else:
            self.pos = m.start(7)
            raise self.error_at(self.pos, f"stray '{m.group(7)}'")

    def _restart(self, pos: int) -> None:
        self._tokens = _TOKEN.finditer(self.src, pos)

    def _bad_string(self, start: int) -> NoReturn:
        """Report what is wrong with the string starting at *start*."""
        src = self.src
        i = start + 1
        n = len(src)
        while True:
            if i >= n or src[i] == "\n":
                raise self.error_at(start, "missing terminating \"'\"")
            ch = src[i]
            i += 1
            if ch == "'":
                raise AssertionError("well-formed string taken for a bad one")
            if ch == "\\":
                if i >= n or src[i] == "\n":
                    raise self.error_at(start, "missing terminating \"'\"")
                ch = src[i]
                i += 1
                if ch != "\\":
                    raise self.error_at(start, f"unknown escape \\{ch}")
            elif ch < " " or ch > "~":
                raise self.error_at(start, "funny character in string")

    # --- values ----------------------------------------------------------------------------

    def get_value(self, depth: int, after_bracket: bool = False) -> Value:
        tok = self.tok
        if tok == "{":
            return self.get_object(depth + 1)
        if tok == "[":
            return self.get_array(depth + 1)
        if tok == "'" or tok == "b":
            val = self.val
            self.advance()
            return val
        if after_bracket:
            raise self.error_at(self.pos, "expected '{', '[', ']', string, or boolean")
        raise self.error_at(self.pos, "expected '{', '[', string, or boolean")

    def _check_depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.error_at(self.pos, f"nesting deeper than {MAX_DEPTH} levels")

    def get_object(self, depth: int) -> dict[str, Value]:
        """The object whose ``{`` is the current token (its end at ``self.cursor``); leaves the
        token after its ``}`` current.  Well-formed entries are read by one match of
        ``_ENTRY`` each; anything else token by token (:meth:`_object_tokens`), as from the
        start, so errors are the same."""
        self._check_depth(depth)
        obj: dict[str, Value] = {}
        src = self.src
        pos = self.cursor
        first = True
        while (m := _ENTRY.match(src, pos)) is not None:
            key = _unescape(m.group(1))
            if key in obj:
                break
            if m.lastindex == 6:                # a nested object or array
                self.tok, self.pos, self.cursor = m.group(6), m.start(6), m.end()
                obj[key] = self.get_value(depth)
                if self.tok != ",":
                    return self._object_end(obj)
                pos = self.cursor
            else:
                obj[key] = _scalar(m)
                pos = m.end()
                if m.group(5) == "}":
                    self._restart(pos)
                    self.advance()
                    return obj
            first = False
        self._restart(pos)
        self.advance()
        return self._object_tokens(obj, first, depth)

    def _object_end(self, obj: dict[str, Value]) -> dict[str, Value]:
        """After an object's last value: its ``}`` must be the current token."""
        if self.tok != "}":
            raise self.error_at(self.pos, "expected ',' or '}'")
        self.advance()
        return obj

    def _object_tokens(self, obj: dict[str, Value], first: bool,
                       depth: int) -> dict[str, Value]:
        """The rest of an object, from the current token: after its ``{`` (*first*) or after
        a comma."""
        if first and self.tok == "}":
            self.advance()
            return obj
        while True:
            if self.tok != "'":
                raise self.error_at(self.pos, "expected string or '}'" if first else
                                    "expected string")
            key = self.val
            assert isinstance(key, str)
            self.advance()
            if self.tok != ":":
                raise self.error_at(self.pos, "expected ':'")
            self.advance()
            if key in obj:
                raise self.error_at(self.pos, f"duplicate key '{key}'")
            obj[key] = self.get_value(depth)
            if self.tok != ",":
                return self._object_end(obj)
            self.advance()
            first = False

    def get_array(self, depth: int) -> list[Value]:
        """The array whose ``[`` is the current token (its end at ``self.cursor``); leaves the
        token after its ``]`` current.  Well-formed elements by one match of ``_ELEMENT``
        each, anything else token by token (as :meth:`get_object`)."""
        self._check_depth(depth)
        arr: list[Value] = []
        src = self.src
        pos = self.cursor
        while (m := _ELEMENT.match(src, pos)) is not None:
            if m.lastindex == 5:                # a nested object or array
                self.tok, self.pos, self.cursor = m.group(5), m.start(5), m.end()
                arr.append(self.get_value(depth))
                if self.tok != ",":
                    return self._array_end(arr)
                pos = self.cursor
            else:
                arr.append(_scalar(m, 1))
                pos = m.end()
                if m.group(4) == "]":
                    self._restart(pos)
                    self.advance()
                    return arr
        self._restart(pos)
        self.advance()
        return self._array_tokens(arr, depth)

    def _array_end(self, arr: list[Value]) -> list[Value]:
        """After an array's last element: its ``]`` must be the current token."""
        if self.tok != "]":
            raise self.error_at(self.pos, "expected ',' or ']'")
        self.advance()
        return arr

    def _array_tokens(self, arr: list[Value], depth: int) -> list[Value]:
        """The rest of an array, from the current token: after its ``[`` (*arr* empty) or
        after a comma."""
        if not arr:
            if self.tok == "]":
                self.advance()
                return arr
            arr.append(self.get_value(depth, after_bracket=True))
            if self.tok != ",":
                return self._array_end(arr)
            self.advance()
        while True:
            arr.append(self.get_value(depth))
            if self.tok != ",":
                return self._array_end(arr)
            self.advance()

    # --- doc comments ----------------------------------------------------------------------

    def next_doc_line(self) -> str | None:
        texts = self._doc_texts
        if texts is not None:
            i = self._doc_index
            self._doc_index = i + 1
            self._doc_line = self._doc_first_line + i
            text = texts[i]
            if text is None:
                self._doc_done = True
            return text
        lines = self._doc_lines
        i = self._doc_index
        n = len(lines)
        while i < n:
            text = lines[i]
            i += 1
            stripped = text.lstrip()
            if not stripped:
                continue            # a blank line inside a doc comment
            self._doc_index = i
            self._doc_line = self._doc_first_line + i - 1
            self._doc_col_text = text[:len(text) - len(stripped)]
            if stripped.startswith("##"):
                if stripped != "##":
                    raise self.doc_line_error("junk after '##' at end of documentation comment")
                self._doc_done = True
                return None
            if stripped == "#":
                return ""
            if stripped[1] != " ":
                raise self.doc_line_error("missing space after #")
            return stripped[2:].rstrip()
        # The block ended without '##': the next token is not a comment (lexing it may fail).
        self._restart(self._doc_end)
        self.advance()
        raise self.error_at(self.pos, "documentation comment must end with '##'")

    def doc_line_info(self) -> SourceInfo:
        return SourceInfo(self.fname, self._doc_line, self.parent, self.pragma)

    def doc_line_error(self, msg: str) -> QAPIError:
        return QAPIError(self.doc_line_info(), msg, column(self._doc_col_text, 0, 10**9))

    def get_doc(self) -> Doc:
        val = self.val
        assert isinstance(val, str)
        if val != "##":
            raise self.error_at(self.pos, "junk after '##' at start of documentation comment")
        info = self.info_at(self.pos)
        assert info.line is not None
        start = self.cursor + 1
        self._doc_first_line = info.line + 1
        self._doc_index = 0
        self._doc_done = False
        plain = _PLAIN_DOC.match(self.src, start)
        if plain is not None:
            # Each line's text taken at once: what next_doc_line() would make of it.
            lines = self.src[start:plain.end() - 1].split("\n")
            self._doc_texts = [text[2:].rstrip() for text in lines[:-1]] + [None]
            self._doc_col_text = ""
        else:
            # All the lines that can belong to this comment: comment lines and blank lines.
            self._doc_texts = None
            m = _DOC_BLOCK.match(self.src, start)
            assert m is not None
            self._doc_end = m.end()
            self._doc_lines = self.src[start:m.end()].split("\n")
        doc = parse_doc(self, info, self.top.lenient)
        assert self._doc_done
        # Continue after the closing '##'.
        nl = self._newlines
        assert nl is not None
        self._restart(nl[self._doc_line - 1])
        self.advance()
        return doc

    # --- top level -------------------------------------------------------------------------

    def parse(self) -> None:
        top = self.top
        pending: Doc | None = None
        self.advance()
        while self.tok is not None:
            if self.tok == "#":
                self._reject_pending(pending)
                pending = self.get_doc()
                top.docs.append(pending)
                continue
            info = self.info_at(self.pos)
            expr = self.get_value(0)
            if not isinstance(expr, dict):
                raise QAPIError(info, "top-level expression must be an object")
            if "include" in expr:
                self._reject_pending(pending)
                if len(expr) != 1:
                    raise QAPIError(info, "invalid 'include' directive")
                incl = expr["include"]
                if not isinstance(incl, str):
                    raise QAPIError(info, "value of 'include' must be a string")
                fname = os.path.join(os.path.dirname(self.fname), incl)
                top.exprs.append(Include(fname, info))
                top.include(fname, info, self.chain)
            elif "pragma" in expr:
                self._reject_pending(pending)
                if len(expr) != 1:
                    raise QAPIError(info, "invalid 'pragma' directive")
                self._pragma(expr["pragma"], info)
            else:
                if pending is not None and pending.symbol is None:
                    raise QAPIError(pending.info, "definition documentation required")
                top.exprs.append(Definition(expr, info, pending))
            pending = None
        self._reject_pending(pending)

    @staticmethod
    def _reject_pending(doc: Doc | None) -> None:
        if doc is not None and doc.symbol is not None:
            raise QAPIError(doc.info,
                            f"documentation for '{doc.symbol}' is not followed by the definition")

    def _pragma(self, body: Value, info: SourceInfo) -> None:
        if not isinstance(body, dict):
            raise QAPIError(info, "value of 'pragma' must be an object")
        pragma = self.pragma
        for name, value in body.items():
            if name == "doc-required":
                if not isinstance(value, bool):
                    raise QAPIError(info, f"pragma '{name}' must be boolean")
                pragma.doc_required = value
            elif name in _LIST_PRAGMAS:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise QAPIError(info, f"pragma {name} must be a list of strings")
                setattr(pragma, _LIST_PRAGMAS[name], [str(v) for v in value])
            else:
                raise QAPIError(info, f"unknown pragma '{name}'")
