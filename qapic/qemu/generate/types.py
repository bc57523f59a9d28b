"""``qapi-types[-MODULE].[ch]``: the C types of the schema.

For every module (and ``qapi-builtin-types`` with ``-b``):

- the header declares each struct and list type (``typedef struct Foo Foo;``) and defines each
  enum with its ``Foo_str()`` macro and ``Foo_lookup`` table, then defines the structs: members
  in schema order, a ``has_`` flag before an optional member that needs one, a union's branches
  in ``union { ... } u``, an alternate's in ``u`` beside its ``QType type``; each non-implicit
  type gets ``qapi_free_Foo()`` and a ``g_autoptr`` cleanup;
- the ``.c`` file defines the enum lookup tables and the ``qapi_free_Foo()`` functions (which
  run the dealloc visitor).

A union or alternate embeds its object branches by value, so their structs are defined first
(once, in the first header that needs them, as QEMU does).
"""

from __future__ import annotations

from collections.abc import Callable

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
)
from qapic.naming import c_name

from .common import (
    GenContext,
    c_enum_const,
    c_string,
    c_type,
    c_unboxed_type,
    declaration,
    need_has,
)
from .features import feature_mask
from .output import ModuleFiles, OutputSet


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    defined: set[str] = set()    # structs already defined (in whichever header)
    for module in _TypesModule.modules(schema, ctx):
        _TypesModule(module, out, ctx, defined).generate()


def enum_max(typ: EnumType) -> str:
    return c_enum_const(typ.name, "_MAX", typ.prefix)


def enum_const(typ: EnumType, value: str) -> str:
    return c_enum_const(typ.name, value, typ.prefix)


class _TypesModule(ModuleFiles):
    """The types header and source of one module."""

    WHAT = "qapi-types"
    USER_BLURB = "Schema-defined QAPI types"
    BUILTIN_BLURB = "Built-in QAPI types"

    def __init__(self, module: Module, out: OutputSet, ctx: GenContext,
                 defined: set[str]) -> None:
        super().__init__(module, out, ctx)
        self.defined = defined
        self.decls = self.h_file.preamble     # includes, typedefs, enums
        self.structs = self.h_file.body       # struct definitions
        self.defs = self.c_file.body
        c = self.c_file.preamble
        c.line('#include "qemu/osdep.h"')
        c.line('#include "qapi/dealloc-visitor.h"')
        self.decls.line('#include "qapi/util.h"' if self.builtin
                        else '#include "qapi/qapi-builtin-types.h"')
        c.line(f'#include "{self.own_header("qapi-types")}"')
        c.line(f'#include "{self.own_header("qapi-visit")}"')
        if not self.builtin:
            c.line(f'#include "{self.ctx.prefix}qapi-features.h"')

    def visit_include(self, include: Include) -> None:
        self.decls.line(self.include_of(include))

    def visit_enum(self, typ: EnumType) -> None:
        with self.decls.guarded(typ.ifcond), self.defs.guarded(typ.ifcond):
            self._enum(typ)

    def visit_array(self, typ: ArrayType) -> None:
        with self.decls.guarded(typ.ifcond), self.structs.guarded(typ.ifcond), \
                self.defs.guarded(typ.ifcond):
            self._array(typ)

    def visit_object(self, typ: ObjectType) -> None:
        if typ.name == EMPTY_TYPE:
            return
        self._typedef(typ)
        self._define_object(typ)
        if not typ.is_implicit():
            self._free_guarded(typ)

    def visit_alternate(self, typ: AlternateType) -> None:
        self._typedef(typ)
        self._define_alternate(typ)
        self._free_guarded(typ)

    # --- enums ------------------------------------------------------------------------------

    def _enum(self, typ: EnumType) -> None:
        name = c_name(typ.name)
        h = self.decls
        h.blank()
        with h.block(f"typedef enum {name}", f"}} {name};"):
            for value in typ.members:
                with h.guarded(value.ifcond):
                    h.line(f"{enum_const(typ, value.name)},")
            h.line(f"{enum_max(typ)},")
        h.blank()
        h.lines(f"""
            #define {name}_str(val) \\
                qapi_enum_lookup(&{name}_lookup, (val))

            extern const QEnumLookup {name}_lookup;
        """)

        c = self.defs
        c.blank()
        with c.block(f"const QEnumLookup {name}_lookup =", "};"):
            with c.block(".array = (const char *const[])", "},"):
                for value in typ.members:
                    with c.guarded(value.ifcond):
                        c.line(f"[{enum_const(typ, value.name)}] = {c_string(value.name)},")
            if any(value.features for value in typ.members):
                with c.block(f".features = (const uint64_t[{enum_max(typ)}])", "},"):
                    for value in typ.members:
                        if value.features:
                            with c.guarded(value.ifcond):
                                c.line(f"[{enum_const(typ, value.name)}] = "
                                       f"{feature_mask(value.features)},")
            c.line(f".size = {enum_max(typ)}")

    # --- lists ------------------------------------------------------------------------------

    def _array(self, typ: ArrayType) -> None:
        name = c_name(typ.name)
        self.decls.blank()
        self.decls.line(f"typedef struct {name} {name};")
        s = self.structs
        s.blank()
        with s.block(f"struct {name}", "};"):
            s.line(f"{name} *next;")
            s.line(declaration(c_type(typ.element_type), "value") + ";")
        self._free(name)

    # --- structs, unions, alternates --------------------------------------------------------

    def _typedef(self, typ: ObjectType | AlternateType) -> None:
        with self.decls.guarded(typ.ifcond):
            self.decls.blank()
            self.decls.line(f"typedef struct {c_name(typ.name)} {c_name(typ.name)};")

    def _free_guarded(self, typ: ObjectType | AlternateType) -> None:
        with self.structs.guarded(typ.ifcond), self.defs.guarded(typ.ifcond):
            self._free(c_name(typ.name))

    def _first_definition(self, typ: ObjectType | AlternateType) -> bool:
        """Whether no header defined *typ*'s struct yet; first defines the structs its
        branches embed by value."""
        if typ.name in self.defined:
            return False
        self.defined.add(typ.name)
        for branch in typ.branches.variants if typ.branches is not None else []:
            embedded = branch.object_type
            if embedded is not None and embedded.name != EMPTY_TYPE:
                self._define_object(embedded)
        return True

    def _define_object(self, typ: ObjectType) -> None:
        """Define *typ*'s struct here unless some header already did."""
        if not self._first_definition(typ):
            return
        accessor = ""
        if typ.base is not None and not typ.base.is_implicit():
            base, name = c_name(typ.base.name), c_name(typ.name)
            accessor = f"""
                static inline {base} *qapi_{name}_base(const {name} *obj)
                {{
                    return ({base} *)obj;
                }}
            """
        self._struct(typ, lambda: self._object_members(typ), accessor)

    def _define_alternate(self, typ: AlternateType) -> None:
        if not self._first_definition(typ):
            return

        def members() -> None:
            self.structs.line("QType type;")
            self._union(typ.branches.variants, "type")

        self._struct(typ, members)

    def _struct(self, typ: ObjectType | AlternateType, members: Callable[[], None],
                after: str = "") -> None:
        """``struct NAME { members };`` under *typ*'s condition, then the lines *after*."""
        s = self.structs
        with s.guarded(typ.ifcond):
            s.blank()
            with s.block(f"struct {c_name(typ.name)}", "};"):
                members()
            if after:
                s.blank()
                s.lines(after)

    def _object_members(self, typ: ObjectType) -> None:
        s = self.structs
        base = typ.base
        inherited = base.members if base is not None else []
        if base is not None and not base.is_implicit():
            s.line(f"/* Members inherited from {c_name(base.name)}: */")
            self._members(inherited)
            s.line("/* Own members: */")
        else:
            self._members(inherited)
        self._members(typ.local_members)
        if typ.branches is not None:
            self._union(typ.branches.variants, typ.branches.tag_member.name)
        elif not typ.members:
            # A struct needs a member: C forbids empty ones (and C++ gives them size 1).
            s.line("char qapi_dummy_for_empty_struct;")

    def _members(self, members: list[ObjectMember]) -> None:
        s = self.structs
        for m in members:
            with s.guarded(m.ifcond):
                if need_has(m):
                    s.line(f"bool has_{c_name(m.name)};")
                s.line(declaration(c_type(m.type), c_name(m.name)) + ";")

    def _union(self, branches: list[Branch], tag: str) -> None:
        s = self.structs
        s.line(f"union {{ /* union tag is @{c_name(tag)} */")
        with s.indent():
            for branch in branches:
                if branch.type.name == EMPTY_TYPE:
                    continue
                with s.guarded(branch.ifcond):
                    s.line(declaration(c_unboxed_type(branch.type), c_name(branch.name)) + ";")
        s.line("} u;")

    def _free(self, name: str) -> None:
        s = self.structs
        s.blank()
        s.line(f"void qapi_free_{name}({name} *obj);")
        s.line(f"G_DEFINE_AUTOPTR_CLEANUP_FUNC({name}, qapi_free_{name})")
        c = self.defs
        c.blank()
        c.lines(f"""
            void qapi_free_{name}({name} *obj)
            {{
                Visitor *v;

                if (!obj) {{
                    return;
                }}

                v = qapi_dealloc_visitor_new();
                visit_type_{name}(v, NULL, &obj, NULL);
                visit_free(v);
            }}
        """)


