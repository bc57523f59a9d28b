/*
 * qapic harness: a QMP monitor on stdin/stdout over QAPI-generated marshallers and test doubles.
 *
 * It behaves like "qemu-system-X -qmp stdio" (monitor/qmp.c, monitor/qmp-cmds-control.c):
 * greeting, capabilities negotiation, QEMU's JSON streamer and qmp_dispatch() from
 * libqemuutil, one reply line per request, events as lines.  "-compat POLICY" sets QMP's
 * compatibility policy as QEMU's -compat does (the generated code and libqemuutil's
 * dispatcher and visitors then honour it; query-qmp-schema hides what is deprecated under
 * deprecated-output=hide, as QEMU's does).  QEMU's other command-line options (-machine,
 * -display, -S, -nodefaults, -qmp) are accepted and ignored.
 *
 * Built with HARNESS_SINGLE: the single-binary output; the active targets come from
 * "-target X[,Y...]" or from argv[0] ("qemu-system-X"), and are set before the commands
 * are registered.
 */
#include "qemu/osdep.h"
#include "qemu/coroutine.h"
#include "qemu-version.h"
#include "monitor/monitor.h"
#include "qapi/compat-policy.h"
#include "qapi/error.h"
#include "qapi/clone-visitor.h"
#include "qapi/qmp-registry.h"
#include "qapi/qmp-event.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-introspect.h"
#include "qapi/qapi-events-run-state.h"
#include "qapi/qapi-emit-events.h"
#include "qapi/qapi-init-commands.h"
#include "qapi/qapi-introspect.h"
#include "qapi/qapi-visit-compat.h"
#include "qapi/qapi-visit-introspect.h"
#include "qobject/json-parser.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qlit.h"
#include "qobject/qstring.h"
#ifdef HARNESS_SINGLE
#include "qapi/qapi-targets.h"
#endif
#include "harness.h"

static QmpCommandList qmp_commands, qmp_cap_negotiation_commands;
static const QmpCommandList *cur_commands;
static bool capab_offered[QMP_CAPABILITY__MAX];
static bool capab[QMP_CAPABILITY__MAX];
static bool quit_requested;

/* --- what libqemuutil's stubs/monitor-core.c provided (removed from our copy) ------------ */

Monitor *monitor_cur(void)
{
    return NULL;
}

Monitor *monitor_set_cur(Coroutine *co, Monitor *mon)
{
    return NULL;
}

int monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    return vfprintf(stderr, fmt, ap);
}

static void send_line(QObject *obj)
{
    GString *json = qobject_to_json(obj);

    g_string_append_c(json, '\n');
    fputs(json->str, stdout);
    fflush(stdout);
    g_string_free(json, true);
}

void qapi_event_emit(QAPIEvent event, QDict *qdict)
{
    send_line(QOBJECT(qdict));
}

/* --- commands with QEMU's real logic ------------------------------------------------------ */

void qmp_qmp_capabilities(bool has_enable, QMPCapabilityList *enable, Error **errp)
{
    GString *unavailable = NULL;
    bool want[QMP_CAPABILITY__MAX];
    QMPCapabilityList *list;

    if (cur_commands == &qmp_commands) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command "
                  "ignored");
        return;
    }
    memset(want, 0, sizeof(want));
    for (list = enable; list; list = list->next) {
        if (!capab_offered[list->value]) {
            if (!unavailable) {
                unavailable = g_string_new(QMPCapability_str(list->value));
            } else {
                g_string_append_printf(unavailable, ", %s",
                                       QMPCapability_str(list->value));
            }
        }
        want[list->value] = true;
    }
    if (unavailable) {
        error_setg(errp, "Capability %s not available", unavailable->str);
        g_string_free(unavailable, true);
        return;
    }
    memcpy(capab, want, sizeof(capab));
    cur_commands = &qmp_commands;
}

VersionInfo *qmp_query_version(Error **errp)
{
    VersionInfo *info = g_new0(VersionInfo, 1);

    info->qemu = g_new0(VersionTriple, 1);
    info->qemu->major = QEMU_VERSION_MAJOR;
    info->qemu->minor = QEMU_VERSION_MINOR;
    info->qemu->micro = QEMU_VERSION_MICRO;
    info->package = g_strdup(QEMU_PKGVERSION);
    return info;
}

static void query_commands_cb(const QmpCommand *cmd, void *opaque)
{
    CommandInfoList **list = opaque;
    CommandInfo *info;

    if (!cmd->enabled) {
        return;
    }
    info = g_malloc0(sizeof(*info));
    info->name = g_strdup(cmd->name);
    QAPI_LIST_PREPEND(*list, info);
}

CommandInfoList *qmp_query_commands(Error **errp)
{
    CommandInfoList *list = NULL;

    qmp_for_each_command(cur_commands, query_commands_cb, &list);
    return list;
}

static bool has_deprecated(strList *features)
{
    for (; features; features = features->next) {
        if (!strcmp(features->value, "deprecated")) {
            return true;
        }
    }
    return false;
}

/* Under deprecated-output=hide: no deprecated entity, no deprecated member of an object. */
static void drop_deprecated(SchemaInfoList **schema)
{
    SchemaInfoList **link = schema, *ent;
    SchemaInfoObjectMemberList **mlink, *m;

    while ((ent = *link)) {
        if (has_deprecated(ent->value->features)) {
            *link = ent->next;
            ent->next = NULL;
            qapi_free_SchemaInfoList(ent);
            continue;
        }
        if (ent->value->meta_type == SCHEMA_META_TYPE_OBJECT) {
            mlink = &ent->value->u.object.members;
            while ((m = *mlink)) {
                if (has_deprecated(m->value->features)) {
                    *mlink = m->next;
                    m->next = NULL;
                    qapi_free_SchemaInfoObjectMemberList(m);
                } else {
                    mlink = &m->next;
                }
            }
        }
        link = &ent->next;
    }
}

static void set_compat_policy(const char *arg)
{
    Visitor *v = qobject_input_visitor_new_str(arg, NULL, &error_fatal);
    CompatPolicy *policy = NULL;

    visit_type_CompatPolicy(v, NULL, &policy, &error_fatal);
    QAPI_CLONE_MEMBERS(CompatPolicy, &compat_policy, policy);
    qapi_free_CompatPolicy(policy);
    visit_free(v);
}

SchemaInfoList *qmp_query_qmp_schema(Error **errp)
{
#ifdef HARNESS_SINGLE
    QObject *obj = qapi_introspect_qobject();
#else
    QObject *obj = qobject_from_qlit(&qmp_schema_qlit);
#endif
    Visitor *v = qobject_input_visitor_new(obj);
    SchemaInfoList *schema = NULL;

    visit_type_SchemaInfoList(v, NULL, &schema, &error_abort);
    g_assert(schema);
    qobject_unref(obj);
    visit_free(v);
    if (compat_policy.deprecated_output == COMPAT_POLICY_OUTPUT_HIDE) {
        drop_deprecated(&schema);
    }
    return schema;
}

void qmp_quit(Error **errp)
{
    qapi_event_send_shutdown(false, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    quit_requested = true;
}

/* device_add is 'gen': false: QEMU registers its handler by hand (monitor/qmp-cmds.c). */
static void harness_device_add(QDict *qdict, QObject **ret_data, Error **errp)
{
    if (!qdict_get_try_str(qdict, "driver")) {
        error_setg(errp, "Parameter '%s' is missing", "driver");
    }
}

/* --- the monitor -------------------------------------------------------------------------- */

unsigned harness_request_round;

/* A number of @req's JSON text, its bits mixed (MurmurHash3's finaliser). */
static unsigned request_round(QObject *req)
{
    GString *json = qobject_to_json(req);
    unsigned h = g_str_hash(json->str);

    g_string_free(json, true);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static void handle_request(void *opaque, QObject *req, Error *err)
{
    QDict *rsp;
    QDict *error;

    if (!req) {
        rsp = qmp_error_response(err);
    } else {
        harness_request_round = request_round(req);
        rsp = qmp_dispatch(cur_commands, req, capab[QMP_CAPABILITY_OOB], NULL);
        if (cur_commands == &qmp_cap_negotiation_commands) {
            error = qdict_get_qdict(rsp, "error");
            if (error
                && !g_strcmp0(qdict_get_try_str(error, "class"),
                        QapiErrorClass_str(ERROR_CLASS_COMMAND_NOT_FOUND))) {
                qdict_del(error, "desc");
                qdict_put_str(error, "desc", "Expecting capabilities negotiation"
                              " with 'qmp_capabilities'");
            }
        }
        qobject_unref(req);
    }
    if (rsp) {
        send_line(QOBJECT(rsp));
        qobject_unref(rsp);
    }
    if (quit_requested) {
        exit(0);
    }
}

static void no_coroutine(const QmpCommand *cmd, void *opaque)
{
    /* The doubles run anywhere; the harness has no coroutine dispatcher. */
    ((QmpCommand *)cmd)->options &= ~QCO_COROUTINE;
}

static void usage(const char *argv0)
{
#ifdef HARNESS_SINGLE
    fprintf(stderr, "usage: %s [-target X[,Y...]] [QEMU options, ignored]\n"
            "  (or run it as qemu-system-X)\n", argv0);
#else
    fprintf(stderr, "usage: %s [QEMU options, ignored]\n", argv0);
#endif
    exit(2);
}

int main(int argc, char **argv)
{
    JSONMessageParser parser;
    QDict *args, *greeting;
    QObject *ver = NULL;
    QList *caps;
    char buf[4096];
    ssize_t n;
    int i;
    QMPCapability cap;
#ifdef HARNESS_SINGLE
    const char *target_list = NULL;
    QapiTargetMask mask = 0;
#endif

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-target") || !strcmp(a, "--target")) {
            if (++i == argc) {
                usage(argv[0]);
            }
#ifdef HARNESS_SINGLE
            target_list = argv[i];
#else
            fprintf(stderr, "%s: -target needs the single-binary harness\n", argv[0]);
            exit(2);
#endif
        } else if (!strcmp(a, "-compat")) {
            if (++i == argc) {
                usage(argv[0]);
            }
            set_compat_policy(argv[i]);
        } else if (!strcmp(a, "-machine") || !strcmp(a, "-M") || !strcmp(a, "-display")
                   || !strcmp(a, "-qmp") || !strcmp(a, "-accel")) {
            i++;
        } else if (!strcmp(a, "-nodefaults") || !strcmp(a, "-S")) {
            /* accepted */
        } else {
            usage(argv[0]);
        }
    }

#ifdef HARNESS_SINGLE
    if (target_list) {
        Error *err = NULL;
        if (!qapi_targets_parse(target_list, &mask, &err)) {
            error_report_err(err);
            exit(2);
        }
    } else if (!qapi_targets_from_argv0(argv[0], &mask)) {
        fprintf(stderr, "%s: no target: give -target X or run as qemu-system-X\n", argv[0]);
        exit(2);
    }
    qapi_targets_set_active(mask);
#endif

    qmp_init_marshal(&qmp_commands);
    qmp_register_command(&qmp_commands, "device_add", harness_device_add, 0, 0);
    qmp_for_each_command(&qmp_commands, no_coroutine, NULL);
    QTAILQ_INIT(&qmp_cap_negotiation_commands);
    qmp_register_command(&qmp_cap_negotiation_commands, "qmp_capabilities",
                         qmp_marshal_qmp_capabilities, QCO_ALLOW_PRECONFIG, 0);
    cur_commands = &qmp_cap_negotiation_commands;
    capab_offered[QMP_CAPABILITY_OOB] = true;

    args = qdict_new();
    qmp_marshal_query_version(args, &ver, NULL);
    qobject_unref(args);
    caps = qlist_new();
    for (cap = 0; cap < QMP_CAPABILITY__MAX; cap++) {
        if (capab_offered[cap]) {
            qlist_append_str(caps, QMPCapability_str(cap));
        }
    }
    greeting = qdict_from_jsonf_nofail("{'QMP': {'version': %p, 'capabilities': %p}}",
                                       ver, caps);
    send_line(QOBJECT(greeting));
    qobject_unref(greeting);

    json_message_parser_init(&parser, handle_request, NULL, NULL);
    while ((n = read(0, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        json_message_parser_feed(&parser, buf, n);
    }
    json_message_parser_destroy(&parser);
    return 0;
}
