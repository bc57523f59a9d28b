/*
 * Runs a single-binary build of a QAPI schema as some targets and prints what a client would
 * see (tests/single/test_behaviour.py compares it with the per-target builds).
 *
 *   check_targets TARGETS schema             query-qmp-schema's value, as JSON
 *   check_targets TARGETS schemas T1 T2...   the value as TARGETS, then made active Ti for each
 *                                            Ti in turn (one process): one JSON line each.
 *                                            Each value is changed by this program after it
 *                                            is printed, as a caller owning it may do.
 *   check_targets TARGETS commands           the registered commands, one a line
 *   check_targets TARGETS input TYPE JSON    an input visit of JSON as TYPE: "ok" or the error
 *   check_targets TARGETS output TYPE JSON   input with every target active, output as TARGETS
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp-registry.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qapi/dealloc-visitor.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnull.h"
#include "qapi-targets.h"
#include "qapi-init-commands.h"
#include CHECK_VISIT_HEADER

typedef bool VisitFn(Visitor *v, const char *name, void **obj, Error **errp);

static VisitFn *visitor_of(const char *type)
{
#define TYPE(T) if (!strcmp(type, #T)) { return (VisitFn *)visit_type_##T; }
    CHECK_TYPES
#undef TYPE
    fprintf(stderr, "unknown type %s\n", type);
    exit(2);
}

static void print_name(const QmpCommand *cmd, void *opaque)
{
    printf("%s\n", qmp_command_name(cmd));
}

static void *input(VisitFn *visit, const char *json, Error **errp)
{
    QObject *in = qobject_from_json(json, &error_abort);
    Visitor *v = qobject_input_visitor_new(in);
    void *obj = NULL;

    visit(v, NULL, &obj, errp);
    visit_free(v);
    qobject_unref(in);
    return obj;
}

static void free_value(VisitFn *visit, void *obj)
{
    Visitor *v = qapi_dealloc_visitor_new();

    visit(v, NULL, &obj, NULL);
    visit_free(v);
}

int main(int argc, char **argv)
{
    QapiTargetMask mask;
    Error *err = NULL;

    if (argc < 3 || !qapi_targets_parse(argv[1], &mask, &err)) {
        error_report_err(err);
        return 2;
    }
    qapi_targets_set_active(mask);
    if (!strcmp(argv[2], "schema")) {
        QObject *schema = qapi_introspect_qobject();
        GString *json = qobject_to_json(schema);

        printf("%s\n", json->str);
        g_string_free(json, true);
        qobject_unref(schema);
    } else if (!strcmp(argv[2], "schemas")) {
        int i;

        for (i = 2; i < argc; i++) {
            QObject *schema;
            GString *json;

            if (i > 2) {
                if (!qapi_targets_parse(argv[i], &mask, &err)) {
                    error_report_err(err);
                    return 2;
                }
                qapi_targets_set_active(mask);
            }
            schema = qapi_introspect_qobject();
            json = qobject_to_json(schema);
            printf("%s\n", json->str);
            g_string_free(json, true);
            qlist_append_null(qobject_to(QList, schema));
            qdict_put_null(qobject_to(QDict, qlist_peek(qobject_to(QList, schema))), "x");
            qobject_unref(schema);
        }
    } else if (!strcmp(argv[2], "commands")) {
        QmpCommandList cmds;

        CHECK_INIT_MARSHAL(&cmds);
        qmp_for_each_command(&cmds, print_name, NULL);
    } else if (!strcmp(argv[2], "input") && argc == 5) {
        VisitFn *visit = visitor_of(argv[3]);
        void *obj = input(visit, argv[4], &err);

        printf("%s\n", err ? error_get_pretty(err) : "ok");
        free_value(visit, obj);
    } else if (!strcmp(argv[2], "output") && argc == 5) {
        VisitFn *visit = visitor_of(argv[3]);
        void *obj;
        QObject *out = NULL;
        Visitor *v;
        GString *json;

        qapi_targets_set_active(QAPI_TARGETS_ALL);
        obj = input(visit, argv[4], &error_abort);
        qapi_targets_set_active(mask);
        v = qobject_output_visitor_new(&out);
        visit(v, NULL, &obj, &error_abort);
        visit_complete(v, &out);
        visit_free(v);
        json = qobject_to_json(out);
        printf("%s\n", json->str);
        g_string_free(json, true);
        qobject_unref(out);
        free_value(visit, obj);
    } else {
        return 2;
    }
    return 0;
}
