"""Test doubles for every command implementation a QAPI schema's marshallers call.

``generate(schema, mode)`` returns the C text of ``harness-doubles.c``: for each command with
``'gen': true`` (but the few the harness implements with QEMU's real logic, see ``REAL``) a
``qmp_NAME()`` that returns a deterministic value of the command's return type.  The value fills
every member: optional ones too (up to a nesting depth), conditional ones wherever they exist in
the C struct, and lists of unions and of alternates get one element per branch, lists of enums
one element per value, and any other union or alternate value takes, of the branches that exist,
the one the request selects (``harness_request_round``, a hash of the request's JSON text, so a
reproducer replayed alone sees the same) -- so the output visitors' handling of conditional
members, enum values and branches is exercised.

Two modes:

- ``"target"``: compiled once per target with its ``TARGET_*`` macros; conditions are ``#if``.
- ``"single"``: compiled once for all targets (no ``TARGET_*`` macro may appear: QEMU poisons
  them).  Run-time symbols are decided with the single-binary API (``qapi_targets_visible``):
  a struct member that exists at build time is always *filled* (the output visitor must hide it
  when its targets are not active), and an event that exists at build time is always *sent*
  (its generated sender must drop it when its targets are not active); but a branch or an enum
  value is only *chosen* where its condition holds for the active targets -- as the per-target
  build, where it does not exist at all.  Conditions are split with
  :func:`qapic.conditions.split_runtime`.

Events: ``human-monitor-command`` with ``harness-emit NAME`` emits event NAME (with a generated
value) where it exists, ``harness-emit-all`` emits every event; any other command line returns
the usual string value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from qapic.conditions import Condition, SymbolClasses, TargetTable
from qapic.frontend import (
    AlternateType,
    ArrayType,
    Branch,
    BuiltinType,
    Command,
    EntityVisitor,
    EnumType,
    Event,
    ObjectMember,
    ObjectType,
    Schema,
    Type,
)
from qapic.naming import c_name
from qapic.qemu.generate.common import (
    Emitter,
    c_enum_const,
    c_string,
    c_type,
    declaration,
    has_args,
    need_has,
    params,
)
from qapic.qemu.generate.single import PER_TARGET, GuardPolicy, SingleBinaryPolicy

Mode = Literal["target", "single"]

#: Commands the harness implements itself (harness.c), with QEMU's real logic.
REAL = frozenset({"qmp_capabilities", "query-commands", "query-qmp-schema", "query-version",
                  "quit"})
#: Nesting depth below which optional members are filled and lists have elements.
MAX_DEPTH = 3

_INT_VALUES = {"int": "42", "int8": "-8", "int16": "-16", "int32": "-32", "int64": "-64",
               "uint8": "8", "uint16": "16", "uint32": "32", "uint64": "64", "size": "4096"}


class _Gen(EntityVisitor[None]):
    def __init__(self, schema: Schema, mode: Mode, table: TargetTable | None,
                 classes: SymbolClasses) -> None:
        if mode == "single" and table is None:
            raise ValueError("single mode needs the target table")
        self.schema = schema
        self.mode = mode
        self.table = table
        self.classes = classes
        self.guards: GuardPolicy = (PER_TARGET if mode == "target" else
                                    SingleBinaryPolicy(table, classes))  # type: ignore[arg-type]
        self.protos = self.em()
        self.body = self.em()
        self.top_protos = self.protos
        self.top_body = self.body
        self.done: set[str] = set()

    def em(self) -> Emitter:
        return Emitter(self.guards)

    @contextmanager
    def where(self, e: Emitter, cond: Condition, runtime: bool = True) -> Iterator[None]:
        """Code that exists only where *cond* holds (with *runtime*, that also runs only while
        *cond* holds for the active targets: the guard policy's ``checked``)."""
        with (e.checked(cond) if runtime else e.guarded(cond)):
            yield

    # --- values -----------------------------------------------------------------------------

    def value(self, typ: Type, depth: str) -> str:
        """A C expression of type ``c_type(typ)`` holding a generated value."""
        return typ.accept(_Value(self, depth))

    def need(self, typ: Type) -> None:
        """Define the value function of *typ* (once)."""
        if typ.name in self.done:
            return
        self.done.add(typ.name)
        # The value functions of a conditional type exist where the type does.
        protos, body = self.protos, self.body
        self.protos, self.body = self.em(), self.em()
        self.visit(typ)
        cond = typ.ifcond
        inner_protos, inner_body = self.protos, self.body
        self.protos, self.body = protos, body
        # Straight to the file's sections (not into an enclosing type's guard).
        for outer, inner in ((self.top_protos, inner_protos), (self.top_body, inner_body)):
            with outer.guarded(cond):
                outer.extend(inner)

    def visit_type(self, typ: Type) -> None:
        """Built-in types: no value function (see :class:`_Value`)."""

    def visit_enum(self, typ: EnumType) -> None:
        name = c_name(typ.name)
        self.protos.line(f"static {name} hv_{name}(int d);")
        e = self.em()
        with e.block(f"static {name} hv_{name}(int d)"):
            for m in typ.members:
                with self.where(e, m.ifcond):
                    e.line(f"return {c_enum_const(typ.name, m.name, typ.prefix)};")
            e.line(f"return ({name})0;")
        self.body.extend(e)
        self.body.blank()

    def _variants(self, typ: ObjectType) -> list[Branch]:
        return list(typ.branches.variants) if typ.branches is not None else []

    def visit_object(self, typ: ObjectType) -> None:
        name = c_name(typ.name)
        self.protos.line(f"static {name} *hv_{name}(int d);")
        self.protos.line(f"static void hv_fill_{name}({name} *r, int d, int branch);")
        e = self.em()
        with e.block(f"static void hv_fill_{name}({name} *r, int d, int branch)"):
            e.line("(void)d;")
            e.line("(void)branch;")
            e.line("(void)r;")
            tag = typ.branches.tag_member if typ.branches is not None else None
            for m in typ.members:
                if m is tag:
                    continue
                self._member(e, m, "r->", "d")
            if typ.branches is not None and tag is not None:
                self._union_branches(e, typ, tag)
        e.blank()
        with e.block(f"static {name} *hv_{name}(int d)"):
            e.line(f"{name} *r = g_new0({name}, 1);")
            e.line()
            e.line(f"hv_fill_{name}(r, d, -1);")
            e.line("return r;")
        self.body.extend(e)
        self.body.blank()

    def _member(self, e: Emitter, m: ObjectMember, into: str, depth: str) -> None:
        field = c_name(m.name)
        # A member is filled wherever the C struct has it (single mode: even for inactive targets).
        with self.where(e, m.ifcond, runtime=False):
            opening = f"if ({depth} < {MAX_DEPTH})" if m.optional else ""
            with e.block(opening) if opening else _nothing():
                if need_has(m):
                    e.line(f"{into}has_{field} = true;")
                e.line(f"{into}{field} = {self.value(m.type, depth + ' + 1')};")

    def _union_branches(self, e: Emitter, typ: ObjectType, tag: ObjectMember) -> None:
        assert typ.branches is not None
        tag_type = typ.branches.tag_type
        variants = self._variants(typ)
        tag_field = c_name(tag.name)
        if not variants:
            e.line(f"r->{tag_field} = {self.value(tag_type, 'd')};")
            return
        # branch < 0: of the branches that exist for the active targets, the request's.
        with e.block("if (branch < 0)"):
            self._rotate(e, variants)
            with e.block("if (!n)"):
                # No branch: the first value of the tag enum that exists.
                e.line(f"r->{tag_field} = {self.value(tag_type, 'd')};")
                e.line("return;")
            e.line("branch = avail[harness_request_round % n];")
        with e.block("switch (branch)"):
            for i, v in enumerate(variants):
                with e.guarded(v.ifcond):
                    e.line(f"case {i}:")
                    with e.indent():
                        const = c_enum_const(tag_type.name, v.name, tag_type.prefix)
                        e.line(f"r->{tag_field} = {const};")
                        vt = v.union_type
                        if not vt.is_empty():
                            self.need(vt)
                            e.line(f"hv_fill_{c_name(vt.name)}(&r->u.{c_name(v.name)}, d + 1, -1);")
                        e.line("break;")
            e.line("default:")
            with e.indent():
                e.line("g_assert_not_reached();")

    def _rotate(self, e: Emitter, variants: list[Branch]) -> None:
        """``avail``: the indexes of the *variants* that exist for the active targets; ``n``,
        how many."""
        e.line(f"int avail[{len(variants)}];")
        e.line("int n = 0;")
        e.line()
        for i, v in enumerate(variants):
            with self.where(e, v.ifcond):
                e.line(f"avail[n++] = {i};")

    def visit_array(self, typ: ArrayType) -> None:
        name = c_name(typ.name)
        self.protos.line(f"static {name} *hv_{name}(int d);")
        e = self.em()
        with e.block(f"static {name} *hv_{name}(int d)"):
            e.line(f"{name} *head = NULL, **tail = &head;")
            e.line()
            with e.block(f"if (d >= {MAX_DEPTH} + 1)"):
                e.line("return NULL;")
            typ.element_type.accept(_ListElements(self, e))
            e.line("return head;")
        self.body.extend(e)
        self.body.blank()

    def visit_alternate(self, typ: AlternateType) -> None:
        name = c_name(typ.name)
        self.protos.line(f"static {name} *hv_{name}(int d);")
        self.protos.line(f"static {name} *hv_branch_{name}(int d, int branch);")
        e = self.em()
        with e.block(f"static {name} *hv_{name}(int d)"):
            e.line(f"return hv_branch_{name}(d, -1);")
        e.blank()
        # branch < 0: of the branches that exist for the active targets, the request's.
        with e.block(f"static {name} *hv_branch_{name}(int d, int branch)"):
            e.line(f"{name} *r = g_new0({name}, 1);")
            e.line()
            with e.block("if (branch < 0)"):
                self._rotate(e, list(typ.branches.variants))
                with e.block("if (n)"):
                    e.line("branch = avail[harness_request_round % n];")
            for i, v in enumerate(typ.branches.variants):
                vt = v.type
                qtype = vt.alternate_qtype()
                field = c_name(v.name)
                with self.where(e, v.ifcond), e.block(f"if (branch < 0 || branch == {i})"):
                    e.line(f"r->type = {qtype};")
                    if v.object_type is not None:
                        self.need(v.object_type)
                        e.line(f"hv_fill_{c_name(vt.name)}(&r->u.{field}, d + 1, -1);")
                    else:
                        e.line(f"r->u.{field} = {self.value(vt, 'd + 1')};")
                    e.line("return r;")
            e.line("return r;")
        self.body.extend(e)
        self.body.blank()

    # --- commands and events ----------------------------------------------------------------

    def command(self, cmd: Command) -> None:
        if not cmd.gen or cmd.name in REAL:
            return
        ret = c_type(cmd.ret_type) if cmd.ret_type is not None else "void"
        fn = ("coroutine_fn " if cmd.coroutine else "") + f"qmp_{c_name(cmd.name)}"
        decl = declaration(ret, fn) + f"({params(cmd.arg_type, cmd.boxed, 'Error **errp')})"
        e = self.em()
        with e.guarded(cmd.ifcond):
            with e.block(decl):
                if cmd.name == "human-monitor-command":
                    e.line("if (harness_hmp(command_line)) {")
                    e.line('    return g_strdup("");')
                    e.line("}")
                if cmd.ret_type is not None:
                    e.line(f"return {self.value(cmd.ret_type, '0')};")
            e.blank()
        self.body.extend(e)

    def emit_event(self, e: Emitter, ev: Event) -> None:
        name = c_name(ev.name)
        args: list[str] = []
        decls: list[str] = []
        frees: list[str] = []

        def arg(typ: Type, depth: str) -> str:
            if typ.name == "str":       # only the built-in type has that name
                return '"str"'
            expr = self.value(typ, depth)
            free = typ.accept(_FREE)
            if free is None:
                return expr
            var = f"arg{len(decls)}"
            decls.append(f"{c_type(typ)} {var} = {expr};")
            frees.append(f"{free}({var});")
            return var

        if ev.boxed:
            assert ev.arg_type is not None
            args.append(arg(ev.arg_type, "0"))
        elif has_args(ev.arg_type, False):
            assert ev.arg_type is not None
            for m in ev.arg_type.members:
                if need_has(m):
                    args.append("true")
                args.append(arg(m.type, "1"))
        e.line("{")
        for d in decls:
            e.line("    " + d)
        e.line(f"    qapi_event_send_{name.lower()}({', '.join(args)});")
        for f in frees:
            e.line("    " + f)
        e.line("}")


class _Value(EntityVisitor[str]):
    """A C expression of type ``c_type(typ)`` holding a generated value of a type: a constant
    for a built-in type, else a call of the type's value function."""

    def __init__(self, gen: _Gen, depth: str) -> None:
        self.gen = gen
        self.depth = depth

    def visit_builtin(self, typ: BuiltinType) -> str:
        n = typ.name
        if n == "str":
            return 'g_strdup("str")'
        if n in _INT_VALUES:
            return _INT_VALUES[n]
        if n == "number":
            return "1.5"
        if n == "bool":
            return "true"
        if n == "null":
            return "qnull()"
        if n == "any":
            return 'QOBJECT(qstring_from_str("any"))'
        raise ValueError(f"unknown built-in type {n}")

    def visit_type(self, typ: Type) -> str:
        self.gen.need(typ)
        return f"hv_{c_name(typ.name)}({self.depth})"


class _ListElements(EntityVisitor[None]):
    """The elements of a generated list, by element type: one per branch of a union or an
    alternate and one per enum value that exists for the active targets, else one."""

    def __init__(self, gen: _Gen, e: Emitter) -> None:
        self.gen = gen
        self.e = e

    def visit_type(self, typ: Type) -> None:
        self.e.line(f"QAPI_LIST_APPEND(tail, {self.gen.value(typ, 'd')});")

    def visit_object(self, typ: ObjectType) -> None:
        variants = list(typ.branches.variants) if typ.branches is not None else []
        if not variants:
            self.visit_type(typ)
            return
        gen, e = self.gen, self.e
        gen.need(typ)
        en = c_name(typ.name)
        for i, v in enumerate(variants):
            with gen.where(e, v.ifcond), e.block(""):
                e.line(f"{en} *x = g_new0({en}, 1);")
                e.line(f"hv_fill_{en}(x, d, {i});")
                e.line("QAPI_LIST_APPEND(tail, x);")

    def visit_alternate(self, typ: AlternateType) -> None:
        gen, e = self.gen, self.e
        gen.need(typ)
        en = c_name(typ.name)
        for i, v in enumerate(typ.branches.variants):
            with gen.where(e, v.ifcond):
                e.line(f"QAPI_LIST_APPEND(tail, hv_branch_{en}(d, {i}));")

    def visit_enum(self, typ: EnumType) -> None:
        gen, e = self.gen, self.e
        for m in typ.members:
            with gen.where(e, m.ifcond):
                e.line(f"QAPI_LIST_APPEND(tail, "
                       f"{c_enum_const(typ.name, m.name, typ.prefix)});")


class _Free(EntityVisitor["str | None"]):
    """How an event argument of a type is freed after sending: None for a value that needs no
    freeing (scalars), else the function to call."""

    def visit_type(self, typ: Type) -> str | None:
        return f"qapi_free_{c_name(typ.name)}"

    def visit_enum(self, typ: EnumType) -> str | None:
        return None

    def visit_builtin(self, typ: BuiltinType) -> str | None:
        return "qobject_unref" if typ.name in ("any", "null") else None


_FREE = _Free()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def generate(schema: Schema, mode: Mode, table: TargetTable | None = None,
             classes: SymbolClasses | None = None) -> str:
    """The C text of the test doubles for *schema* in *mode*."""
    g = _Gen(schema, mode, table, classes or SymbolClasses())
    for cmd in schema.commands():
        g.command(cmd)

    hmp = g.em()
    with hmp.block("static bool harness_emit(const char *name)"):
        hmp.line("bool all = !strcmp(name, \"all\");")
        hmp.line("bool found = false;")
        hmp.line()
        for ev in schema.events():
            # Build-time guard only: the sender decides at run time (single mode).
            with g.where(hmp, ev.ifcond, runtime=False), hmp.block(
                    f"if (all || !strcmp(name, {c_string(ev.name)}))"):
                g.emit_event(hmp, ev)
                hmp.line("found = true;")
        hmp.line("return found;")

    out = g.em()
    out.lines("""
        /* Test doubles generated by qapic harness: do not edit. */
        #pragma GCC diagnostic ignored "-Wunused-function"
        #include "qemu/osdep.h"
        #include "qemu/coroutine.h"
        #include "qapi/error.h"
        #include "qobject/qnull.h"
        #include "qobject/qstring.h"
        #include "qapi/qapi-commands.h"
        #include "qapi/qapi-events.h"
        #include "qapi/qapi-visit.h"
    """)
    if mode == "single":
        out.line('#include "qapi/qapi-targets.h"')
    out.line('#include "harness.h"')
    out.blank()
    out.extend(g.protos)
    out.blank()
    out.extend(g.body)
    out.blank()
    out.extend(hmp)
    out.blank()
    out.lines("""
        bool harness_hmp(const char *command_line)
        {
            if (g_str_has_prefix(command_line, "harness-emit ")) {
                harness_emit(command_line + strlen("harness-emit "));
                return true;
            }
            if (!strcmp(command_line, "harness-emit-all")) {
                harness_emit("all");
                return true;
            }
            return false;
        }
    """)
    return out.text()
