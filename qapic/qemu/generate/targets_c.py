"""``qapi-targets.[ch]``: the run-time support of a single binary (``--single-binary`` only).

The header is the C API that generated code and QEMU (or a test harness) use::

    typedef uint64_t QapiTargetMask;                     bit i = target qapi_target_names[i]
    extern const char *const qapi_target_names[];
    extern const unsigned qapi_target_count;
    extern QapiTargetMask qapi_active_targets;           every target until set
    bool qapi_targets_visible(QapiTargetMask mask);      the policy: mask & active != 0
    bool qapi_targets_parse(const char *list, QapiTargetMask *mask, Error **errp);
    bool qapi_targets_from_argv0(const char *argv0, QapiTargetMask *mask);
    void qapi_targets_set_active(QapiTargetMask mask);
    QObject *qapi_introspect_qobject(void);              defined in qapi-introspect.c

with one ``QAPI_TARGET_<NAME>`` constant per target and ``QAPI_TARGETS_ALL``.  The source is the
target table, generated from the QEMU tree, followed by the hand-written logic of
:mod:`qapic.qemu.runtime`.

This backend runs last: it also adds ``#include "qapi-targets.h"`` to every generated ``.c``
file that uses a name of it (only single-binary output does).
"""

from __future__ import annotations

import posixpath
import re
from typing import cast

from qapic.frontend import Schema
from qapic.qemu.runtime import targets_c

from .common import Emitter, GenContext, c_string
from .output import CFile, OutputSet
from .single import ALL_TARGETS, SingleBinaryPolicy, target_constant

BLURB = "Targets of a single binary (qapic run-time support)"
HEADER = "qapi-targets.h"
SOURCE = "qapi-targets.c"
MAX_TARGETS = 64            # bits of QapiTargetMask

_USES_TARGETS = re.compile(r"\b(qapi_targets_\w+|QAPI_TARGETS?_\w+|QapiTargetMask)\b")


def generate(schema: Schema, out: OutputSet, ctx: GenContext) -> None:
    # Only in SINGLE_BINARY_BACKENDS (qapic.qemu.generate.main), whose policy is this one.
    policy = cast(SingleBinaryPolicy, ctx.guards)
    names = policy.table.names()
    if len(names) > MAX_TARGETS:
        raise ValueError(f"{len(names)} targets: a QapiTargetMask holds at most {MAX_TARGETS}")
    _include_where_used(out)
    _header(out.h_file(HEADER, BLURB), names)
    _source(out.c_file(SOURCE, BLURB), names)


def _include_where_used(out: OutputSet) -> None:
    for name in out.names():
        f = out[name]
        if isinstance(f, CFile) and name.endswith(".c") and _USES_TARGETS.search(f.body.text()):
            here = posixpath.dirname(name)
            f.preamble.line(f'#include "{posixpath.relpath(HEADER, here or ".")}"')


def _header(h_file: CFile, names: list[str]) -> None:
    h = h_file.preamble
    h.line('#include "qapi/visitor.h"')
    h.line('#include "qobject/qlit.h"')
    e = h_file.body
    e.line("typedef uint64_t QapiTargetMask;")
    e.line()
    for bit, name in enumerate(names):
        e.line(f"#define {target_constant(name)} ((QapiTargetMask)1 << {bit})")
    e.line(f"#define {ALL_TARGETS} (((QapiTargetMask)1 << {len(names)}) - 1)"
           if len(names) < MAX_TARGETS else f"#define {ALL_TARGETS} (~(QapiTargetMask)0)")
    e.lines("""

        /* Target names, index = bit number */
        extern const char *const qapi_target_names[];
        extern const unsigned qapi_target_count;

        /* The targets this process runs as (every target until set) */
        extern QapiTargetMask qapi_active_targets;

        /*
         * The policy for several active targets: something that exists on the targets of
         * @mask is visible when it exists on at least one active target (mask & active != 0).
         */
        bool qapi_targets_visible(QapiTargetMask mask);

        /* @list is a comma-separated list of target names: "aarch64,arm" */
        bool qapi_targets_parse(const char *list, QapiTargetMask *mask, Error **errp);

        /* The target of a binary named ".../qemu-system-X"; false if there is none */
        bool qapi_targets_from_argv0(const char *argv0, QapiTargetMask *mask);

        void qapi_targets_set_active(QapiTargetMask mask);

        /* query-qmp-schema's value for the active targets (defined in qapi-introspect.c) */
        QObject *qapi_introspect_qobject(void);

        /* For generated code only */
        bool qapi_targets_visit_enum(Visitor *v, const char *name, int *obj,
                                     const QEnumLookup *lookup, const QapiTargetMask *targets,
                                     Error **errp);

        typedef struct QapiIntrospectFilter {
            const QLitObject *list;     /* a list of the QLit tree (NULL ends the table) */
            const uint8_t *masks;       /* per element, an index into the masks table */
        } QapiIntrospectFilter;

        /* The views of a QLit tree made so far, one per active-target set (zero-initialised) */
        typedef struct QapiIntrospectView QapiIntrospectView;
        typedef struct QapiIntrospectCache {
            GMutex lock;
            QapiIntrospectView *views;
        } QapiIntrospectCache;

        /*
         * @qlit without the list elements invisible for the active targets, made once per
         * active-target set and kept in @cache: the result is never freed nor changed.
         */
        const QLitObject *qapi_targets_introspect_qlit(QapiIntrospectCache *cache,
                                                       const QLitObject *qlit,
                                                       const QapiIntrospectFilter *filters,
                                                       const QapiTargetMask *masks);
    """)


def _source(c_file: CFile, names: list[str]) -> None:
    c = c_file.preamble
    for header in ("qemu/osdep.h", "qapi/error.h", "qobject/qbool.h", "qobject/qdict.h",
                   "qobject/qlist.h", "qobject/qnull.h", "qobject/qnum.h", "qobject/qstring.h",
                   HEADER):
        c.line(f'#include "{header}"')
    e: Emitter = c_file.body
    with e.block("const char *const qapi_target_names[] =", "};"):
        for name in names:
            e.line(f"{c_string(name)},")
    e.line()
    e.line(f"const unsigned qapi_target_count = {len(names)};")
    e.line()
    for text in targets_c().splitlines():
        e.line(text)
