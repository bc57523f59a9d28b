/*
 * Which targets are active, and what that means for QAPI (hand-written part of qapic's
 * run-time support; the target table above is generated).
 *
 * The policy: a schema thing whose condition holds on the targets of mask M is visible while
 * M & qapi_active_targets != 0, i.e. when it holds for at least one active target.  With one
 * active target X this is exactly what qemu-system-X built per target does.
 */

QapiTargetMask qapi_active_targets = QAPI_TARGETS_ALL;

bool qapi_targets_visible(QapiTargetMask mask)
{
    return (mask & qapi_active_targets) != 0;
}

void qapi_targets_set_active(QapiTargetMask mask)
{
    qapi_active_targets = mask;
}

/* The bit number of the target named by the @len bytes at @name, or -1. */
static int qapi_target_index(const char *name, size_t len)
{
    unsigned i;

    for (i = 0; i < qapi_target_count; i++) {
        if (strlen(qapi_target_names[i]) == len
            && !strncmp(qapi_target_names[i], name, len)) {
            return i;
        }
    }
    return -1;
}

bool qapi_targets_parse(const char *list, QapiTargetMask *mask, Error **errp)
{
    QapiTargetMask found = 0;
    const char *p = list;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int i = qapi_target_index(p, len);

        if (i < 0) {
            error_setg(errp, "Unknown target '%.*s'", (int)len, p);
            return false;
        }
        found |= (QapiTargetMask)1 << i;
        if (!end) {
            break;
        }
        p = end + 1;
    }
    *mask = found;
    return true;
}

bool qapi_targets_from_argv0(const char *argv0, QapiTargetMask *mask)
{
    static const char prefix[] = "qemu-system-";
    const char *base = strrchr(argv0, G_DIR_SEPARATOR);
    const char *name;
    size_t len;
    int i;

    base = base ? base + 1 : argv0;
    if (strncmp(base, prefix, strlen(prefix))) {
        return false;
    }
    name = base + strlen(prefix);
    len = strlen(name);
    if (g_str_has_suffix(name, ".exe")) {
        len -= strlen(".exe");
    }
    i = qapi_target_index(name, len);
    if (i < 0) {
        return false;
    }
    *mask = (QapiTargetMask)1 << i;
    return true;
}

/*
 * visit_type_enum() for an enum whose value i exists only on the targets @targets[i]: an
 * input visitor is offered only the values visible now, so that any other is rejected with
 * QEMU's own error for a value the enum lacks.  Other visitors see the whole enum.
 */
bool qapi_targets_visit_enum(Visitor *v, const char *name, int *obj,
                             const QEnumLookup *lookup, const QapiTargetMask *targets,
                             Error **errp)
{
    g_autofree const char **array = NULL;
    g_autofree uint64_t *features = NULL;
    g_autofree int *index = NULL;
    int i, n = 0, value;

    if (!visit_is_input(v)) {
        return visit_type_enum(v, name, obj, lookup, errp);
    }
    array = g_new(const char *, lookup->size);
    features = lookup->features ? g_new(uint64_t, lookup->size) : NULL;
    index = g_new(int, lookup->size);
    for (i = 0; i < lookup->size; i++) {
        if (qapi_targets_visible(targets[i])) {
            array[n] = lookup->array[i];
            if (features) {
                features[n] = lookup->features[i];
            }
            index[n++] = i;
        }
    }
    {
        QEnumLookup available = { .array = array, .features = features, .size = n };

        value = 0;
        if (!visit_type_enum(v, name, &value, &available, errp)) {
            return false;
        }
    }
    *obj = index[value];
    return true;
}

/*
 * qobject_from_qlit() that leaves out the list elements invisible now: a list of @qlit named
 * in @filters has, per element, an index into @masks of the targets where it exists.
 */
QObject *qapi_targets_qobject_from_qlit(const QLitObject *qlit,
                                        const QapiIntrospectFilter *filters,
                                        const QapiTargetMask *masks)
{
    switch (qlit->type) {
    case QTYPE_QDICT: {
        QDict *qdict = qdict_new();
        QLitDictEntry *e;

        for (e = qlit->value.qdict; e->key; e++) {
            qdict_put_obj(qdict, e->key,
                          qapi_targets_qobject_from_qlit(&e->value, filters, masks));
        }
        return QOBJECT(qdict);
    }
    case QTYPE_QLIST: {
        QList *qlist = qlist_new();
        const QapiIntrospectFilter *f;
        const uint8_t *keep = NULL;
        QLitObject *e;
        size_t i;

        for (f = filters; f->list; f++) {
            if (f->list == qlit->value.qlist) {
                keep = f->masks;
                break;
            }
        }
        for (e = qlit->value.qlist, i = 0; e->type != QTYPE_NONE; e++, i++) {
            if (!keep || qapi_targets_visible(masks[keep[i]])) {
                qlist_append_obj(qlist,
                                 qapi_targets_qobject_from_qlit(e, filters, masks));
            }
        }
        return QOBJECT(qlist);
    }
    default:
        return qobject_from_qlit(qlit);
    }
}
