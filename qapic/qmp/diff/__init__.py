"""``qapic diff A B``: what changed in QEMU's QMP interface from A to B, and whether B is still
compatible with clients written for A.

A and B are each a query-qmp-schema value (JSON captured from a QEMU binary, ``qapic
introspect`` output, a QMP reply ``{"return": [...]}`` holding one, a QMP capture ``{"greeting",
"exchanges"}`` or a stream of QMP messages such as libvirt's
``tests/qemucapabilitiesdata/*.replies`` holding the reply to query-qmp-schema) or a QAPI schema
file,
built for ``--target``/``--define`` (``--a-*``/``--b-*`` set one side only).  Types are matched
structurally, never by their masked names (see :mod:`qapic.qmp.diff.compare`).

Compatibility rule (exit status 1 when any change is *breaking*, 0 otherwise, 2 for bad input).
"Sent" is data a client sends to QEMU (command arguments, recursively); "received" is data QEMU
sends (command return values and event data, recursively); a type used in both is judged in
both.  A change is breaking when B lost something A had or demands more than A:

1. a command or an event of A is missing from B;
2. an object member, an enum value, a union branch or an alternate branch of A is missing from
   B, in sent and in received data alike (a union branch whose case is no longer listed counts
   as present, without members, while the tag's enum still has the value);
3. in sent data: an optional member became mandatory, or a mandatory member was added;
4. in received data: a mandatory member became optional;
5. a type changed kind (``str`` to ``int``, object to array, a union lost its tag...), unless
   in sent data B's type accepts every value of A's (``any``; ``str`` for an enum; ``number``
   for ``int``; an alternate with a branch of A's kind, whose branch is then compared on), or in
   received data A's type accepts every value of B's (the same relation, reversed);
6. a command lost out-of-band execution (``allow-oob``);
7. a feature other than ``deprecated`` and ``unstable`` disappeared from a command, an event, a
   type, a member or an enum value (such features announce capabilities clients probe for).

Everything else (commands, events, optional members, enum values, branches and features added;
``deprecated``/``unstable`` dropped; a mandatory argument made optional; an optional return
member made mandatory; compatible widening/narrowing) is reported but is not breaking.

``--json`` prints ``{"a", "b", "compatible", "counts": {KIND: n, ..., "breaking", "total"},
"changes": [...]}``; each change has ``entity`` (command/event), ``name``, ``where`` (as in the
text output, e.g. ``argument 'cache.direct'``; empty for the command/event itself), ``path``
(``["argument", "cache", "direct"]``), ``change`` (``command-removed``, ``member-added``,
``member-mandatory``, ``member-optional``, ``enum-value-removed``, ``branch-added``,
``alternate-branch-removed``, ``feature-added``, ``type-changed``, ``tag-changed``,
``allow-oob-changed``...), ``message``, ``breaking``, details (``member``/``optional``,
``value``, ``branch``, ``feature``, ``before``/``after``; ``elsewhere`` for a command or event
one side lacks and its schema has: ``in A: only on i386 and x86_64``) and ``also``: the other
places where the same pair of types is reached (the change is listed once, at the first place).
``builds`` holds each side's ``release`` and ``target`` (null when its input does not say),
and for a schema the symbols its build ``defined`` (``TARGET_*`` aside) and ``defined-as``:
``"A"`` or ``"B"`` when they were taken from the other side, a value, else null.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qapic import options
from qapic.frontend.overlay import shipped_releases
from qapic.qmp.diff.compare import Change, compare
from qapic.qmp.diff.load import (
    BuildOptions,
    DiffInputError,
    DiffUsageError,
    Side,
    build_like,
    load,
)
from qapic.userio import CommandError, UsageError, write_stdout

HELP = "compare two QEMU interfaces (query-qmp-schema values or schemas)"
DESCRIPTION = """\
Compare two QEMU QMP interfaces and report what B added and lost relative to A: commands,
events, members (optional or mandatory), enum values, union and alternate branches, features
and type changes.  Types are matched structurally (their names in query-qmp-schema are masked).

A and B are each a query-qmp-schema value or a QAPI schema file, such as
qapi/qapi-schema.json, built with the symbols of --target and --define.  A value is read from
a JSON file captured from a QEMU binary or written by 'qapic introspect', a QMP reply
{"return": [...]}, a QMP capture {"greeting", "exchanges": [{"request", "replies"}]}, or a
stream of QMP messages such as libvirt's tests/qemucapabilitiesdata/*.replies (the reply to
query-qmp-schema is taken from it).  With no change, one line says so.

The report begins with each side's release and target when its input says them (a schema's
QEMU tree and --target; the replies to query-version and query-target in a capture or a
.replies file).  A command or event one side lacks that this side's schema has, on other
targets or in other builds, says where: '+ query-sev (in A: only on i386 and x86_64)'.  Across
QEMU 10.1, which removed the target conditions from its schema, such commands are another
target's, not new ones.

A QAPI schema given without --define against a query-qmp-schema value is built as that
value's build was: for the target its query-target names (unless --target is given) and with
the build-time symbols (CONFIG_LINUX, CONFIG_POSIX, ...) that bring the schema closest to it;
the header lists them.  --define gives the build exactly instead.

Exit status: 0 when B is compatible with A (nothing A had was lost), 1 when some change is
breaking (marked '!'), 2 for bad input.  Breaking: a command, event, member, enum value or
union/alternate branch removed; in command arguments a mandatory member added or an optional
one made mandatory; in return values and event data a mandatory member made optional; an
incompatible type change; allow-oob or a capability feature (not deprecated/unstable) lost.

Places are written 'command NAME: argument PATH', 'command NAME: return PATH' and 'event NAME:
data PATH', where PATH joins member names with '.', '[]' is an array element, '{TAG=CASE}' a
union branch and '<KIND>' the branch of an alternate for JSON values of KIND.

Examples:
  qapic diff old.json new.json                  two captured query-qmp-schema replies
  qapic diff caps_10.0.0_x86_64.replies caps_10.2.0_x86_64.replies     libvirt's test data
  qapic diff --json qemu-9.2.json qemu-10.0.json
  qapic diff qapi/qapi-schema.json qapi/qapi-schema.json --a-target x86_64 --b-target aarch64
  qapic diff captured.json qapi/qapi-schema.json -t x86_64 -D CONFIG_KVM -D CONFIG_LINUX
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("a", metavar="A", help="the old interface: a JSON file or a QAPI schema")
    parser.add_argument("b", metavar="B", help="the new interface: a JSON file or a QAPI schema")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--breaking", action="store_true",
                        help="list only breaking changes (the exit status is the same)")
    g = parser.add_argument_group(
        "building a QAPI schema (A or B)",
        "Options without a/b apply to each side that is a schema, --a-X/--b-X to one\n"
        "side: --a-target/--b-target replaces --target, --a-define/--b-define add to --define.")
    for side, which in (("", "A and B"), ("a-", "A"), ("b-", "B")):
        dest = side.replace("-", "_")
        short_t = ["-t"] if not side else []
        short_d = ["-D"] if not side else []
        g.add_argument(*short_t, f"--{side}target", dest=f"{dest}target", metavar="NAME",
                       action=options.Once,
                       help=f"add the TARGET_* symbols of target NAME (e.g. x86_64) for {which}")
        g.add_argument(*short_d, f"--{side}define", dest=f"{dest}define", metavar="SYM",
                       action="append", default=[],
                       help=f"a symbol the build of {which} defines (repeatable)")
        g.add_argument(f"--{side}qemu-src", dest=f"{dest}qemu_src", metavar="DIR", type=Path,
                       help=f"QEMU source tree for {which}'s targets (default: the tree "
                       "containing the schema)")
        g.add_argument(f"--{side}conditions", dest=f"{dest}conditions",
                       metavar=options.CONDITIONS_METAVAR, type=options.conditions_file,
                       help=f"a conditions file applied to {which}, or a QEMU release naming "
                       "the one qapic ships (" + ", ".join(shipped_releases()) + ")")
    options.add_lenient_docs(g)


def _options(args: argparse.Namespace, side: str) -> BuildOptions:
    def get(name: str) -> Any:
        return getattr(args, name, None)

    return BuildOptions(
        side_specific=bool(get(f"{side}_target") or get(f"{side}_define")
                           or get(f"{side}_qemu_src") or get(f"{side}_conditions")),
        conditions=get(f"{side}_conditions") or get("conditions"),
        target=get(f"{side}_target") or get("target"),
        defines=(*(get("define") or ()), *(get(f"{side}_define") or ())),
        qemu_src=get(f"{side}_qemu_src") or get("qemu_src"),
        lenient_docs=bool(get("lenient_docs")),
    )


# ------------------------------------------------------------------------------------------
# Output

def _mark(change: Change) -> str:
    if change.breaking:
        return "!"
    if change.kind.endswith("-added"):
        return "+"
    if change.kind.endswith("-removed"):
        return "-"
    return "~"


def counts(changes: Sequence[Change]) -> dict[str, int]:
    """Number of changes of each kind, plus ``breaking`` and ``total``."""
    out: dict[str, int] = {}
    for c in changes:
        out[c.kind] = out.get(c.kind, 0) + 1
    out = dict(sorted(out.items()))
    out["breaking"] = sum(c.breaking for c in changes)
    out["total"] = len(changes)
    return out


#: The text output when A and B have the same interface.
NO_CHANGE = "No change: B has the same commands, events and types as A.\n"


def header(a: Side, b: Side) -> list[str]:
    """The text output's first lines: each side's file with the release and target its input
    says (a capture's query-version and query-target, a schema's tree and --target); none
    when neither says anything."""
    if not (a.build_words() or b.build_words()):
        return []
    lines = []
    for name, side in (("A", a), ("B", b)):
        words = side.build_words()
        lines.append(f"{name}: {side.file}" + (f" ({words})" if words else ""))
    return [*lines, ""]


def _elsewhere(changes: Sequence[Change], a: Side, b: Side) -> None:
    """Mark each command or event one side lacks with where that side's schema has it
    (``detail["elsewhere"]``: ``in A: only on i386 and x86_64``): across QEMU 10.1, which
    removed the target conditions, what is only another target's shows as added."""
    for c in changes:
        for entity in ("command", "event"):
            for kind, name, side in ((f"{entity}-added", "A", a),
                                     (f"{entity}-removed", "B", b)):
                if c.kind == kind:
                    where = side.elsewhere(entity, c.place.name)
                    if where is not None:
                        c.detail["elsewhere"] = f"in {name}: {where}"


def render_text(changes: Sequence[Change], head: Sequence[str] = ()) -> str:
    """Changes grouped for a terminal: commands and events removed, added, then changed (a
    change reached from several places is listed once, followed by the other places), after
    the *head* lines."""
    if not changes:
        return ""
    lines: list[str] = list(head)
    for entity in ("command", "event"):
        plural = entity + "s"
        for kind, title in ((f"{entity}-removed", f"{plural.capitalize()} removed"),
                            (f"{entity}-added", f"{plural.capitalize()} added")):
            group = [c for c in changes if c.kind == kind]
            if group:
                lines.append(f"{title} ({len(group)}):")
                lines.extend(f"  {_mark(c)} {c.place.name}"
                             + (f" ({c.detail['elsewhere']})" if "elsewhere" in c.detail else "")
                             for c in group)
                lines.append("")
    for entity in ("command", "event"):
        group = [c for c in changes if c.place.entity == entity
                 and c.kind not in (f"{entity}-removed", f"{entity}-added")]
        if not group:
            continue
        names = {c.place.name for c in group}
        lines.append(f"Changed {entity}s ({len(names)}, {len(group)} changes):")
        for c in group:
            lines.append(f"  {_mark(c)} {c}")
            lines.extend(f"      also at {place}" for place in c.also)
        lines.append("")
    n = counts(changes)
    breaking = n["breaking"]
    lines.append(f"{n['total']} change{'s' * (n['total'] != 1)}, {breaking} breaking: "
                 + ("B is not compatible with A." if breaking else "B is compatible with A."))
    return "\n".join(lines) + "\n"


def render_json(changes: Sequence[Change], a: str, b: str,
                builds: tuple[Side, Side] | None = None) -> str:
    out: dict[str, Any] = {
        "a": a,
        "b": b,
        "compatible": not any(c.breaking for c in changes),
        "counts": counts(changes),
        "changes": [
            {
                "entity": c.place.entity,
                "name": c.place.name,
                "where": c.place.within(),
                "path": ([c.place.root, *c.place.path] if c.place.root else []),
                "change": c.kind,
                "message": c.message,
                "breaking": c.breaking,
                **c.detail,
                "also": [str(p) for p in c.also],
            }
            for c in changes
        ],
    }
    if builds is not None:
        out["builds"] = {key: side.about()
                         for key, side in zip(("a", "b"), builds, strict=True)}
    return json.dumps(out, indent=2) + "\n"


# ------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    try:
        a = load(args.a, _options(args, "a"))
        b = load(args.b, _options(args, "b"))
        if not (a.is_schema or b.is_schema) and (args.target or args.define or args.qemu_src):
            raise DiffUsageError(f"{args.a}, {args.b}: --target/--define/--qemu-src apply to "
                                 "a QAPI schema, but both are query-qmp-schema values")
    except DiffUsageError as err:
        raise UsageError(str(err)) from None
    except DiffInputError as err:
        raise CommandError(str(err), status=2) from None
    for side, other, name, is_a in ((a, b, "B", True), (b, a, "A", False)):
        if side.options is not None and not side.options.defines and not other.is_schema:
            build_like(side, other, name, is_a)
    changes = compare(a.value, b.value)
    _elsewhere(changes, a, b)
    shown = [c for c in changes if c.breaking] if args.breaking else changes
    if args.json:
        write_stdout(render_json(shown, args.a, args.b, (a, b)))
    elif not changes:
        # One line; after the header when a schema was built as the other side shows.
        write_stdout("\n".join(header(a, b)) + "\n" + NO_CHANGE if a.taken or b.taken
                     else NO_CHANGE)
    else:
        n = len(changes)
        write_stdout(render_text(shown, header(a, b))
                     or f"{n} change{'s' * (n != 1)}, none breaking: B is compatible with A.\n")
    return 1 if any(c.breaking for c in changes) else 0
