"""``PREFIXqapi-events[-MODULE].[ch]`` and ``PREFIXqapi-emit-events.[ch]``.

Each event gets a sender that QEMU's code calls::

    void qapi_event_send_NAME(ARGS...);

It builds the event's QDict (``qmp_event_build_dict``), puts the arguments under ``"data"`` with a
QObject output visitor, and hands it to ``PREFIXqapi_event_emit()``, which QEMU (or a test)
implements.  The emit-events files hold the ``PREFIXQAPIEvent`` enum of every event, with its
name table; the enum lists every event whatever its condition, as QEMU's does, so that its
values do not depend on the build.
"""

from __future__ import annotations

from qapic.frontend import Event, Include, Module, Schema, entities_of
from qapic.naming import c_name

from .common import (
    Emitter,
    GenContext,
    c_enum_const,
    c_param_type,
    c_string,
    c_type,
    has_args,
    need_has,
    params,
    type_c_name,
    visitor,
)
from .output import OutputSet, user_modules

BLURB = "Schema-defined QAPI/QMP events"
EMIT_BLURB = "QAPI Events"
EMIT_MODULE = "./emit"


class _Names:
    """The C names that depend on the prefix."""

    def __init__(self, prefix: str) -> None:
        c_prefix = c_name(prefix, protect=False)
        self.enum = f"{c_prefix}QAPIEvent"
        self.emit = f"{c_prefix}qapi_event_emit"

    def const(self, event: Event) -> str:
        return c_enum_const(self.enum, event.name)


def _sender_decl(event: Event) -> str:
    args = params(event.arg_type, event.boxed, None)
    return f"void qapi_event_send_{c_name(event.name.lower())}({args})"


def _param_initialiser(event: Event) -> str:
    """The values of a non-boxed event's parameters, in the order of its argument struct."""
    assert event.arg_type is not None
    values: list[str] = []
    for member in event.arg_type.members:
        name = c_name(member.name)
        if need_has(member):
            values.append(f"has_{name}")
        cast = "" if c_param_type(member.type) == c_type(member.type) \
            else f"({c_type(member.type)})"      # the struct holds no const
        values.append(cast + name)
    return ", ".join(values)


def _emit_sender(e: Emitter, event: Event, names: _Names) -> None:
    arg_type = event.arg_type
    args = has_args(arg_type, event.boxed)
    wire_name = c_string(event.name)
    e.line(_sender_decl(event))
    with e.block("{"):
        e.line("QDict *qmp;")
        if args:
            assert arg_type is not None
            e.line("QObject *obj;")
            e.line("Visitor *v;")
            if not event.boxed:
                with e.block(f"{type_c_name(arg_type)} param = {{", "};"):
                    e.line(_param_initialiser(event))
                if not arg_type.is_implicit():
                    e.line(f"{type_c_name(arg_type)} *arg = &param;")
        e.line()
        e.unless_visible(event.ifcond, "return;")
        e.blank()

        for feat in event.features:
            if feat.is_special():
                with e.block(f"if (compat_policy.{feat.name}_output == COMPAT_POLICY_OUTPUT_HIDE)"):
                    e.line("return;")
                e.line()

        e.line(f"qmp = qmp_event_build_dict({wire_name});")
        e.line()
        if args:
            assert arg_type is not None
            e.line("v = qobject_output_visitor_new_qmp(&obj);")
            if arg_type.is_implicit() and not event.boxed:
                e.lines(f"""
                    visit_start_struct(v, {wire_name}, NULL, 0, &error_abort);
                    {visitor(arg_type)}_members(v, &param, &error_abort);
                    visit_check_struct(v, &error_abort);
                    visit_end_struct(v, NULL);
                """)
            else:
                e.line(f"{visitor(arg_type)}(v, {wire_name}, &arg, &error_abort);")
            e.lines("""
                visit_complete(v, &obj);
                if (qdict_size(qobject_to(QDict, obj))) {
                    qdict_put_obj(qmp, "data", obj);
                } else {
                    qobject_unref(obj);
                }
            """)
        e.line(f"{names.emit}({names.const(event)}, qmp);")
        e.line()
        if args:
            e.line("visit_free(v);")
        e.line("qobject_unref(qmp);")


def _module(schema: Schema, out: OutputSet, module: Module, names: _Names) -> None:
    c_file, h_file = out.module_files("qapi-events", module.name, BLURB)

    h = h_file.preamble
    for inc in entities_of(module.entities, Include):
        h.line(f'#include "{out.module_include("qapi-events", module.name, inc.name)}"')
    h.line('#include "qapi/util.h"')
    h.line(f'#include "{out.module_include("qapi-types", module.name, module.name)}"')

    c_file.preamble.lines(f"""
        #include "qemu/osdep.h"
        #include "{out.module_include("qapi-events", module.name, EMIT_MODULE)}"
        #include "{out.module_include("qapi-events", module.name, module.name)}"
        #include "{out.module_include("qapi-visit", module.name, module.name)}"
        #include "qapi/compat-policy.h"
        #include "qapi/error.h"
        #include "qobject/qdict.h"
        #include "qapi/qmp-event.h"
    """)

    for event in entities_of(module.entities, Event):
        h_file.body.blank()
        with h_file.body.guarded(event.ifcond):
            h_file.body.line(_sender_decl(event) + ";")
        c_file.body.blank()
        with c_file.body.guarded(event.ifcond):
            _emit_sender(c_file.body, event, names)


def _emit_events(schema: Schema, out: OutputSet, names: _Names) -> None:
    c_file, h_file = out.module_files("qapi-events", EMIT_MODULE, EMIT_BLURB)
    # In the order QEMU visits them (module by module), which numbers the enum.
    events = entities_of(schema.entities, Event)
    lookup = f"{names.enum}_lookup"

    h_file.preamble.line('#include "qapi/util.h"')
    h = h_file.body
    with h.block(f"typedef enum {names.enum}", f"}} {names.enum};"):
        for event in events:
            h.line(f"{names.const(event)},")
        h.line(f"{c_enum_const(names.enum, '_MAX')},")
    h.line()
    h.lines(f"""
        #define {names.enum}_str(val) \\
            qapi_enum_lookup(&{lookup}, (val))

        extern const QEnumLookup {lookup};

        void {names.emit}({names.enum} event, QDict *qdict);
    """)

    c_file.preamble.line('#include "qemu/osdep.h"')
    own_header = out.module_include("qapi-events", EMIT_MODULE, EMIT_MODULE)
    c_file.preamble.line(f'#include "{own_header}"')
    c = c_file.body
    with c.block(f"const QEnumLookup {lookup} =", "};"):
        with c.block(".array = (const char *const[])", "},"):
            for event in events:
                c.line(f"[{names.const(event)}] = {c_string(event.name)},")
        c.line(f".size = {c_enum_const(names.enum, '_MAX')}")


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    names = _Names(ctx.prefix)
    for module in user_modules(schema):
        _module(schema, out, module, names)
    _emit_events(schema, out, names)
