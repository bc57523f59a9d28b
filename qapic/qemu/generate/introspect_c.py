"""``PREFIXqapi-introspect.[ch]``: the value of query-qmp-schema as a QLit initialiser.

The value itself is built once, by :func:`qapic.schema_info.schema_info`, with the
condition of every list element; this module only spells that tree in C (:mod:`.qlit`)::

    const QLitObject qmp_schema_qlit = QLIT_QLIST(((QLitObject[]) {
        QLIT_QDICT(((QLitDictEntry[]) {
            { "arg-type", QLIT_QSTR("0"), },
            ...
            {}
        })),
        ...
        {}
    }));

A conditional element is wrapped in the emitter's guard; a masked type name gets a comment with
its real name, for people reading the file.  A single binary's file is written by
:mod:`.introspect_single` instead (the choice is :func:`qapic.qemu.generate.main.backends`').
"""

from __future__ import annotations

from qapic.frontend import Schema
from qapic.naming import c_name
from qapic.schema_info import schema_info

from .common import GenContext
from .output import CFile, HFile, OutputSet
from .qlit import QLitRenderer

BLURB = "QAPI/QMP schema introspection"


def introspect_files(out: OutputSet, ctx: GenContext) -> tuple[CFile, HFile, str]:
    """The ``.c`` and ``.h`` files with their includes and the declaration of the QLit
    variable, and the C prefix of its name."""
    prefix = c_name(ctx.prefix, protect=False)
    variable = f"{prefix}qmp_schema_qlit"
    c_file = out.c_file(ctx.prefix + "qapi-introspect.c", BLURB)
    h_file = out.h_file(ctx.prefix + "qapi-introspect.h", BLURB)

    h_file.preamble.line('#include "qobject/qlit.h"')
    h_file.body.line(f"extern const QLitObject {variable};")

    c_file.preamble.line('#include "qemu/osdep.h"')
    c_file.preamble.line(f'#include "{ctx.prefix}qapi-introspect.h"')
    return c_file, h_file, prefix


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    c_file, _, prefix = introspect_files(out, ctx)
    QLitRenderer().value(c_file.body, schema_info(schema, ctx.unmask),
                         f"const QLitObject {prefix}qmp_schema_qlit = ", ";")
