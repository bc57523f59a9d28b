"""The inputs of ``qapic diff``: query-qmp-schema values (a JSON file; a QMP reply holding one;
a QMP capture ``{"greeting", "exchanges"}``; a stream of QMP messages such as libvirt's
``tests/qemucapabilitiesdata/*.replies``) and QAPI schemas.

Every problem with an input is a :class:`DiffInputError` whose message is one line naming the
file; nothing here lets an exception of another kind escape for bad input.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qapic.qmp.diff.compare import Value

META_TYPES = frozenset({"builtin", "enum", "array", "object", "alternate", "command", "event"})
QAPI_KEYWORDS = frozenset({"include", "pragma", "enum", "struct", "union", "alternate",
                           "command", "event"})
# A QAPI schema file: '#' comment lines, then an expression written with single quotes.
_LOOKS_QAPI = re.compile(r"\A(?:\s*#[^\n]*\n)*\s*\{\s*'")


class DiffInputError(Exception):
    """An input of ``qapic diff`` is missing or is neither a schema value nor a schema."""


class DiffUsageError(DiffInputError):
    """The command line cannot build a schema side: an unknown target, no QEMU tree to read
    targets from (reported after the usage, as the other commands' usage errors)."""


@dataclass(frozen=True)
class BuildOptions:
    """What to build a QAPI schema with (ignored for query-qmp-schema values)."""

    target: str | None = None
    defines: tuple[str, ...] = ()
    qemu_src: Path | None = None
    lenient_docs: bool = False
    conditions: str | None = None   # a conditions file (qapic.frontend.overlay)
    side_specific: bool = False     # --a-*/--b-* options were given for this side


@dataclass
class Side:
    """One input of the diff, read: its query-qmp-schema value and what is known of its build
    (the release and target a capture's replies or a schema's tree and --target say)."""

    file: str
    value: Value
    release: str | None = None      # "10.0.13"
    target: str | None = None       # "s390x"
    #: For a QAPI schema: where each command and event exists in it, in words (see
    #: :meth:`elsewhere`); None for a query-qmp-schema value.
    schema: Any = None
    table: Any = None               # the schema's TargetTable, when it lies in a QEMU tree
    defined: frozenset[str] = frozenset()
    #: Whether the reply came with the QMP messages of a capture or a ``.replies`` file.
    captured: bool = False
    #: A schema's build options, for building it again (:func:`build_like`).
    options: BuildOptions | None = None
    #: What :func:`build_like` took from the other side, in words for the header.
    taken: str = ""
    #: The side (``A``, ``B``) whose build :func:`build_like` followed, if it did.
    built_like: str | None = None

    def about(self) -> dict[str, Any]:
        """What ``--json`` says of this side's build."""
        out: dict[str, Any] = {"release": self.release, "target": self.target}
        if self.is_schema:
            out["defined"] = sorted(s for s in self.defined if not s.startswith("TARGET_"))
            out["defined-as"] = self.built_like
        return out

    @property
    def is_schema(self) -> bool:
        return self.schema is not None

    def build_words(self) -> str:
        """``QEMU 10.0.13, s390x`` (what is known), or ``""``."""
        target = self.target
        if target and self.built_like and self.options and self.options.target is None:
            target += f" as {self.built_like}'s query-target says"
        parts = [f"QEMU {self.release}" if self.release else "",
                 target or ("no target" if self.is_schema and self.table else "")]
        return ", ".join(p for p in parts if p) + (f"; {self.taken}" if self.taken else "")

    def elsewhere(self, meta: str, name: str) -> str | None:
        """Where the schema has the command or event *name* (which this build lacks), in
        words (``only on i386 and x86_64``, ``needs a build with CONFIG_LINUX``), if the schema
        has it at all; None for a query-qmp-schema value."""
        if self.schema is None:
            return None
        from qapic import conditions
        from qapic.frontend import Command, Event, entities_of

        kind = Command if meta == "command" else Event
        found = [e for e in entities_of(self.schema.entities, kind) if e.name == name]
        if not found:
            return None
        cond = found[0].ifcond
        if self.table is None:
            return "only if " + conditions.to_text(cond)
        where = conditions.availability(
            cond, self.table, build_known=lambda sym: True if sym in self.defined else None)
        return conditions.describe_availability(where, self.table) or "on every target"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_value(file: str, value: Any) -> Value:
    """Validate a query-qmp-schema value (a JSON array of SchemaInfo objects) and index it."""
    def bad(msg: str) -> DiffInputError:
        return DiffInputError(f"{file}: not a query-qmp-schema value: {msg}")

    if not isinstance(value, list):
        raise bad(f"expected a JSON array, found {type(value).__name__}")
    entries: dict[str, dict[str, Any]] = {}
    for i, e in enumerate(value):
        if not isinstance(e, dict):
            raise bad(f"element {i} is not an object")
        name, meta = e.get("name"), e.get("meta-type")
        if not isinstance(name, str):
            raise bad(f"element {i} has no string 'name'")
        if meta not in META_TYPES:
            raise bad(f"'{name}' has no valid 'meta-type' (got {meta!r})")
        if name in entries and entries[name] != e:
            raise bad(f"'{name}' occurs twice, differently")
        entries[name] = e

    def ref(owner: str, obj: dict[str, Any], key: str) -> None:
        t = obj.get(key)
        if not isinstance(t, str):
            raise bad(f"'{owner}' has no string '{key}'")
        if t not in entries:
            raise bad(f"'{owner}' refers to type '{t}', which is not in the value")

    def strings(owner: str, obj: dict[str, Any], key: str) -> None:
        v = obj.get(key, [])
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise bad(f"'{owner}': '{key}' is not a list of strings")

    def objects(owner: str, obj: dict[str, Any], key: str, need: str) -> list[dict[str, Any]]:
        v = obj.get(key, [])
        if not isinstance(v, list) or not all(isinstance(m, dict) for m in v):
            raise bad(f"'{owner}': '{key}' is not a list of objects")
        for m in v:
            if not isinstance(m.get(need), str):
                raise bad(f"'{owner}': an element of '{key}' has no string '{need}'")
        return v

    for name, e in entries.items():
        meta = e["meta-type"]
        strings(name, e, "features")
        if meta == "command":
            ref(name, e, "arg-type")
            ref(name, e, "ret-type")
        elif meta == "event":
            ref(name, e, "arg-type")
        elif meta == "builtin":
            if not isinstance(e.get("json-type"), str):
                raise bad(f"'{name}' has no string 'json-type'")
        elif meta == "array":
            ref(name, e, "element-type")
        elif meta == "enum":
            if "members" in e:
                for m in objects(name, e, "members", "name"):
                    strings(name, m, "features")
            else:
                strings(name, e, "values")
        elif meta == "alternate":
            for m in objects(name, e, "members", "type"):
                ref(name, m, "type")
        else:  # object
            for m in objects(name, e, "members", "name"):
                ref(name, m, "type")
                strings(name, m, "features")
            variants = objects(name, e, "variants", "case")
            for v in variants:
                ref(name, v, "type")
            if variants and not isinstance(e.get("tag"), str):
                raise bad(f"'{name}' has variants but no string 'tag'")
    return Value(entries)


def _read_text(file: str) -> str:
    from qapic.userio import CommandError, read_input

    try:
        data = read_input(file, "a query-qmp-schema value or a QAPI schema")
    except CommandError as err:
        raise DiffInputError(err.message) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DiffInputError(f"{file}: not JSON (not UTF-8 text)") from None


def _is_qapi(parsed: Any) -> bool:
    return isinstance(parsed, dict) and bool(QAPI_KEYWORDS & parsed.keys())


def load(file: str, options: BuildOptions) -> Side:
    """*file* read: a query-qmp-schema value (a value, a QMP reply holding one, a capture, a
    stream of messages) or a QAPI schema built with *options*."""
    text = _read_text(file)
    messages: list[Any] | None = None
    parsed: Any = None
    json_error: json.JSONDecodeError | None = None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        json_error = err
    except RecursionError:
        raise DiffInputError(f"{file}: not JSON (nested too deeply)") from None
    if json_error is not None:
        if _LOOKS_QAPI.match(text):
            return _from_schema(file, options)
        stream = json_error.msg == "Extra data" or len(_blocks(text)) > 1
        messages = _json_stream(file, text) if stream else None
        if messages is None:
            raise DiffInputError(f"{file}: not JSON ({json_error.msg} at line "
                                 f"{json_error.lineno} column {json_error.colno})")
        parsed = _schema_reply(file, messages, "a stream of QMP messages")
    if _is_qapi(parsed):
        return _from_schema(file, options)
    if options.side_specific:
        raise DiffUsageError(f"{file}: --a-*/--b-* build options apply to a QAPI schema, but "
                             "this is a query-qmp-schema value")
    greeting = None
    if isinstance(parsed, dict) and isinstance(parsed.get("exchanges"), list):
        greeting = parsed.get("greeting")
        messages = _capture_messages(file, parsed["exchanges"])
        parsed = _schema_reply(file, messages, "a QMP capture")
    if isinstance(parsed, dict):
        if "return" in parsed:
            parsed = parsed["return"]
            if not isinstance(parsed, list):
                raise DiffInputError(f"{file}: a QMP reply whose 'return' is not a "
                                     "query-qmp-schema value")
        elif "error" in parsed:
            error = parsed["error"]
            desc = error.get("desc") if isinstance(error, dict) else None
            raise DiffInputError(f"{file}: a QMP error reply, not a query-qmp-schema value"
                                 + (f" ({_one_line(str(desc))})" if desc else ""))
        else:
            raise DiffInputError(f"{file}: a JSON object, neither a query-qmp-schema value "
                                 "nor a QMP reply holding one")
    side = Side(file, _check_value(file, parsed), captured=messages is not None)
    if messages is not None:
        side.release, side.target = _build_of(messages, greeting)
    return side


def _answers(messages: list[Any], command: str,
             shape: Callable[[Any], bool]) -> list[Any]:
    """The values returned to *command* among *messages*: the replies to its requests (by
    id, else the next reply), else -- replies only -- the values of *shape*."""
    def is_reply(m: Any) -> bool:
        return isinstance(m, dict) and "return" in m

    found = []
    asked = False
    for i, m in enumerate(messages):
        if isinstance(m, dict) and m.get("execute") == command:
            asked = True
            replies = [r for r in messages[i + 1:] if isinstance(r, dict)
                       and ("return" in r or "error" in r)]
            if "id" in m:
                replies = [r for r in replies if r.get("id") == m["id"]]
            if replies and is_reply(replies[0]):
                found.append(replies[0]["return"])
    if asked:
        return found
    return [m["return"] for m in messages if is_reply(m) and shape(m["return"])]


def _is_version(value: Any) -> bool:
    qemu = value.get("qemu") if isinstance(value, dict) else None
    return isinstance(qemu, dict) and all(isinstance(qemu.get(k), int)
                                          for k in ("major", "minor", "micro"))


def _is_target(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("arch"), str) and len(value) <= 2


def _build_of(messages: list[Any], greeting: Any) -> tuple[str | None, str | None]:
    """The QEMU release and target QMP *messages* (and a capture's *greeting*) say: the
    replies to query-version and query-target, the greeting's version."""
    versions = _answers(messages, "query-version", _is_version)
    if not versions and isinstance(greeting, dict):
        qmp = greeting.get("QMP")
        version = qmp.get("version") if isinstance(qmp, dict) else None
        versions = [version] if _is_version(version) else []
    release = None
    if versions and _is_version(versions[0]):
        qemu = versions[0]["qemu"]
        release = f"{qemu['major']}.{qemu['minor']}.{qemu['micro']}"
    targets = [t for t in _answers(messages, "query-target", _is_target) if _is_target(t)]
    return release, (targets[0]["arch"] if targets else None)


def _blocks(text: str) -> list[tuple[int, str]]:
    """*text* cut at its blank lines, each block with the number of its first line: libvirt's
    ``.replies`` files put a blank line between pretty-printed messages, and a JSON text never
    has one inside a value (a string cannot hold a raw newline)."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def _json_stream(file: str, text: str) -> list[Any]:
    """The JSON values of *text* written one after the other (whitespace between them, as in
    libvirt's ``tests/qemucapabilitiesdata/*.replies``).  A damaged message is named where it
    is damaged: its number, the line it starts on and the line where its JSON goes wrong (a
    message that lacks a closing brace is reported at its own end, not at the next one)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    for first, block in _blocks(text):
        pos = 0
        while True:
            while pos < len(block) and block[pos].isspace():
                pos += 1
            if pos == len(block):
                break
            begins = first + block.count("\n", 0, pos)
            try:
                value, pos = decoder.raw_decode(block, pos)
            except json.JSONDecodeError as err:
                raise DiffInputError(_damage(file, len(values) + 1, begins, first, block,
                                             pos, err)) from None
            except RecursionError:
                raise DiffInputError(f"{file}: message {len(values) + 1} (line {begins}) is "
                                     "nested too deeply") from None
            values.append(value)
    return values


def _damage(file: str, number: int, begins: int, first: int, block: str, start: int,
            err: json.JSONDecodeError) -> str:
    """The message for message *number* of a stream, which JSON cannot read from *start* of
    *block* (whose first line is *first*) on."""
    line, column = first + err.lineno - 1, err.colno
    before = block[:err.pos]
    rest = block[err.pos:]
    if not rest.strip() and err.msg.startswith("Expecting"):     # the block ran out
        end = before.rstrip()
        line, column = first + end.count("\n"), len(end) - end.rfind("\n") - 1
        return (f"{file}: message {number} (line {begins}) is not complete JSON: it ends at "
                f"line {line} column {column} without closing all its braces")
    # Written one per line, a message without its closing brace runs into the next message,
    # where the decoder stops: the damage is at the end of the line before.
    if err.pos > start and "\n" in block[start:err.pos] and rest.lstrip(" \t").startswith("{") \
            and before.rstrip(" \t").endswith("\n"):
        end = before.rstrip()
        line, column = first + end.count("\n"), len(end) - end.rfind("\n") - 1
        return (f"{file}: message {number} (line {begins}) is not complete JSON: it ends at "
                f"line {line} column {column} without closing all its braces")
    return (f"{file}: message {number} (line {begins}) is not JSON: {err.msg} at line {line} "
            f"column {column}")


def _capture_messages(file: str, exchanges: list[Any]) -> list[Any]:
    """The messages of a QMP capture ``{"greeting(s)", "exchanges": [{"request", "replies"}]}``
    in order: each request (a JSON text or a value), then what QEMU answered."""
    messages: list[Any] = []
    for i, exchange in enumerate(exchanges):
        if not isinstance(exchange, dict):
            raise DiffInputError(f"{file}: a QMP capture whose exchange {i} is not an object")
        request = exchange.get("request")
        if isinstance(request, str):
            try:
                request = json.loads(request)
            except json.JSONDecodeError:
                request = None      # a deliberately malformed request: not ours to read
        messages.append(request)
        replies = exchange.get("replies", [exchange["reply"]] if "reply" in exchange else [])
        if not isinstance(replies, list):
            raise DiffInputError(f"{file}: a QMP capture whose exchange {i} has no list of "
                                 "replies")
        messages.extend(replies)
    return messages


def _looks_like_value(value: Any) -> bool:
    """Whether *value* has the shape of a query-qmp-schema value (checked in full later)."""
    return (isinstance(value, list) and bool(value)
            and all(isinstance(e, dict) and e.get("meta-type") in META_TYPES for e in value))


def _schema_reply(file: str, messages: list[Any], what: str) -> Any:
    """The reply to query-qmp-schema among QMP *messages*: the one answering a request
    ``{"execute": "query-qmp-schema"}`` (by its id, else the next reply), else -- a file of
    replies only -- the one reply whose value has a query-qmp-schema value's shape."""
    def is_reply(m: Any) -> bool:
        return isinstance(m, dict) and ("return" in m or "error" in m)

    for i, m in enumerate(messages):
        if isinstance(m, dict) and m.get("execute") == "query-qmp-schema":
            replies = [r for r in messages[i + 1:] if is_reply(r)]
            if "id" in m:
                replies = [r for r in replies if r.get("id") == m["id"]]
            if not replies:
                raise DiffInputError(f"{file}: {what} with a query-qmp-schema request but no "
                                     "reply to it")
            return replies[0]
    found = [m for m in messages if is_reply(m) and _looks_like_value(m.get("return"))]
    if not found:
        raise DiffInputError(f"{file}: {what} ({len(messages)} messages) without a "
                             "query-qmp-schema reply")
    if any(m["return"] != found[0]["return"] for m in found[1:]):
        raise DiffInputError(f"{file}: {what} with {len(found)} different query-qmp-schema "
                             "replies")
    return found[0]


def _symbols(file: str, options: BuildOptions) -> set[str]:
    defined = set(options.defines)
    if options.target is None:
        return defined
    from qapic.qemu_tree import QemuTreeError, find_tree, read_target_table

    tree = options.qemu_src or find_tree(Path(file).parent)
    if tree is None:
        raise DiffUsageError(f"{file}: not inside a QEMU source tree, so --target needs "
                             "--qemu-src DIR")
    try:
        table = read_target_table(tree)
    except (QemuTreeError, OSError) as err:
        raise DiffInputError(f"{file}: {_one_line(str(err))}") from None
    try:
        defined |= table.get(options.target).symbols
    except KeyError:
        raise DiffUsageError(f"{file}: unknown target '{options.target}' (known: "
                             f"{', '.join(table.names())})") from None
    return defined


def _from_schema(file: str, options: BuildOptions) -> Side:
    """The QAPI schema *file* built with *options*: query-qmp-schema's value for that build."""
    # Imported by name: the frontend is optional for query-qmp-schema values.
    try:
        frontend = importlib.import_module("qapic.frontend")
        introspect: Callable[..., Any] = importlib.import_module(
            "qapic.schema_info").introspect
        load_schema: Callable[..., Any] = frontend.load_schema
        qapi_error: type[Exception] = frontend.QAPIError
    except (ImportError, AttributeError):
        raise DiffInputError(f"{file}: is a QAPI schema, but qapic's schema frontend is not "
                             "available in this installation") from None
    try:
        overlay = None
        if options.conditions is not None:
            overlay = frontend.load_overlay(options.conditions)
    except qapi_error as err:
        raise DiffInputError(_one_line(str(err))) from None
    try:
        try:
            schema = load_schema(file, lenient_docs=options.lenient_docs, overlay=overlay)
        except qapi_error:
            if options.lenient_docs:
                raise
            # Doc comments do not matter to a diff: those written to an older QEMU's rules
            # (7.2) are read as --lenient-docs reads them; the interface rules stay strict.
            schema = load_schema(file, lenient_docs=True, overlay=overlay)
            from qapic.userio import warn_once
            warn_once("diff", f"{file}: its doc comments follow an older QEMU's rules (e.g. "
                      "7.2); read as with --lenient-docs, since a diff does not depend on them")
    except qapi_error as err:
        lines = [ln for ln in str(err).splitlines() if ln.strip()]
        msg = lines[-1] if lines else "invalid schema"
        if file not in msg:
            msg = f"{file}: {msg}"
        raise DiffInputError(f"{msg}") from None
    except OSError as err:
        raise DiffInputError(f"{file}: {_one_line(str(err))}") from None
    defined: Collection[str] = _symbols(file, options)     # after: a schema error wins
    from qapic.qemu_tree import QemuTreeError, find_tree, read_target_table
    from qapic.userio import warn_unused_symbols

    warn_unused_symbols("diff", schema, options.defines)
    tree = options.qemu_src or find_tree(Path(file).parent)
    if options.target is not None:
        from qapic.options import warn_without_target_conditions

        warn_without_target_conditions("diff", schema, tree)
    side = Side(file, _check_value(file, introspect(schema, defined)), target=options.target,
                schema=schema, defined=frozenset(defined), options=options)
    if tree is not None:
        with contextlib.suppress(QemuTreeError, OSError):
            side.table = read_target_table(tree)
        with contextlib.suppress(OSError):
            side.release = (tree / "VERSION").read_text(encoding="utf-8").strip() or None
    return side


# --- a schema built as a captured interface shows ---------------------------------------------


def build_like(schema_side: Side, other: Side, other_name: str, schema_is_a: bool) -> None:
    """Build *schema_side* (a QAPI schema given without ``--define``) as the query-qmp-schema
    value *other* shows it was built: the target its query-target names (unless ``--target``
    was given), and the build-time symbols that bring the schema's value closest to *other*
    (fewest changes between the two).  Without it, every symbol a capture's build defined
    (``CONFIG_LINUX``, ``CONFIG_POSIX``, ...) reads as a breaking change.  Says what it took in
    ``schema_side.taken``."""
    from qapic import schema_info as info
    from qapic.qmp.diff.compare import compare
    from qapic.userio import condition_symbols

    options = schema_side.options
    assert options is not None and schema_side.schema is not None
    taken = []
    target_syms: frozenset[str] = frozenset()
    if options.target is None and other.target and schema_side.table is not None:
        with contextlib.suppress(KeyError):
            target_syms = schema_side.table.get(other.target).symbols
            schema_side.target = other.target
            from qapic.options import warn_without_target_conditions
            from qapic.qemu_tree import find_tree

            warn_without_target_conditions(
                "diff", schema_side.schema,
                options.qemu_src or find_tree(Path(schema_side.file).parent))
    if options.target is not None:
        target_syms = frozenset(schema_side.defined)
    tree = info.schema_info(schema_side.schema)
    candidates = sorted(sym for sym in condition_symbols(schema_side.schema)
                        if not sym.startswith("TARGET_"))
    reach = _reach(tree)
    # Each symbol is judged on the commands and events whose value it can change (their own
    # condition, the types they reach): the same verdict as on the whole value, far cheaper.
    relevant = {sym: frozenset(name for name, (syms, _) in reach.items() if sym in syms)
                for sym in candidates}
    others = {name: e for name, e in other.value.entries.items()
              if e["meta-type"] not in ("command", "event")}

    def changes(names: frozenset[str], defined: frozenset[str]) -> int:
        types = set().union(*(reach[n][1] for n in names)) if names else set()
        part = [g for g in tree if isinstance(g.value, dict)
                and (g.value["name"] in names or g.value["name"] in types)]
        is_defined = (defined | target_syms).__contains__
        mine = Value.from_list(info.evaluate(part, is_defined))  # type: ignore[arg-type]
        theirs = Value({**others, **{n: e for n, e in other.value.entries.items()
                                     if n in names}})
        return len(compare(mine, theirs) if schema_is_a else compare(theirs, mine))

    def descend(start: frozenset[str]) -> tuple[int, frozenset[str]]:
        current, gained = start, 0
        improved = True
        while improved:
            improved = False
            for sym in candidates:
                names = relevant[sym]
                trial = current ^ {sym}
                delta = changes(names, trial) - changes(names, current)
                if delta < 0 or (delta == 0 and len(trial) < len(current)):
                    current, gained, improved = trial, gained + delta, True
        return gained, current

    # From nothing defined and from everything defined (conjunctions of symbols): the closer.
    results = [descend(frozenset()), descend(frozenset(candidates))]
    everything = frozenset(reach)
    scored = [(changes(everything, found), len(found), found) for _, found in results]
    found = min(scored, key=lambda r: (r[0], r[1]))[2]
    schema_side.defined = found | target_syms
    schema_side.value = Value.from_list(
        info.evaluate(tree, schema_side.defined.__contains__))  # type: ignore[arg-type]
    shown = " ".join(sorted(found)) or "none"
    taken.append(f"defined as {other_name} shows: {shown} (-D chooses)")
    schema_side.taken = "; ".join(taken)
    schema_side.built_like = other_name


def _reach(tree: list[Any]) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """For each command and event of a schema_info *tree*: the symbols of every condition its
    value depends on (its own, those inside the types it reaches) and the names of those
    types."""
    from qapic.schema_info import Guarded

    by_name = {g.value["name"]: g for g in tree if isinstance(g.value, dict)}
    refs = ("arg-type", "ret-type", "element-type", "type")

    def walk(node: Any, syms: set[str], types: list[str]) -> None:
        if isinstance(node, Guarded):
            syms.update(node.ifcond.symbols())
            walk(node.value, syms, types)
        elif isinstance(node, list):
            for item in node:
                walk(item, syms, types)
        elif isinstance(node, dict):
            for key, item in node.items():
                if key in refs and isinstance(item, str):
                    types.append(item)
                else:
                    walk(item, syms, types)

    own: dict[str, tuple[set[str], list[str]]] = {}
    for name, g in by_name.items():
        syms: set[str] = set(g.ifcond.symbols())
        types: list[str] = []
        walk(g.value, syms, types)
        own[name] = (syms, types)
    out = {}
    for name, g in by_name.items():
        if g.value["meta-type"] not in ("command", "event"):
            continue
        syms, seen, todo = set(own[name][0]), set(), list(own[name][1])
        while todo:
            typ = todo.pop()
            if typ in seen or typ not in own:
                continue
            seen.add(typ)
            syms |= own[typ][0]
            todo.extend(own[typ][1])
        out[name] = (frozenset(syms), frozenset(seen))
    return out

