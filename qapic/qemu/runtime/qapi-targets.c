/*
 * Which targets are active, and what that means for QAPI (hand-written part of qapic's
 * run-time support; the target table above is generated).
 *
 * The policy: a schema thing whose condition holds on the targets of mask M is visible while
 * M & qapi_active_targets != 0, i.e. when it holds for at least one active target.  With one
 * active target X this is exactly what qemu-system-X built per target does.
 */

QapiTargetMask qapi_active_targets = QAPI_TARGETS_ALL;

/* The policy, for the active targets @active */
static bool qapi_targets_visible_in(QapiTargetMask mask, QapiTargetMask active)
{
    return (mask & active) != 0;
}

bool qapi_targets_visible(QapiTargetMask mask)
{
    return qapi_targets_visible_in(mask, qapi_active_targets);
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
 * query-qmp-schema's value for the active targets, as a QLit tree to convert with
 * qobject_from_qlit() (upstream's own per-call work).  The filtering is done once per
 * active-target set: a view shares every array of the full tree in which nothing is left out,
 * and copies only the lists that lose elements and the containers above them.  A view is
 * never freed (nor changed) once made, so the tree returned stays valid after the lock is
 * released, whatever another thread makes active; there is one per active-target set seen,
 * which in QEMU is one.
 */
struct QapiIntrospectView {
    QapiTargetMask active;
    QLitObject root;
    QapiIntrospectView *next;
};

typedef struct QapiIntrospectFiltering {
    const QapiIntrospectFilter *filters;
    const QapiTargetMask *masks;
    QapiTargetMask active;
} QapiIntrospectFiltering;

/* The masks of the list @list of the full tree (see QapiIntrospectFilter), or NULL. */
static const uint8_t *qapi_introspect_filter_of(const QLitObject *list,
                                                const QapiIntrospectFiltering *how)
{
    const QapiIntrospectFilter *f;

    for (f = how->filters; f->list; f++) {
        if (f->list == list) {
            return f->masks;
        }
    }
    return NULL;
}

/*
 * *@dst = @src without the list elements invisible now.  An array is copied only when
 * something in it changes; true when something did (*@dst then differs from *@src).
 */
static bool qapi_introspect_filter(const QLitObject *src, QLitObject *dst,
                                   const QapiIntrospectFiltering *how)
{
    *dst = *src;
    switch (src->type) {
    case QTYPE_QDICT: {
        QLitDictEntry *copy = NULL;
        size_t i, n;

        for (n = 0; src->value.qdict[n].key; n++) {
            /* count */
        }
        for (i = 0; i < n; i++) {
            QLitObject value;

            if (qapi_introspect_filter(&src->value.qdict[i].value, &value, how)) {
                if (!copy) {
                    copy = g_new(QLitDictEntry, n + 1);
                    memcpy(copy, src->value.qdict, (n + 1) * sizeof(*copy));
                }
                copy[i].value = value;
            }
        }
        if (!copy) {
            return false;
        }
        dst->value.qdict = copy;
        return true;
    }
    case QTYPE_QLIST: {
        const uint8_t *keep = qapi_introspect_filter_of(src->value.qlist, how);
        QLitObject *copy = NULL;
        bool changed = false;
        size_t i, j, n;

        for (n = 0; src->value.qlist[n].type != QTYPE_NONE; n++) {
            /* count */
        }
        if (keep) {
            copy = g_new(QLitObject, n + 1);
        }
        for (i = j = 0; i < n; i++) {
            QLitObject element;

            if (keep && !qapi_targets_visible_in(how->masks[keep[i]], how->active)) {
                changed = true;
                continue;
            }
            if (qapi_introspect_filter(&src->value.qlist[i], &element, how)) {
                changed = true;
                if (!copy) {            /* nothing was left out before: j == i */
                    copy = g_new(QLitObject, n + 1);
                    memcpy(copy, src->value.qlist, i * sizeof(*copy));
                }
            }
            if (copy) {
                copy[j] = element;
            }
            j++;
        }
        if (!changed) {
            g_free(copy);
            return false;
        }
        copy[j] = (QLitObject){ .type = QTYPE_NONE };
        dst->value.qlist = copy;
        return true;
    }
    default:
        return false;
    }
}

const QLitObject *qapi_targets_introspect_qlit(QapiIntrospectCache *cache,
                                               const QLitObject *qlit,
                                               const QapiIntrospectFilter *filters,
                                               const QapiTargetMask *masks)
{
    QapiIntrospectFiltering how = { filters, masks, qapi_active_targets };
    QapiIntrospectView *view;

    g_mutex_lock(&cache->lock);
    for (view = cache->views; view && view->active != how.active; view = view->next) {
        /* search */
    }
    if (!view) {
        view = g_new(QapiIntrospectView, 1);
        view->active = how.active;
        qapi_introspect_filter(qlit, &view->root, &how);
        view->next = cache->views;
        cache->views = view;
    }
    g_mutex_unlock(&cache->lock);
    return &view->root;
}
