"""``PREFIXqapi-commands[-MODULE].[ch]``, their ``.trace-events``, and
``PREFIXqapi-init-commands.[ch]``.

For every command with ``'gen': true`` (the default) a module's header declares the handler that
QEMU implements by hand and the marshaller generated here::

    ReturnType *qmp_NAME(ARGS..., Error **errp);
    void qmp_marshal_NAME(QDict *args, QObject **ret, Error **errp);

The marshaller reads the arguments with a QObject input visitor, calls the handler, converts its
result with an output visitor and frees the arguments with the dealloc visitor.  The result's
conversion is a static ``qmp_marshal_output_TYPE`` helper per return type and file up to QEMU
10.0, and inline in the marshaller (visitor ``ov``) since 10.1 (``GenContext.qemu_version``).
Unless tracing is suppressed it traces the request and the reply (``qmp_enter_NAME`` /
``qmp_exit_NAME`` in the module's trace-events).

``PREFIXqmp_init_marshal()`` registers every command with its options and feature bits.
"""

from __future__ import annotations

from qapic.conditions import Condition, disjoin
from qapic.frontend import (
    Command,
    Include,
    Module,
    Schema,
    Type,
    entities_of,
)
from qapic.naming import c_name

from .common import (
    Emitter,
    GenContext,
    c_type,
    declaration,
    has_args,
    need_has,
    params,
    type_c_name,
    visitor,
)
from .features import feature_mask
from .output import OutputSet, user_modules

BLURB = "Schema-defined QAPI/QMP commands"
INIT_BLURB = "QAPI Commands initialization"
INIT_MODULE = "./init"


# --- C declarations -----------------------------------------------------------------------


def _handler_decl(cmd: Command) -> str:
    ret = c_type(cmd.ret_type) if cmd.ret_type is not None else "void"
    name = ("coroutine_fn " if cmd.coroutine else "") + f"qmp_{c_name(cmd.name)}"
    return declaration(ret, name) + f"({params(cmd.arg_type, cmd.boxed, 'Error **errp')})"


def _marshal_decl(cmd: Command) -> str:
    fn = "void coroutine_fn" if cmd.coroutine else "void"
    return f"{fn} qmp_marshal_{c_name(cmd.name)}(QDict *args, QObject **ret, Error **errp)"


def _output_fn(typ: Type) -> str:
    return f"qmp_marshal_output_{type_c_name(typ)}"


# --- the marshaller -----------------------------------------------------------------------


def _emit_marshal_output(e: Emitter, typ: Type) -> None:
    """The static helper that turns a handler's result into a QObject, then frees it."""
    visit = visitor(typ)
    e.line(f"static void {_output_fn(typ)}({declaration(c_type(typ), 'ret_in')}, "
           "QObject **ret_out, Error **errp)")
    with e.block("{"):
        e.lines(f"""
            Visitor *v;

            v = qobject_output_visitor_new_qmp(ret_out);
            if ({visit}(v, "unused", &ret_in, errp)) {{
                visit_complete(v, ret_out);
            }}
            visit_free(v);
            v = qapi_dealloc_visitor_new();
            {visit}(v, "unused", &ret_in, NULL);
            visit_free(v);
        """)


def _emit_inline_output(e: Emitter, typ: Type) -> None:
    """The same conversion as :func:`_emit_marshal_output`, inside the marshaller (10.1+)."""
    visit = visitor(typ)
    e.lines(f"""
        ov = qobject_output_visitor_new_qmp(ret);
        if ({visit}(ov, "unused", &retval, errp)) {{
            visit_complete(ov, ret);
        }}
        visit_free(ov);
        ov = qapi_dealloc_visitor_new();
        {visit}(ov, "unused", &retval, NULL);
        visit_free(ov);
    """)


def _call_args(cmd: Command) -> str:
    if not has_args(cmd.arg_type, cmd.boxed):
        return "&err"
    if cmd.boxed:
        return "&arg, &err"
    assert cmd.arg_type is not None
    out: list[str] = []
    for member in cmd.arg_type.members:
        if need_has(member):
            out.append(f"arg.has_{c_name(member.name)}")
        out.append(f"arg.{c_name(member.name)}")
    return ", ".join([*out, "&err"])


def _emit_marshal(e: Emitter, cmd: Command, tracing: bool, inline_output: bool) -> None:
    args = has_args(cmd.arg_type, cmd.boxed)
    arg_members = f"{visitor(cmd.arg_type)}_members" if cmd.arg_type else ""
    e.line(_marshal_decl(cmd))
    with e.block("{"):
        _emit_marshal_locals(e, cmd, args, inline_output)
        e.line()
        e.lines("""
            v = qobject_input_visitor_new_qmp(QOBJECT(args));
            if (!visit_start_struct(v, NULL, NULL, 0, errp)) {
                goto out;
            }
        """)
        if args:
            with e.block(f"if ({arg_members}(v, &arg, errp))"):
                e.line("ok = visit_check_struct(v, errp);")
        else:
            e.line("ok = visit_check_struct(v, errp);")
        e.lines("""
            visit_end_struct(v, NULL);
            if (!ok) {
                goto out;
            }
        """)
        e.line()
        _emit_marshal_call(e, cmd, tracing, inline_output)
        with e.indent(-1):
            e.line("out:")
        e.lines("""
            visit_free(v);
            v = qapi_dealloc_visitor_new();
            visit_start_struct(v, NULL, NULL, 0, NULL);
        """)
        if args:
            e.line(f"{arg_members}(v, &arg, NULL);")
        e.lines("""
            visit_end_struct(v, NULL);
            visit_free(v);
        """)


def _emit_marshal_locals(e: Emitter, cmd: Command, args: bool, inline_output: bool) -> None:
    e.lines("""
        Error *err = NULL;
        bool ok = false;
        Visitor *v;
    """)
    if cmd.ret_type is not None:
        e.line(declaration(c_type(cmd.ret_type), "retval;"))
        if inline_output:
            e.line("Visitor *ov;")
    if args:
        assert cmd.arg_type is not None
        e.line(f"{type_c_name(cmd.arg_type)} arg = {{0}};")


def _emit_marshal_call(e: Emitter, cmd: Command, tracing: bool, inline_output: bool) -> None:
    """The marshaller's call of the handler, with its tracing and the result's conversion."""
    name = c_name(cmd.name)
    upper = name.upper()
    if tracing:
        e.lines(f"""
            if (trace_event_get_state_backends(TRACE_QMP_ENTER_{upper})) {{
                g_autoptr(GString) req_json = qobject_to_json(QOBJECT(args));

                trace_qmp_enter_{name}(req_json->str);
            }}
        """)
        e.line()
    assign = "retval = " if cmd.ret_type is not None else ""
    e.line(f"{assign}qmp_{name}({_call_args(cmd)});")
    with e.block("if (err)"):
        if tracing:
            e.line(f"trace_qmp_exit_{name}(error_get_pretty(err), false);")
        e.line("error_propagate(errp, err);")
        e.line("goto out;")
    e.line()
    if cmd.ret_type is not None:
        if inline_output:
            _emit_inline_output(e, cmd.ret_type)
        else:
            e.line(f"{_output_fn(cmd.ret_type)}(retval, ret, errp);")
        e.line()
        if tracing:
            e.lines(f"""
                if (trace_event_get_state_backends(TRACE_QMP_EXIT_{upper})) {{
                    g_autoptr(GString) ret_json = qobject_to_json(*ret);

                    trace_qmp_exit_{name}(ret_json->str, true);
                }}
            """)
            e.line()
    elif tracing:
        e.line(f'trace_qmp_exit_{name}("{{}}", true);')
        e.line()


def _emit_weak_stub(e: Emitter, cmd: Command) -> None:
    """For a single binary: the handler of a command that only some targets implement, for
    the binaries that link none of them (see :mod:`.single`)."""
    e.lines(f"""
        /* Unreachable: qmp_init_marshal() registers the command only for its targets */
        __attribute__((weak)) {_handler_decl(cmd)}
        {{
            abort();
        }}
    """)


def _trace_events(cmd: Command) -> list[str]:
    name = c_name(cmd.name)
    return [f'qmp_enter_{name}(const char *json) "%s"',
            f'qmp_exit_{name}(const char *result, bool succeeded) "%s %d"']


# --- registration -------------------------------------------------------------------------


def _options(cmd: Command) -> str:
    flags = [flag for flag, on in (("QCO_NO_SUCCESS_RESP", not cmd.success_response),
                                   ("QCO_ALLOW_OOB", cmd.allow_oob),
                                   ("QCO_ALLOW_PRECONFIG", cmd.allow_preconfig),
                                   ("QCO_COROUTINE", cmd.coroutine)) if on]
    return " | ".join(flags) if flags else "0"


def _emit_register(e: Emitter, cmd: Command) -> None:
    e.line(f'qmp_register_command(cmds, "{cmd.name}",')
    e.line(f"                     qmp_marshal_{c_name(cmd.name)}, {_options(cmd)}, "
           f"{feature_mask(cmd.features)});")


# --- files --------------------------------------------------------------------------------


class _CommandsGen:
    def __init__(self, schema: Schema, out: OutputSet, ctx: GenContext) -> None:
        self.schema = schema
        self.out = out
        self.ctx = ctx
        self.tracing = not ctx.suppress_tracing

    def module(self, module: Module) -> None:
        out = self.out
        c_file, h_file = out.module_files("qapi-commands", module.name, BLURB)
        base = out.module_basename("qapi-commands", module.name)
        commands = [cmd for cmd in entities_of(module.entities, Command) if cmd.gen]

        h = h_file.preamble
        for inc in entities_of(module.entities, Include):
            h.line(f'#include "{out.module_include("qapi-commands", module.name, inc.name)}"')
        h.line(f'#include "{out.module_include("qapi-types", module.name, module.name)}"')

        c = c_file.preamble
        for header in ("qemu/osdep.h", "qapi/compat-policy.h", "qapi/visitor.h",
                       "qobject/qdict.h", "qapi/dealloc-visitor.h", "qapi/error.h"):
            c.line(f'#include "{header}"')
        c.line(f'#include "{out.module_include("qapi-visit", module.name, module.name)}"')
        c.line(f'#include "{out.module_include("qapi-commands", module.name, module.name)}"')
        if self.tracing and commands:
            # Named as QEMU's trace/meson.build names the header of each trace-events file.
            trace_header = c_name(base.rsplit("/", 1)[-1], protect=False)
            c.line('#include "qobject/qjson.h"')
            c.line(f'#include "trace/trace-{trace_header}_trace_events.h"')

        trace = out.trace_file(base + ".trace-events") if self.tracing else None

        # One output helper per return type and file, under the condition of its users.
        users: dict[str, list[Condition]] = {}
        for cmd in commands:
            if cmd.ret_type is not None:
                users.setdefault(cmd.ret_type.name, []).append(cmd.ifcond)
        helpers_done: set[str] = set()

        inline_output = self.ctx.inline_marshal_output
        for cmd in commands:
            ret = cmd.ret_type
            if ret is not None and ret.name not in helpers_done and not inline_output:
                helpers_done.add(ret.name)
                c_file.body.blank()
                with c_file.body.guarded(disjoin(*users[ret.name])):
                    _emit_marshal_output(c_file.body, ret)
            with h_file.body.guarded(cmd.ifcond):
                h_file.body.line(_handler_decl(cmd) + ";")
                h_file.body.line(_marshal_decl(cmd) + ";")
            c_file.body.blank()
            with c_file.body.guarded(cmd.ifcond):
                _emit_marshal(c_file.body, cmd, self.tracing, inline_output)
            if c_file.body.guards.handler_stubs and c_file.body.guards.is_runtime(cmd.ifcond):
                c_file.body.blank()
                with c_file.body.guarded(cmd.ifcond):
                    _emit_weak_stub(c_file.body, cmd)
            if trace is not None:
                for event in _trace_events(cmd):
                    trace.body.line(event)

    def init(self) -> None:
        out, prefix = self.out, self.ctx.prefix
        c_file, h_file = out.module_files("qapi-commands", INIT_MODULE, INIT_BLURB)
        init_fn = f"void {c_name(prefix, protect=False)}qmp_init_marshal(QmpCommandList *cmds)"

        h_file.preamble.line('#include "qapi/qmp-registry.h"')
        h_file.body.line(init_fn + ";")

        c_file.preamble.lines(f"""
            #include "qemu/osdep.h"
            #include "{prefix}qapi-commands.h"
            #include "{prefix}qapi-init-commands.h"
            #include "{prefix}qapi-features.h"
        """)

        e = c_file.body
        e.line(init_fn)
        with e.block("{"):
            e.line("QTAILQ_INIT(cmds);")
            e.line()
            for cmd in entities_of(self.schema.entities, Command):
                if cmd.gen:
                    with e.checked(cmd.ifcond):
                        _emit_register(e, cmd)
        if self.tracing:
            out.trace_file(out.module_basename("qapi-commands", INIT_MODULE) + ".trace-events")


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    gen = _CommandsGen(schema, out, ctx)
    for module in user_modules(schema):
        gen.module(module)
    gen.init()
