"""query-qmp-schema for a single binary: one QLit tree with everything, filtered at run time.

``qmp_schema_qlit`` holds every entry whose build-time condition holds (so code that converts it
whole, ``qobject_from_qlit()``, still works, showing every target).  A list with an element
that exists only for some targets is written as a named array, and a side table gives, per
element of such a list, the targets where it exists -- as a one-byte index into a table of the
distinct masks, so the data added is one byte per element of those lists and a few masks::

    static QLitObject qmp_schema_list_0[] = { ...elements..., {} };
    static const uint8_t qmp_schema_list_0_masks[] = { 0, 0, 1, ... };
    ...
    static const QapiTargetMask qmp_schema_masks[] = { QAPI_TARGETS_ALL, QAPI_TARGET_S390X, ... };
    static const QapiIntrospectFilter qmp_schema_filters[] = {
        { qmp_schema_list_0, qmp_schema_list_0_masks }, ..., {}
    };

Both arrays are written element by element under the same build-time guards, so their indexes
agree in every build.  ``qapi_introspect_qobject()`` returns ``qobject_from_qlit()`` of a *view*
of the tree without the elements invisible for the active targets: per call, the work of
upstream's ``qmp_query_qmp_schema()`` on a tree of the per-target size.  The view is made once
per active-target set, on first use, and kept (``qapi_targets_introspect_qlit()``,
qapi-targets.c): it copies only the lists that lose elements and the arrays above them, and
shares the rest of the static tree.
"""

from __future__ import annotations

from qapic.frontend import Schema
from qapic.schema_info import Guarded, schema_info

from .common import INDENT, Emitter, GenContext
from .introspect_c import introspect_files
from .output import OutputSet
from .qlit import QLitRenderer
from .single import ALL_TARGETS, GuardPolicy

MAX_MASKS = 256             # a mask index is a uint8_t


class _Renderer(QLitRenderer):
    def __init__(self, policy: GuardPolicy, prefix: str) -> None:
        super().__init__()
        self.policy = policy
        self.prefix = prefix
        self.defs = Emitter(policy)         # the named lists and their masks, innermost first
        self.masks: list[str] = [ALL_TARGETS]
        self.filters: list[str] = []

    def list_value(self, e: Emitter, value: list[Guarded], before: str, after: str,
                   indent: str) -> None:
        if any(self.policy.is_runtime(element.ifcond) for element in value):
            e.appender()(f"{indent}{before}QLIT_QLIST({self.named_list(value)}){after}")
        else:
            super().list_value(e, value, before, after, indent)

    def named_list(self, elements: list[Guarded]) -> str:
        name = f"{self.prefix}qmp_schema_list_{len(self.filters)}"
        self.filters.append(name)
        body = Emitter(self.policy)
        for element in elements:
            self.element(body, element, INDENT)
        body.line(INDENT + "{}")
        masks = Emitter(self.policy)
        with masks.indent():
            for element in elements:
                for mask in masks.target_masks(element.ifcond):
                    masks.line(f"{self.mask_index(mask)},")
        d = self.defs
        d.blank()
        d.line(f"static QLitObject {name}[] = {{")
        d.extend(body)
        d.line("};")
        d.blank()
        d.line(f"static const uint8_t {name}_masks[] = {{")
        d.extend(masks)
        d.line("};")
        return name

    def mask_index(self, mask: str) -> int:
        if mask not in self.masks:
            if len(self.masks) == MAX_MASKS:
                raise ValueError(f"more than {MAX_MASKS} distinct target sets in introspection")
            self.masks.append(mask)
        return self.masks.index(mask)


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    """The single-binary ``qapi-introspect.[ch]``: see the module's docstring."""
    c_file, h_file, prefix = introspect_files(out, ctx)
    policy = ctx.guards
    tree = schema_info(schema, ctx.unmask)
    variable = f"{prefix}qmp_schema_qlit"
    if prefix:      # unprefixed, it is declared in qapi-targets.h (its API)
        h_file.body.line(f"QObject *{prefix}qapi_introspect_qobject(void);")

    r = _Renderer(policy, prefix)
    top = Emitter(policy)
    r.value(top, tree, f"const QLitObject {variable} = ", ";")

    c = c_file.body
    c.extend(r.defs)
    c.blank()
    c.extend(top)
    c.blank()
    with c.block(f"static const QapiTargetMask {prefix}qmp_schema_masks[] =", "};"):
        for mask in r.masks:
            c.line(f"{mask},")
    c.blank()
    with c.block(f"static const QapiIntrospectFilter {prefix}qmp_schema_filters[] =", "};"):
        for name in r.filters:
            c.line(f"{{ {name}, {name}_masks }},")
        c.line("{}")
    c.blank()
    c.lines(f"""
        QObject *{prefix}qapi_introspect_qobject(void)
        {{
            static QapiIntrospectCache cache;

            return qobject_from_qlit(qapi_targets_introspect_qlit(&cache, &{variable},
                                                                  {prefix}qmp_schema_filters,
                                                                  {prefix}qmp_schema_masks));
        }}
    """)
