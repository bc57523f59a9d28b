/*
 * qapic bench: in-process cost of query-qmp-schema and of command registration (issue 4, P4).
 *
 * Linked against the QMP harness's objects (bench/qmp_latency.py builds it twice): the
 * per-target x86_64 objects, or the single-binary objects with -DDRIVER_SINGLE, where the
 * active targets are set first, as qemu-system-X does at start-up.  The harness's own main()
 * is renamed away; its command implementations (query-qmp-schema among them) stay.
 *
 * usage: qmp-latency [-register-only] CALLS [TARGETS]
 * Prints one JSON object: for each measure, the nanoseconds of each of CALLS calls, wall
 * clock (MEASURE) and this thread's CPU time ("MEASURE cpu": robust on a busy machine).
 *   register     qmp_init_marshal() into a fresh QmpCommandList (freeing it is not timed)
 *   introspect first
 *                the first introspection value of the process, as below (one sample: for a
 *                single binary it includes making the view for the active targets, once)
 *   introspect   the introspection value as a QObject (per target: qobject_from_qlit() of
 *                qmp_schema_qlit; single: qapi_introspect_qobject()), then qobject_unref()
 *   dispatch     qmp_dispatch() of {"execute": "query-qmp-schema"} (marshalling included),
 *                then qobject_unref() of the reply
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp-registry.h"
#include "qapi/qapi-init-commands.h"
#include "qapi/qapi-introspect.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlit.h"
#ifdef DRIVER_SINGLE
#include "qapi/qapi-targets.h"
#endif

typedef struct Clock {
    int64_t wall, cpu;
} Clock;

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static Clock now(void)
{
    return (Clock){ clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_THREAD_CPUTIME_ID) };
}

/* Wall and CPU nanoseconds since @t0, into sample @i of @samples (2 arrays of CALLS). */
static void record(int64_t **samples, int i, Clock t0)
{
    Clock t1 = now();

    samples[0][i] = t1.wall - t0.wall;
    samples[1][i] = t1.cpu - t0.cpu;
}

static void free_commands(QmpCommandList *cmds)
{
    QmpCommand *cmd, *next;

    QTAILQ_FOREACH_SAFE(cmd, cmds, node, next) {
        QTAILQ_REMOVE(cmds, cmd, node);
        g_free(cmd);
    }
}

static QObject *introspection_value(void)
{
#ifdef DRIVER_SINGLE
    return qapi_introspect_qobject();
#else
    return qobject_from_qlit(&qmp_schema_qlit);
#endif
}

static void print_samples(const char *name, int64_t **samples, int n, bool last)
{
    int c, i;

    for (c = 0; c < 2; c++) {
        printf(" \"%s%s\": [", name, c ? " cpu" : "");
        for (i = 0; i < n; i++) {
            printf("%s%" PRId64, i ? ", " : "", samples[c][i]);
        }
        printf("]%s\n", last && c ? "" : ",");
    }
}

static int64_t **new_samples(int n)
{
    int64_t **samples = g_new(int64_t *, 2);

    samples[0] = g_new(int64_t, n);
    samples[1] = g_new(int64_t, n);
    return samples;
}

int main(int argc, char **argv)
{
    int calls, i, arg = 1;
    bool register_only = false;
    int64_t **reg, **first, **intro, **disp;
    Clock t0;
    QmpCommandList cmds;
    unsigned commands = 0;
    QmpCommand *cmd;

    if (arg < argc && !strcmp(argv[arg], "-register-only")) {
        register_only = true;
        arg++;
    }
    if (arg == argc || (calls = atoi(argv[arg])) <= 0) {
        fprintf(stderr, "usage: %s [-register-only] CALLS [TARGETS]\n", argv[0]);
        return 2;
    }
    arg++;
#ifdef DRIVER_SINGLE
    {
        QapiTargetMask mask;

        if (arg == argc) {
            fprintf(stderr, "%s: the single-binary driver needs TARGETS\n", argv[0]);
            return 2;
        }
        qapi_targets_parse(argv[arg], &mask, &error_abort);
        qapi_targets_set_active(mask);
    }
#endif
    reg = new_samples(calls);
    first = new_samples(1);
    intro = new_samples(calls);
    disp = new_samples(calls);

    for (i = 0; i < calls; i++) {
        QTAILQ_INIT(&cmds);
        t0 = now();
        qmp_init_marshal(&cmds);
        record(reg, i, t0);
        if (i + 1 < calls) {
            free_commands(&cmds);
        }
    }
    QTAILQ_FOREACH(cmd, &cmds, node) {
        cmd->options &= ~QCO_COROUTINE;   /* as the harness: no coroutine dispatcher */
        commands += cmd->enabled;
    }
    if (register_only) {
        printf("{\"commands\": %u,\n", commands);
        print_samples("register", reg, calls, true);
        printf("}\n");
        return 0;
    }

    t0 = now();
    qobject_unref(introspection_value());
    record(first, 0, t0);
    for (i = 0; i < calls; i++) {
        QObject *obj;

        t0 = now();
        obj = introspection_value();
        qobject_unref(obj);
        record(intro, i, t0);
    }

    for (i = 0; i < calls; i++) {
        QObject *req = QOBJECT(qdict_from_jsonf_nofail("{'execute': 'query-qmp-schema'}"));
        QDict *rsp;

        t0 = now();
        rsp = qmp_dispatch(&cmds, req, false, NULL);
        qobject_unref(rsp);
        record(disp, i, t0);
        qobject_unref(req);
    }
    {
        QObject *req = QOBJECT(qdict_from_jsonf_nofail("{'execute': 'query-qmp-schema'}"));
        QDict *rsp = qmp_dispatch(&cmds, req, false, NULL);
        bool ok = qdict_haskey(rsp, "return");

        qobject_unref(rsp);
        qobject_unref(req);
        if (!ok) {
            fprintf(stderr, "%s: query-qmp-schema did not return\n", argv[0]);
            return 1;
        }
    }

    printf("{\"commands\": %u,\n", commands);
    print_samples("register", reg, calls, false);
    print_samples("introspect first", first, 1, false);
    print_samples("introspect", intro, calls, false);
    print_samples("dispatch", disp, calls, true);
    printf("}\n");
    free_commands(&cmds);
    return 0;
}
