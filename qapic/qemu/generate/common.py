"""What every C backend shares: C names and types of schema things, and the :class:`Emitter`.

The C names are part of QEMU's API (hand-written code uses them), so they follow QEMU's rules
exactly: ``c_name`` for identifiers (:mod:`qapic.naming`, shared with the frontend),
``camel_to_upper`` and ``c_enum_const`` for enum constants, ``c_type`` for the C type of a value;
``declaration``, ``params`` and ``visitor`` are the C pieces several backends write (the
placeholder definition that ends every ``.c`` is :meth:`.output.CFile.placeholder`).

The emitter writes C the way it reads: ``line()`` for a line, ``with block(opening):`` for a
braced block, ``lines(template)`` for a run of fixed lines, ``with guarded(cond):`` for code that
exists only under a schema condition.  :meth:`Emitter.guarded` is the one place where a
condition becomes C text; it asks :mod:`qapic.conditions` for it.  Which text depends on the
guard policy (:mod:`.single`): per target, every condition is an ``#if``; for a single binary,
declarations stay under ``guarded(cond)`` while behaviour goes under ``checked(cond)`` /
``visible_only(cond)``, which add the run-time test.

One emission style, in every C backend:

- **a template** (``e.lines(...)`` of an indented triple-quoted f-string, dedented, its own
  indentation kept, ``{{``/``}}`` for C braces) for a run of lines whose shape is fixed: every
  line is always there, only names are substituted;
- **line by line** (``e.line()``, ``with e.block()``, ``with e.guarded()``) wherever the shape
  depends on the schema: a line that is there only for some entities, a loop over members or
  branches, anything under a condition.

A function mixes them: templates for its fixed runs, lines for what varies between them (see
``commands._emit_marshal``).  A template never holds a condition's guard and is never assembled
from optional pieces.  Its leading and trailing blank lines are dropped: separate blocks with
``e.line()`` or ``e.blank()``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache

from qapic.conditions import NEVER, Condition, to_c_preprocessor
from qapic.frontend import (
    AlternateType,
    BuiltinType,
    EntityVisitor,
    EnumType,
    ObjectMember,
    ObjectType,
    Type,
)
from qapic.frozen import Frozen
from qapic.naming import c_name

from .single import PER_TARGET, GuardPolicy

#: The QEMU release followed for a schema outside any QEMU tree (see GenContext.qemu_version).
DEFAULT_QEMU_VERSION = (10, 0)

# --- names ------------------------------------------------------------------------------------


@cache
def camel_to_upper(name: str) -> str:
    """``CamelCase`` to ``CAMEL_CASE``, as QEMU spells enum constant prefixes.

    A ``_`` goes where the case changes from lower to upper after a letter or digit
    (``fooBar`` -> ``FOO_BAR``, ``x_Enum`` -> ``X_ENUM``) and before
    the last capital of an upper-case run that a lower-case letter follows (``QCryptoX`` ->
    ``QCRYPTO_X``, but ``ABc`` stays ``ABC`` when the run starts the name).
    """
    out = name[0]
    prev_upper = name[0].isupper()
    for ch in name[1:]:
        upper = ch.isupper()
        if upper != prev_upper:
            if prev_upper:
                # An upper-case run ends: its last capital begins a new word.
                if len(out) > 2 and out[-2].isalnum():
                    out = out[:-1] + "_" + out[-1]
            elif out[-1].isalnum():
                out += "_"
        prev_upper = upper
        out += ch
    return c_name(out.upper()).lstrip("_")


def c_enum_const(type_name: str, const_name: str, prefix: str | None = None) -> str:
    """The C constant for value *const_name* of enum *type_name*; an enum's ``prefix``, when it
    has one, replaces the upper-cased type name as it is."""
    if prefix is None:
        prefix = camel_to_upper(type_name)
    return prefix + "_" + c_name(const_name, False).upper()


_PLAIN_C_STRING = re.compile(r'[ !#-\[\]-~]*')


def c_string(s: str) -> str:
    """*s* as a C string literal."""
    if _PLAIN_C_STRING.fullmatch(s):
        return '"' + s + '"'
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


# --- types ------------------------------------------------------------------------------------

_BUILTIN_C_TYPES = {
    "str": "char *", "number": "double", "int": "int64_t", "int8": "int8_t", "int16": "int16_t",
    "int32": "int32_t", "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t",
    "uint32": "uint32_t", "uint64": "uint64_t", "size": "uint64_t", "bool": "bool",
    "any": "QObject *", "null": "QNull *",
}

POINTER_SUFFIX = " *"


class _CType(EntityVisitor[str]):
    """The C type that holds a value of a type: scalars by value, objects, lists and
    alternates by pointer."""

    def visit_builtin(self, typ: BuiltinType) -> str:
        return _BUILTIN_C_TYPES[typ.name]

    def visit_enum(self, typ: EnumType) -> str:
        return c_name(typ.name)

    def visit_type(self, typ: Type) -> str:
        return c_name(typ.name) + POINTER_SUFFIX


class _CUnboxedType(_CType):
    """The C type of a type embedded by value (a union branch): objects without the
    pointer."""

    def visit_object(self, typ: ObjectType) -> str:
        return c_name(typ.name)

    def visit_alternate(self, typ: AlternateType) -> str:
        return c_name(typ.name)


_C_TYPE = _CType()
_C_UNBOXED_TYPE = _CUnboxedType()


def c_type(typ: Type) -> str:
    """The C type that holds a value of *typ*: scalars by value, objects, lists and alternates
    by pointer."""
    return typ.accept(_C_TYPE)


def c_unboxed_type(typ: Type) -> str:
    """The C type of *typ* embedded by value (a union branch): objects without the pointer."""
    return typ.accept(_C_UNBOXED_TYPE)


def c_param_type(typ: Type) -> str:
    """The C type of *typ* as a function parameter: strings are ``const char *``."""
    if typ.name == "str":       # only the built-in type can have that name
        return "const char *"
    return c_type(typ)


class _TypeCName(EntityVisitor[str]):
    def visit_builtin(self, typ: BuiltinType) -> str:
        return typ.name     # "int", "str", ...: C keywords, but only inside longer names

    def visit_type(self, typ: Type) -> str:
        return c_name(typ.name)


_TYPE_C_NAME = _TypeCName()


def type_c_name(typ: Type) -> str:
    """The C name of *typ* inside other names (``visit_type_NAME``, ``qapi_free_NAME``,
    ``NAME_members``): built-in names unprotected."""
    return typ.accept(_TYPE_C_NAME)


def visitor(typ: Type) -> str:
    """The name of the function that visits a value of *typ* (``visit_type_str``, ...; for a
    built-in type in ``qapi/visitor.h``)."""
    return f"visit_type_{type_c_name(typ)}"


def declaration(ctype: str, name: str) -> str:
    """*name* declared with C type *ctype*: ``int64_t x`` but ``Foo *x`` (no semicolon)."""
    return f"{ctype}{name}" if ctype.endswith("*") else f"{ctype} {name}"


def params(arg_type: ObjectType | None, boxed: bool, extra: str | None) -> str:
    """The parameter list of a command handler or event sender, without parentheses."""
    out: list[str] = []
    if boxed:
        assert arg_type is not None
        out.append(declaration(c_param_type(arg_type), "arg"))
    elif arg_type is not None:
        for member in arg_type.members:
            if need_has(member):
                out.append(f"bool has_{c_name(member.name)}")
            out.append(declaration(c_param_type(member.type), c_name(member.name)))
    if extra is not None:
        out.append(extra)
    return ", ".join(out) if out else "void"


def has_args(arg_type: ObjectType | None, boxed: bool) -> bool:
    """Whether a command or event passes arguments (a boxed empty struct still does)."""
    return arg_type is not None and (boxed or not arg_type.is_empty())


def is_pointer(typ: Type) -> bool:
    return c_type(typ).endswith(POINTER_SUFFIX)


def need_has(member: ObjectMember) -> bool:
    """Whether optional *member* has a ``has_`` flag: when absence cannot be told by a NULL
    pointer (scalars), and for lists (where NULL is the empty list)."""
    return member.optional and (not is_pointer(member.type)
                                or member.type.json_type() == "array")


# --- the emitter ------------------------------------------------------------------------------

INDENT = "    "


def guard_expression(cond: Condition) -> str:
    """The build-time test for *cond*: the text of an ``#if``.  Only :meth:`Emitter.guarded`
    calls it."""
    return to_c_preprocessor(cond)


def _block_lines(block: str, prefix: str) -> list[str]:
    """The lines of *block* for :meth:`Emitter.lines`, dedented as by ``textwrap.dedent`` (its
    least indented line at column 0) and then indented by *prefix* (spaces), without leading
    and trailing blank lines; a blank line is ``""``, a preprocessor line is at column 0
    whatever its indentation.

    Templates are dedented by the tens of thousands, so the usual case is done with a few
    string operations over the whole block (see :func:`_plain_block_lines`); the rest, by
    :func:`_general_block_lines`, line by line.
    """
    lines = _plain_block_lines(block, prefix) if _is_plain(block) else None
    return _general_block_lines(block, prefix) if lines is None else lines


#: The bytes that :func:`_is_plain` rejects: control characters but the newline, and ``#``.
_NOT_PLAIN = bytes(c for c in range(32) if c != ord("\n")) + b"#"


def _is_plain(block: str) -> bool:
    """Whether *block* holds only printable ASCII and newlines, and no ``#``: no preprocessor
    line, no whitespace but spaces and newlines, and no character that sorts before a space."""
    return block.isascii() and len(block.encode("ascii").translate(None, _NOT_PLAIN)) == len(block)


def _plain_block_lines(block: str, prefix: str) -> list[str] | None:
    """:func:`_block_lines` for a block that :func:`_is_plain` accepts, or None when the block
    has a line of spaces between its first and last lines, or a first line more indented than
    another (where that would give a different result)."""
    lines = block.split("\n")
    while lines and not lines[-1].strip(" "):
        lines.pop()
    if not lines:
        return []
    start = 0
    while not lines[start].strip(" "):
        start += 1
    del lines[:start]
    first = lines[0]
    margin = len(first) - len(first.lstrip(" "))
    text = "\n".join(lines)
    if " \n" in text:
        return None         # a line of spaces (to be made empty), or trailing spaces
    # Each line after the first is empty (not counted) or starts with the margin.
    indented = "\n" + " " * margin
    if text.count(indented) != len(lines) - 1 - lines.count(""):
        return None
    if margin == len(prefix):
        return lines
    if not margin and "" in lines:
        return None         # an empty line would get the prefix
    return (prefix + text[margin:].replace(indented, "\n" + prefix)).split("\n")


def _general_block_lines(block: str, prefix: str) -> list[str]:
    """:func:`_block_lines` for any block, line by line."""
    lines = block.split("\n")
    while lines and (not lines[-1] or lines[-1].isspace()):
        lines.pop()
    start = 0
    while start < len(lines) and (not lines[start] or lines[start].isspace()):
        start += 1
    stripped = [text.lstrip(" ") for text in lines[start:]]
    lines = lines[start:]
    margin = min((len(text) - len(rest) for text, rest in zip(lines, stripped, strict=True)
                  if rest and not rest.isspace()), default=0)
    dedented = [rest if not rest or rest[0] == "#" else ("" if rest.isspace() else text[margin:])
                for text, rest in zip(lines, stripped, strict=True)]
    return [prefix + text if text and text[0] != "#" else text for text in dedented]


class Emitter:
    """Lines of C under construction."""

    def __init__(self, guards: GuardPolicy = PER_TARGET) -> None:
        self._lines: list[str] = []
        self._depth = 0
        self._prefix = ""       # INDENT * _depth
        self.guards = guards

    def _set_depth(self, depth: int) -> None:
        self._depth = depth
        self._prefix = INDENT * depth

    def line(self, text: str = "") -> None:
        """One line at the current indentation (preprocessor lines at column 0)."""
        if text and text[0] != "#":
            text = self._prefix + text
        self._lines.append(text)

    def lines(self, block: str) -> None:
        """A block of lines given as an indented triple-quoted string (dedented; its own
        relative indentation kept; blank and preprocessor lines at column 0)."""
        self._lines.extend(_block_lines(block, self._prefix))

    @property
    def indentation(self) -> str:
        """The current indentation, for code that indents its lines itself (:meth:`appender`)."""
        return self._prefix

    def appender(self) -> Callable[[str], None]:
        """The function that adds one line as it is: for code that writes many lines and indents
        them itself (the QLit renderer), saving :meth:`line`'s work per line.  A preprocessor
        line must be at column 0."""
        return self._lines.append

    def blank(self) -> None:
        """A blank line, unless the last line is already blank or this is the start."""
        if self._lines and self._lines[-1] != "":
            self._lines.append("")

    def extend(self, other: Emitter) -> None:
        """Append what *other* holds, at the current indentation."""
        prefix = self._prefix
        if not prefix:
            self._lines.extend(other._lines)
            return
        append = self._lines.append
        for text in other._lines:
            append(prefix + text if text and text[0] != "#" else text)

    def indent(self, levels: int = 1) -> AbstractContextManager[None]:
        return _Indent(self, levels)

    def block(self, opening: str, closing: str = "}") -> AbstractContextManager[None]:
        """``opening {`` ... ``closing``: a braced block, its content indented."""
        self.line(opening + " {" if not opening.endswith("{") else opening)
        return _Block(self, closing)

    def guarded(self, cond: Condition) -> AbstractContextManager[None]:
        """Code that exists only where *cond* holds.  Nothing is added for an unconditional
        *cond*, and a guard around nothing is dropped.  Under the single-binary policy the
        ``#if`` is only the build-time part of *cond* (and code that exists in no build is
        left out)."""
        if cond.is_always:
            return _NOTHING
        cond = self.guards.exists(cond)
        if cond.is_always:
            return _NOTHING
        return self._guarded(cond)

    @contextmanager
    def _guarded(self, cond: Condition) -> Iterator[None]:
        if cond is NEVER:
            start = len(self._lines)
            yield
            del self._lines[start:]
            return
        expr = guard_expression(cond)
        opening, closing = f"#if {expr}", f"#endif /* {expr} */"
        # Right after a guard of the same condition: continue it rather than open another.
        continued = bool(self._lines) and self._lines[-1] == closing
        if continued:
            self._lines.pop()
        else:
            self._lines.append(opening)
        start = len(self._lines)
        yield
        if all(not text for text in self._lines[start:]):
            del self._lines[start:]
            if not continued:
                self._lines.pop()       # the guard around nothing
                return
        self._lines.append(closing)

    def checked(self, cond: Condition) -> AbstractContextManager[None]:
        """Code that runs only where *cond* holds: per target, the same as :meth:`guarded`;
        for a single binary, also only while *cond* holds for the active targets."""
        if cond.is_always:
            return _NOTHING
        return self._checked(cond)

    @contextmanager
    def _checked(self, cond: Condition) -> Iterator[None]:
        with self.guarded(cond), self.visible_only(cond):
            yield

    def visible_only(self, cond: Condition, otherwise: str = "",
                     also_when: str = "") -> AbstractContextManager[None]:
        """The run-time part of :meth:`checked`, for code already inside ``guarded(cond)``:
        the code runs only while *cond* holds for the active targets (or while the C
        expression *also_when* is true), else *otherwise* (lines of C) does.  Adds nothing per
        target, nor where no target can lack *cond*.

        The guard policy splits *cond* into exclusive build-time cases, each with its run-time
        test (``GuardPolicy.cases``); the code is captured once and written once per case.
        For a single binary of QEMU 10.0's targets, with ``cond`` = ``TARGET_S390X or
        CONFIG_SPICE``::

            with e.guarded(cond), e.visible_only(cond, otherwise="abort();",
                                                 also_when="visit_is_dealloc(v)"):
                e.line("return visit_type_Foo_members(v, &obj->u.foo, errp);")

        writes (with CONFIG_SPICE every target has it: no test; without, only s390x)::

            #if !defined(CONFIG_SPICE)
            if (qapi_targets_visible(QAPI_TARGET_S390X) || visit_is_dealloc(v)) {
                return visit_type_Foo_members(v, &obj->u.foo, errp);
            } else {
                abort();
            }
            #endif /* !defined(CONFIG_SPICE) */
            #if defined(CONFIG_SPICE)
            return visit_type_Foo_members(v, &obj->u.foo, errp);
            #endif /* defined(CONFIG_SPICE) */

        Per target the same code is only the ``#if`` of ``guarded(cond)``.
        """
        if cond.is_always:
            return _NOTHING
        cases = self.guards.cases(cond)
        if all(test is None for _, test in cases):
            return _NOTHING
        if also_when:
            cases = [(case, test if test is None else f"{test} || {also_when}")
                     for case, test in cases]
        return self._visible_only(cases, otherwise)

    @contextmanager
    def _visible_only(self, cases: Sequence[tuple[Condition, str | None]],
                      otherwise: str) -> Iterator[None]:
        start = len(self._lines)
        yield
        body = self._lines[start:]
        del self._lines[start:]
        for case, test in cases:
            with self.guarded(case):
                if test is None:
                    self._lines.extend(body)
                    continue
                self.line(f"if ({test}) {{")
                self._lines.extend(INDENT + text if text and not text.startswith("#") else text
                                   for text in body)
                if otherwise:
                    self.line("} else {")
                    with self.indent():
                        self.lines(otherwise)
                self.line("}")

    def target_masks(self, cond: Condition) -> Iterator[str]:
        """For a table of targets with an entry per thing under *cond*: each exclusive
        build-time case of *cond* opened in its guard in turn, giving the C mask of the targets
        on which *cond* then holds (``QAPI_TARGETS_ALL`` where it holds on every target, and
        per target always).  The caller writes the entry in the loop's body::

            for mask in e.target_masks(value.ifcond):
                e.line(f"[{const}] = {mask},")
        """
        for case, mask in self.guards.mask_cases(cond):
            with self.guarded(case):
                yield mask

    def unless_visible(self, cond: Condition, action: str) -> None:
        """``if (!visible) { action }``: for code inside ``guarded(cond)`` that must stop
        where *cond* does not hold for the active targets.  Nothing per target."""
        for case, test in self.guards.cases(cond):
            if test is None:
                continue
            with self.guarded(case), self.block(f"if (!{test})"):
                self.lines(action)

    def is_empty(self) -> bool:
        return not any(self._lines)

    def text(self) -> str:
        """The lines, each ending in a newline."""
        return "\n".join(self._lines) + "\n" if self._lines else ""


class _Nothing:
    """A context that adds nothing (cheaper than a generator-based one: emitters open
    tens of thousands of them)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NOTHING = _Nothing()


class _Indent:
    __slots__ = ("emitter", "levels")

    def __init__(self, emitter: Emitter, levels: int) -> None:
        self.emitter, self.levels = emitter, levels

    def __enter__(self) -> None:
        self.emitter._set_depth(self.emitter._depth + self.levels)

    def __exit__(self, *exc: object) -> None:
        self.emitter._set_depth(self.emitter._depth - self.levels)


class _Block:
    __slots__ = ("closing", "emitter")

    def __init__(self, emitter: Emitter, closing: str) -> None:
        self.emitter, self.closing = emitter, closing

    def __enter__(self) -> None:
        self.emitter._set_depth(self.emitter._depth + 1)

    def __exit__(self, *exc: object) -> None:
        self.emitter._set_depth(self.emitter._depth - 1)
        self.emitter.line(self.closing)


class GenContext(Frozen):
    """The options of ``qapic generate`` that shape the output."""

    _fields = ("prefix", "builtins", "unmask", "suppress_tracing", "schema_name", "guards",
               "qemu_version")
    prefix: str
    builtins: bool          # -b: also generate the built-in types' module
    unmask: bool            # -u: non-ABI names in introspection
    suppress_tracing: bool  # --suppress-tracing: no trace events in command marshals
    schema_name: str        # the schema file, named in each file's header comment
    guards: GuardPolicy     # per target, or --single-binary
    #: The QEMU release whose generator's C structure to follow where releases differ
    #: (``--qemu-version``, else the VERSION of the QEMU tree holding the schema, else
    #: :data:`DEFAULT_QEMU_VERSION`).
    qemu_version: tuple[int, int]

    def __init__(self, prefix: str = "", builtins: bool = False, unmask: bool = False,
                 suppress_tracing: bool = False, schema_name: str = "",
                 guards: GuardPolicy = PER_TARGET,
                 qemu_version: tuple[int, int] = DEFAULT_QEMU_VERSION) -> None:
        super().__init__(prefix, builtins, unmask, suppress_tracing, schema_name, guards,
                         qemu_version)

    @property
    def inline_marshal_output(self) -> bool:
        """QEMU 10.1 and later convert a command's result inside its marshaller; before, in a
        static ``qmp_marshal_output_TYPE`` helper per return type and file."""
        return self.qemu_version >= (10, 1)
