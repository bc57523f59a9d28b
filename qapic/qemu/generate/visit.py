"""``qapi-visit[-MODULE].[ch]``: the visitor functions of the schema's types.

A visitor function walks one value with a QAPI ``Visitor`` (input, output, clone, dealloc, ...;
``include/qapi/visitor.h``):

- ``visit_type_Foo()`` for an enum goes through ``visit_type_enum()`` and the lookup table;
- ``visit_type_FooList()`` walks a list with ``visit_start_list()`` / ``visit_next_list()``;
- ``visit_type_Foo_members()`` visits an object's members: the base's first, then its own (an
  optional one only when ``visit_optional()`` says it is there; one with features only when the
  ``deprecated``/``unstable`` policy lets it through), then the union branch the tag selects;
- ``visit_type_Foo()`` for an object wraps the members in ``visit_start_struct()`` /
  ``visit_end_struct()``; for an alternate, ``visit_start_alternate()`` tells the branch by the
  input's QType.

On an input visitor, a failed visit frees what it built (``qapi_free_Foo()``) and sets ``*obj``
to NULL.  Implicit types (``q_obj_...``) get only the members function.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from qapic.frontend import (
    EMPTY_TYPE,
    AlternateType,
    ArrayType,
    Branch,
    EnumType,
    Include,
    Module,
    ObjectMember,
    ObjectType,
    Schema,
    Type,
)
from qapic.naming import c_name

from .common import GenContext, c_enum_const, c_string, need_has, visitor
from .features import feature_mask
from .output import ModuleFiles, OutputSet
from .types import enum_max

DEALLOC = "visit_is_dealloc(v)"
"""Where a single binary checks that a member or branch is available on the active targets,
the dealloc visitor passes anyway: whatever a command handler filled in must be freed (the C
type has the member on every target)."""


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    for module in _VisitModule.modules(schema, ctx):
        _VisitModule(module, out, ctx).generate()


def _prototype(name: str, ctype: str) -> str:
    """The signature of ``visit_type_NAME()`` for a value held in *ctype*."""
    return (f"bool visit_type_{name}(Visitor *v, const char *name,\n"
            f"                 {ctype}obj, Error **errp)")


def _members_prototype(name: str) -> str:
    return f"bool visit_type_{name}_members(Visitor *v, {name} *obj, Error **errp)"


class _VisitModule(ModuleFiles):
    """The visitor header and source of one module."""

    WHAT = "qapi-visit"
    USER_BLURB = "Schema-defined QAPI visitors"
    BUILTIN_BLURB = "Built-in QAPI visitors"

    def __init__(self, module: Module, out: OutputSet, ctx: GenContext) -> None:
        super().__init__(module, out, ctx)
        self.decls = self.h_file.body
        self.defs = self.c_file.body
        h = self.h_file.preamble
        c = self.c_file.preamble
        c.line('#include "qemu/osdep.h"')
        c.line('#include "qapi/error.h"')
        h.line('#include "qapi/visitor.h"' if self.builtin
               else '#include "qapi/qapi-builtin-visit.h"')
        h.line(f'#include "{self.own_header("qapi-types")}"')
        c.line(f'#include "{self.own_header("qapi-visit")}"')
        if not self.builtin:
            c.line(f'#include "{self.ctx.prefix}qapi-features.h"')

    def visit_include(self, include: Include) -> None:
        self.h_file.preamble.line(self.include_of(include))

    def visit_enum(self, typ: EnumType) -> None:
        with self._definition(typ):
            self._enum(typ)

    def visit_array(self, typ: ArrayType) -> None:
        with self._definition(typ):
            self._list(typ)

    def visit_object(self, typ: ObjectType) -> None:
        if typ.name == EMPTY_TYPE:
            return
        with self._definition(typ):
            self._members(typ)
            if not typ.is_implicit():
                self.defs.blank()
                self._object(typ)

    def visit_alternate(self, typ: AlternateType) -> None:
        with self._definition(typ):
            self._alternate(typ)

    @contextmanager
    def _definition(self, typ: Type) -> Iterator[None]:
        """The declarations and definitions of *typ*, under its condition."""
        with self.decls.guarded(typ.ifcond), self.defs.guarded(typ.ifcond):
            self.decls.blank()
            self.defs.blank()
            yield

    def _declare(self, prototype: str) -> None:
        self.decls.lines(prototype + ";")

    def _define(self, prototype: str, body: str) -> None:
        self.defs.lines(prototype)
        self.defs.lines(body)

    # --- enums and lists --------------------------------------------------------------------

    def _enum(self, typ: EnumType) -> None:
        name = c_name(typ.name)
        proto = _prototype(name, f"{name} *")
        self._declare(proto)
        if any(self.defs.guards.is_runtime(value.ifcond) for value in typ.members):
            self._enum_checked(typ, proto)
            return
        self._define(proto, f"""
            {{
                int value = *obj;
                bool ok = visit_type_enum(v, name, &value, &{name}_lookup, errp);
                *obj = value;
                return ok;
            }}
        """)

    def _enum_checked(self, typ: EnumType, proto: str) -> None:
        """An enum some of whose values exist only for some targets: an input visitor accepts
        only those of the active targets (``qapi_targets_visit_enum()``)."""
        name = c_name(typ.name)
        c = self.defs
        with c.block(f"static const QapiTargetMask {name}_targets[{enum_max(typ)}] =", "};"):
            for value in typ.members:
                for mask in c.target_masks(value.ifcond):
                    c.line(f"[{c_enum_const(typ.name, value.name, typ.prefix)}] = {mask},")
        c.blank()
        self._define(proto, f"""
            {{
                int value = *obj;
                bool ok = qapi_targets_visit_enum(v, name, &value, &{name}_lookup,
                                                  {name}_targets, errp);
                *obj = value;
                return ok;
            }}
        """)

    def _list(self, typ: ArrayType) -> None:
        name = c_name(typ.name)
        proto = _prototype(name, f"{name} **")
        self._declare(proto)
        self._define(proto, f"""
            {{
                bool ok = false;
                {name} *tail;
                size_t size = sizeof(**obj);

                if (!visit_start_list(v, name, (GenericList **)obj, size, errp)) {{
                    return false;
                }}

                for (tail = *obj; tail;
                     tail = ({name} *)visit_next_list(v, (GenericList *)tail, size)) {{
                    if (!{visitor(typ.element_type)}(v, NULL, &tail->value, errp)) {{
                        goto out_obj;
                    }}
                }}

                ok = visit_check_list(v, errp);
            out_obj:
                visit_end_list(v, (void **)obj);
                if (!ok && visit_is_input(v)) {{
                    qapi_free_{name}(*obj);
                    *obj = NULL;
                }}
                return ok;
            }}
        """)

    # --- objects ----------------------------------------------------------------------------

    def _members(self, typ: ObjectType) -> None:
        name = c_name(typ.name)
        proto = _members_prototype(name)
        self._declare(proto)
        c = self.defs
        c.line(proto)
        with c.block("{"):
            # An optional member held in a pointer has no has_ flag: NULL means absent.
            flags = [m for m in typ.local_members if m.optional and not need_has(m)]
            for m in flags:
                with c.guarded(m.ifcond):
                    c.line(f"bool has_{c_name(m.name)} = !!obj->{c_name(m.name)};")
            if flags:
                c.line()
            if typ.base is not None:
                base = c_name(typ.base.name)
                with c.block(f"if (!visit_type_{base}_members(v, ({base} *)obj, errp))"):
                    c.line("return false;")
            for m in typ.local_members:
                with c.guarded(m.ifcond), c.visible_only(m.ifcond, also_when=DEALLOC):
                    self._member(m)
            if typ.branches is not None:
                self._union_branch(typ)
            c.line("return true;")

    def _member(self, m: ObjectMember) -> None:
        c = self.defs
        name = c_name(m.name)
        key = c_string(m.name)
        if m.optional:
            flag = f"&obj->has_{name}" if need_has(m) else f"&has_{name}"
            with c.block(f"if (visit_optional(v, {key}, {flag}))"):
                self._member_with_policy(m, key)
        else:
            self._member_with_policy(m, key)

    def _member_with_policy(self, m: ObjectMember, key: str) -> None:
        c = self.defs
        features = feature_mask(m.features)
        if features == "0":
            self._member_value(m, key)
            return
        with c.block(f"if (visit_policy_reject(v, {key}, {features}, errp))"):
            c.line("return false;")
        with c.block(f"if (!visit_policy_skip(v, {key}, {features}))"):
            self._member_value(m, key)

    def _member_value(self, m: ObjectMember, key: str) -> None:
        c = self.defs
        with c.block(f"if (!{visitor(m.type)}(v, {key}, &obj->{c_name(m.name)}, errp))"):
            c.line("return false;")

    def _union_branch(self, typ: ObjectType) -> None:
        assert typ.branches is not None
        c = self.defs
        tag = typ.branches.tag_member
        tag_type = typ.branches.tag_type
        c.line(f"switch (obj->{c_name(tag.name)}) {{")
        for branch in typ.branches.variants:
            with c.guarded(branch.ifcond):
                const = c_enum_const(tag_type.name, branch.name, tag_type.prefix)
                c.line(f"case {const}:")
                # Unreachable where the branch is unavailable (the tag's enum rejects its
                # value), but for freeing what a command handler built.
                with c.indent(), c.visible_only(branch.ifcond, otherwise="abort();",
                                                also_when=DEALLOC):
                    if branch.type.name == EMPTY_TYPE:
                        c.line("break;")
                    else:
                        c.line(f"return {visitor(branch.type)}_members"
                               f"(v, &obj->u.{c_name(branch.name)}, errp);")
        c.line("default:")
        with c.indent():
            c.line("abort();")
        c.line("}")

    def _object(self, typ: ObjectType) -> None:
        name = c_name(typ.name)
        proto = _prototype(name, f"{name} **")
        self._declare(proto)
        self._define(proto, f"""
            {{
                bool ok = false;

                if (!visit_start_struct(v, name, (void **)obj, sizeof({name}), errp)) {{
                    return false;
                }}
                if (!*obj) {{
                    /* incomplete */
                    assert(visit_is_dealloc(v));
                    ok = true;
                    goto out_obj;
                }}
                if (!visit_type_{name}_members(v, *obj, errp)) {{
                    goto out_obj;
                }}
                ok = visit_check_struct(v, errp);
            out_obj:
                visit_end_struct(v, (void **)obj);
                if (!ok && visit_is_input(v)) {{
                    qapi_free_{name}(*obj);
                    *obj = NULL;
                }}
                return ok;
            }}
        """)

    # --- alternates -------------------------------------------------------------------------

    def _alternate(self, typ: AlternateType) -> None:
        name = c_name(typ.name)
        proto = _prototype(name, f"{name} **")
        self._declare(proto)
        c = self.defs
        c.lines(proto)
        c.lines("""
            {
                bool ok = false;

                if (!visit_start_alternate(v, name, (GenericAlternate **)obj,
                                           sizeof(**obj), errp)) {
                    return false;
                }
                if (!*obj) {
                    /* incomplete */
                    assert(visit_is_dealloc(v));
                    ok = true;
                    goto out_obj;
                }
        """)
        with c.indent():
            c.line("switch ((*obj)->type) {")
            for branch in typ.branches.variants:
                with c.guarded(branch.ifcond):
                    self._alternate_branch(typ, branch)
            c.lines(f"""
                case QTYPE_NONE:
                    abort();
                default:
                    assert(visit_is_input(v));
                    error_setg(errp,
                               "Invalid parameter type for '%s', expected: {typ.name}",
                               name ? name : "null");
                    /* Avoid passing invalid *obj to qapi_free_{name}() */
                    g_free(*obj);
                    *obj = NULL;
                }}
            """)
        c.lines(f"""
            out_obj:
                visit_end_alternate(v, (void **)obj);
                if (!ok && visit_is_input(v)) {{
                    qapi_free_{name}(*obj);
                    *obj = NULL;
                }}
                return ok;
            }}
        """)

    def _alternate_branch(self, typ: AlternateType, branch: Branch) -> None:
        c = self.defs
        qtype = branch.type.alternate_qtype()
        member = f"&(*obj)->u.{c_name(branch.name)}"
        c.line(f"case {qtype}:")
        # Where the branch is unavailable, its QType is as invalid as one with no branch.
        unavailable = f"""
            error_setg(errp, "Invalid parameter type for '%s', expected: {typ.name}",
                       name ? name : "null");
            g_free(*obj);
            *obj = NULL;
            break;
        """
        with c.indent(), c.visible_only(branch.ifcond, otherwise=unavailable,
                                        also_when=DEALLOC):
            if branch.object_type is not None:
                c.lines(f"""
                    if (!visit_start_struct(v, name, NULL, 0, errp)) {{
                        break;
                    }}
                    if ({visitor(branch.type)}_members(v, {member}, errp)) {{
                        ok = visit_check_struct(v, errp);
                    }}
                    visit_end_struct(v, NULL);
                """)
            else:
                c.line(f"ok = {visitor(branch.type)}(v, name, {member}, errp);")
            c.line("break;")
