"""Oracle: QEMU's own QAPI generator, run as a subprocess, its introspection output evaluated.

``python3 TREE/scripts/qapi-gen.py -o DIR [-u] SCHEMA`` writes ``qapi-introspect.c``: one C
initialiser ``qmp_schema_qlit`` built from ``QLIT_QDICT`` / ``QLIT_QLIST`` / ``QLIT_QSTR`` /
``QLIT_QBOOL`` / ``QLIT_QNULL`` / ``QLIT_QNUM`` with ``#if EXPR`` ... ``#endif`` lines around
conditional elements.  A QEMU build compiles that file with some preprocessor symbols defined,
and ``query-qmp-schema`` returns the resulting value.  This module does what the C preprocessor
and compiler do there: it parses the initialiser once into a tree with conditional groups, and
evaluates it for any set of defined symbols into a plain JSON value.

Nothing of QEMU's generator is imported: it is only run, and only its output is read.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"


class OracleError(Exception):
    """The generated C could not be read, or a condition could not be evaluated."""


# --------------------------------------------------------------------------------------------
# Preprocessor conditions: defined(X), defined X, !, &&, ||, parentheses, integer literals.

_EXPR_TOKEN = re.compile(r"\s*(?:(\|\|)|(&&)|(!)|(\()|(\))|([A-Za-z_]\w*)|(\d+)[uUlL]*)")


def _expr_tokens(expr: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _EXPR_TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise OracleError(f"cannot tokenize condition {expr!r} at {expr[pos:]!r}")
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return tokens


class _ExprParser:
    """Recursive descent over  or := and ('||' and)* ;  and := unary ('&&' unary)* ;
    unary := '!' unary | '(' or ')' | 'defined' '(' NAME ')' | 'defined' NAME | INTEGER."""

    def __init__(self, expr: str, defined: Collection[str]) -> None:
        self.expr = expr
        self.tokens = _expr_tokens(expr)
        self.pos = 0
        self.defined = defined

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, want: str | None = None) -> str:
        tok = self._peek()
        if tok is None or (want is not None and tok != want):
            raise OracleError(f"condition {self.expr!r}: expected {want or 'a token'}, got {tok!r}")
        self.pos += 1
        return tok

    def parse(self) -> bool:
        value = self._or()
        if self._peek() is not None:
            raise OracleError(f"condition {self.expr!r}: trailing {self._peek()!r}")
        return value

    def _or(self) -> bool:
        value = self._and()
        while self._peek() == "||":
            self._take()
            rhs = self._and()
            value = value or rhs
        return value

    def _and(self) -> bool:
        value = self._unary()
        while self._peek() == "&&":
            self._take()
            rhs = self._unary()
            value = value and rhs
        return value

    def _unary(self) -> bool:
        tok = self._take()
        if tok == "!":
            return not self._unary()
        if tok == "(":
            value = self._or()
            self._take(")")
            return value
        if tok == "defined":
            if self._peek() == "(":
                self._take()
                name = self._name()
                self._take(")")
            else:
                name = self._name()
            return name in self.defined
        if tok.isdigit():
            return int(tok) != 0
        raise OracleError(
            f"condition {self.expr!r}: bare identifier {tok!r} (its value is unknown here)")

    def _name(self) -> str:
        tok = self._take()
        if not (tok[0].isalpha() or tok[0] == "_"):
            raise OracleError(f"condition {self.expr!r}: expected a macro name, got {tok!r}")
        return tok


def eval_c_condition(expr: str, defined: Collection[str]) -> bool:
    """Value of a preprocessor ``#if`` expression when exactly *defined* are defined."""
    return _ExprParser(expr, defined).parse()


# --------------------------------------------------------------------------------------------
# The QLit initialiser, parsed once into a tree with conditional groups.

@dataclass
class Cond:
    """``#if A`` items ``#elif B`` items ``#else`` items ``#endif``; condition None is #else."""

    branches: list[tuple[str | None, list[Item]]] = field(default_factory=list)


@dataclass
class QList:
    items: list[Item]


@dataclass
class QDict:
    items: list[Item]          # (key, Node) pairs or Cond


Node: TypeAlias = "QList | QDict | str | bool | int | float | None"
Item: TypeAlias = "Node | tuple[str, Node] | Cond"

_C_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>/\*.*?\*/|//[^\n]*)
      | (?P<directive>(?<![^\n])[ \t]*\#(?:[^\n\\]|\\\n|\\.)*)
      | (?P<string>"(?:[^"\\\n]|\\.)*")
      | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)[uUlL]*)
      | (?P<ident>[A-Za-z_]\w*)
      | (?P<punct>[(){}\[\],;=*])""",
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "?": "?",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _c_string(lit: str) -> str:
    body = lit[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            assert m is not None
            out.append(chr(int(m.group(), 8)))
            i += 1 + m.end()
        elif e == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            if m is None:
                raise OracleError(f"bad hex escape in {lit}")
            out.append(chr(int(m.group(), 16)))
            i += 2 + m.end()
        else:
            raise OracleError(f"unknown escape \\{e} in {lit}")
    # Generated strings are UTF-8 bytes written as C text; non-ASCII would arrive as octal.
    raw = "".join(out)
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


@dataclass
class _Tok:
    kind: str
    text: str
    line: int


def _c_tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    line = 1
    pos = 0
    while pos < len(text):
        m = _C_TOKEN.match(text, pos)
        if m is None:
            raise OracleError(f"line {line}: cannot tokenize {text[pos:pos + 40]!r}")
        kind = m.lastgroup
        assert kind is not None
        s = m.group()
        if kind == "directive":
            d = re.sub(r"/\*.*?\*/|//.*", "", s.replace("\\\n", " "), flags=re.DOTALL).strip()
            toks.append(_Tok(kind, d[1:].strip(), line))
        elif kind not in ("ws", "comment"):
            toks.append(_Tok(kind, s, line))
        line += s.count("\n")
        pos = m.end()
    return toks


class _QLitParser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0

    def peek(self, k: int = 0) -> _Tok | None:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else None

    def take(self, text: str | None = None, kind: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise OracleError(f"unexpected end of file, expected {text or kind}")
        if (text is not None and tok.text != text) or (kind is not None and tok.kind != kind):
            raise OracleError(f"line {tok.line}: expected {text or kind}, got {tok.text!r}")
        self.pos += 1
        return tok

    def value(self) -> Node:
        tok = self.take(kind="ident")
        name = tok.text
        if name == "QLIT_QNULL":
            return None
        if name == "QLIT_QSTR":
            self.take("(")
            parts = [_c_string(self.take(kind="string").text)]
            while (nxt := self.peek()) is not None and nxt.kind == "string":
                parts.append(_c_string(self.take().text))
            s = "".join(parts)
            self.take(")")
            return s
        if name == "QLIT_QBOOL":
            self.take("(")
            b = self.take(kind="ident").text
            self.take(")")
            if b not in ("true", "false"):
                raise OracleError(f"line {tok.line}: QLIT_QBOOL({b})")
            return b == "true"
        if name.startswith("QLIT_QNUM"):
            self.take("(")
            n = self.take(kind="number").text.rstrip("uUlL")
            self.take(")")
            return float(n) if any(c in n for c in ".eE") and not n.startswith("0x") \
                else int(n, 0)
        if name in ("QLIT_QDICT", "QLIT_QLIST"):
            elem = "QLitDictEntry" if name == "QLIT_QDICT" else "QLitObject"
            for t in ("(", "(", "("):
                self.take(t)
            self.take(elem)
            self.take("[")
            self.take("]")
            self.take(")")
            self.take("{")
            items = self.items(dict_entries=name == "QLIT_QDICT", top=True)
            self.take("}")
            self.take(")")
            self.take(")")
            return QDict(items) if name == "QLIT_QDICT" else QList(items)
        raise OracleError(f"line {tok.line}: unknown QLit constructor {name}")

    def items(self, dict_entries: bool, top: bool) -> list[Item]:
        """Elements up to the ``{}`` terminator (consumed when *top*), or, inside a conditional
        group (*top* false), up to the next ``#elif``/``#else``/``#endif`` (not consumed)."""
        out: list[Item] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise OracleError("unexpected end of file inside an initialiser")
            if tok.kind == "directive":
                word = tok.text.split(None, 1)[0] if tok.text else ""
                if word in ("elif", "else", "endif"):
                    if top:
                        raise OracleError(f"line {tok.line}: #{word} without #if")
                    return out
                out.append(self.conditional(dict_entries))
                continue
            if tok.text == "{" and (n := self.peek(1)) is not None and n.text == "}":
                if not top:
                    raise OracleError(f"line {tok.line}: terminator inside #if")
                self.take("{")
                self.take("}")
                return out
            if dict_entries:
                self.take("{")
                key = _c_string(self.take(kind="string").text)
                self.take(",")
                val = self.value()
                self.take(",")
                self.take("}")
                self.take(",")
                out.append((key, val))
            else:
                out.append(self.value())
                self.take(",")

    def conditional(self, dict_entries: bool) -> Cond:
        tok = self.take(kind="directive")
        word, _, rest = tok.text.partition(" ")
        rest = rest.strip()
        cond: str | None
        if word == "if":
            cond = rest
        elif word == "ifdef":
            cond = f"defined({rest})"
        elif word == "ifndef":
            cond = f"!defined({rest})"
        else:
            raise OracleError(f"line {tok.line}: unexpected directive #{tok.text}")
        group = Cond()
        while True:
            group.branches.append((cond, self.items(dict_entries, top=False)))
            d = self.take(kind="directive")
            word, _, rest = d.text.partition(" ")
            if word == "endif":
                return group
            if word == "elif":
                cond = rest.strip()
            elif word == "else":
                cond = None
            else:
                raise OracleError(f"line {d.line}: unexpected directive #{d.text}")


def parse_qlit(text: str, var: str = "qmp_schema_qlit") -> Node:
    """Parse the C source *text*, return the conditional tree of the initialiser of *var*."""
    toks = _c_tokens(text)
    for i, t in enumerate(toks):
        if t.kind == "ident" and t.text == var and i + 1 < len(toks) and toks[i + 1].text == "=":
            parser = _QLitParser(toks)
            parser.pos = i + 2
            root = parser.value()
            parser.take(";")
            return root
    raise OracleError(f"no initialiser for {var}")


class Evaluator:
    """Evaluates a parsed tree for one set of defined symbols (conditions memoised)."""

    def __init__(self, defined: Collection[str]) -> None:
        self.defined = frozenset(defined)
        self._memo: dict[str, bool] = {}

    def holds(self, expr: str | None) -> bool:
        if expr is None:
            return True
        v = self._memo.get(expr)
        if v is None:
            v = self._memo[expr] = eval_c_condition(expr, self.defined)
        return v

    def _flat(self, items: list[Item]) -> Iterator[Node | tuple[str, Node]]:
        for it in items:
            if isinstance(it, Cond):
                for cond, sub in it.branches:
                    if self.holds(cond):
                        yield from self._flat(sub)
                        break
            else:
                yield it

    def value(self, node: Node) -> JSON:
        if isinstance(node, QList):
            out: list[JSON] = []
            for it in self._flat(node.items):
                assert not isinstance(it, tuple)
                out.append(self.value(it))
            return out
        if isinstance(node, QDict):
            d: dict[str, JSON] = {}
            for it in self._flat(node.items):
                assert isinstance(it, tuple)
                d[it[0]] = self.value(it[1])
            return d
        return node


def evaluate(tree: Node, defined: Collection[str]) -> JSON:
    """The JSON value of *tree* compiled with exactly *defined* defined."""
    return Evaluator(defined).value(tree)


def conditions(tree: Node) -> set[str]:
    """Every ``#if``/``#elif`` expression occurring in *tree*."""
    found: set[str] = set()

    def walk(node: Node | tuple[str, Node] | Cond) -> None:
        if isinstance(node, tuple):
            walk(node[1])
        elif isinstance(node, Cond):
            for cond, sub in node.branches:
                if cond is not None:
                    found.add(cond)
                for s in sub:
                    walk(s)
        elif isinstance(node, QList | QDict):
            for it in node.items:
                walk(it)

    walk(tree)
    return found


def symbols(tree: Node) -> set[str]:
    """Every macro name that a condition of *tree* tests."""
    return {name for c in conditions(tree) for name in re.findall(r"[A-Za-z_]\w*", c)
            if name != "defined"}


# --------------------------------------------------------------------------------------------
# Running upstream's generator.

class UpstreamOracle:
    """Runs ``TREE/scripts/qapi-gen.py`` once per (schema, unmask) into *workdir*, parses its
    ``qapi-introspect.c`` once, and evaluates it for any symbol set."""

    def __init__(self, tree: Path, workdir: Path | None = None, python: str | None = None) -> None:
        self.tree = Path(tree)
        self.generator = self.tree / "scripts" / "qapi-gen.py"
        if not self.generator.is_file():
            raise OracleError(f"{self.generator} does not exist")
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="qapic-oracle-")) if workdir is None \
            else Path(workdir)
        self.python = python or sys.executable
        self._trees: dict[tuple[Path, bool], Node] = {}

    def close(self) -> None:
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def generated_c(self, schema: Path, unmask: bool = False) -> Path:
        """Path of upstream's ``qapi-introspect.c`` for *schema* (generated on first use)."""
        schema = Path(schema).resolve()
        tag = hashlib.sha1(f"{schema}|{unmask}".encode()).hexdigest()[:12]
        out = self.workdir / f"{schema.stem}-{'u' if unmask else 'm'}-{tag}"
        target = out / "qapi-introspect.c"
        if not target.is_file():
            out.mkdir(parents=True, exist_ok=True)
            cmd = [self.python, str(self.generator), "-o", str(out)]
            if unmask:
                cmd.append("-u")
            cmd.append(str(schema))
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out, check=False)
            if proc.returncode != 0 or not target.is_file():
                raise OracleError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
        return target

    def tree_for(self, schema: Path, unmask: bool = False) -> Node:
        key = (Path(schema).resolve(), unmask)
        if key not in self._trees:
            text = self.generated_c(schema, unmask).read_text(encoding="utf-8")
            self._trees[key] = parse_qlit(text)
        return self._trees[key]

    def introspect(self, schema: Path, defined: Collection[str] = (),
                   unmask: bool = False) -> JSON:
        """What ``query-qmp-schema`` returns from a build of *schema* with *defined* defined."""
        return evaluate(self.tree_for(schema, unmask), defined)

    def symbols(self, schema: Path, unmask: bool = False) -> set[str]:
        """The macro names that *schema*'s introspection conditions test."""
        return symbols(self.tree_for(schema, unmask))


_SHARED: dict[Path, UpstreamOracle] = {}


def shared_oracle(tree: Path) -> UpstreamOracle:
    """One oracle per QEMU tree for the whole process (so a test session runs upstream's
    generator once per (schema, unmask) even when several conftests ask for it); its temporary
    directory is removed at exit."""
    tree = Path(tree).resolve()
    if tree not in _SHARED:
        oracle = UpstreamOracle(tree)
        atexit.register(oracle.close)
        _SHARED[tree] = oracle
    return _SHARED[tree]
