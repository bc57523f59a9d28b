"""What every package ``qapic bindings`` generates runs on: values, errors, the wire codec and
availability.  Standard library only.

The package's generated modules hold the schema of each QEMU release it serves as plain tuples
(``_r<release>.py``, read by :class:`Release`) and one Python class per struct, union branch,
command's arguments and event (``types.py``).  This module turns Python values into QMP's JSON
and back by those tables (:class:`Codec`), checking every value against the schema on the way,
and decides where something exists (:func:`holds`, :meth:`Release.exists`).

Descriptor shapes (one release's ``TYPES`` values)::

    ("builtin", NAME)                    # str, int, int8 ... uint64, size, number, bool, null, any
    ("enum", ((VALUE, COND, FEATURES), ...))
    ("array", ELEMENT)
    ("object", MEMBERS, TAG, BRANCHES, FEATURES)
        MEMBERS  = ((WIRE, PYTHON, TYPE, OPTIONAL, COND, FEATURES), ...)   # base members first
        TAG      = the discriminator's wire name, or None
        BRANCHES = ((VALUE, TYPE, COND), ...)
    ("alternate", ((TYPE, COND), ...))

COND is a condition in the schema's own spelling (``None``, ``'SYM'``, ``{'all': [...]}``,
``{'any': [...]}``, ``{'not': ...}``); FEATURES is ``((NAME, COND), ...)``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeAlias, TypeVar

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"
"""A JSON value as :mod:`json` reads it."""

Cond: TypeAlias = Any
"""A condition in the schema's spelling (see the module's docstring)."""


# --- values ---------------------------------------------------------------------------------


class Null:
    """JSON null where QAPI's schema places a value: a ``'null'`` member or the null branch of an
    alternate such as ``StrOrNull``, and a null ``'any'`` value (nulls *inside* an ``'any'``
    value stay ``None``).  ``None`` means an absent optional member."""

    _instance: ClassVar[Null | None] = None

    def __new__(cls) -> Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False


NULL = Null()


class Struct:
    """The base of every generated class: a QAPI object value.

    ``_fields`` names its members' Python attributes (base members first); members a newer QEMU
    sent that the schema does not know are kept (:func:`unknown_members`).
    """

    __slots__ = ("_unknown",)
    _fields: ClassVar[tuple[str, ...]] = ()
    _qapi_name: ClassVar[str] = ""
    _unknown: dict[str, JSON] | None

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f, None) == getattr(other, f, None)
                   for f in self._fields) and (
            unknown_members(self) == unknown_members(other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{f}={getattr(self, f)!r}" for f in self._fields
                 if getattr(self, f, None) is not None]
        return f"{type(self).__name__}({', '.join(parts)})"


def unknown_members(value: Struct) -> dict[str, JSON]:
    """The members of *value* that QEMU sent and the schema does not know (a newer QEMU adds
    members), by wire name; empty for values built in Python."""
    return dict(getattr(value, "_unknown", None) or {})


class Event(Struct):
    """An event: its data's members are attributes; ``timestamp`` is QEMU's
    ``(seconds, microseconds)`` when it sent it (``None`` for events built in Python)."""

    __slots__ = ("timestamp",)
    _event_name: ClassVar[str] = ""
    timestamp: tuple[int, int] | None


# --- errors and warnings ----------------------------------------------------------------------


class SchemaError(ValueError):
    """A value that breaks the schema; *path* says where (``arguments.driver``,
    ``return[2].inserted``) and the message starts with what was being checked."""

    def __init__(self, what: str, path: str, problem: str) -> None:
        self.what = what
        self.path = path
        self.problem = problem
        super().__init__(f"{what}: {path}: {problem}" if path else f"{what}: {problem}")


class DecodeError(SchemaError):
    """JSON (a request, a reply, an event) that breaks the schema."""


class EncodeError(SchemaError):
    """A Python value that breaks the schema; nothing was sent."""


class NotAvailable(Exception):
    """Something the QEMU in front of the client does not have; nothing was sent."""

    def __init__(self, message: str, name: str, where: Mapping[str, Sequence[str]]) -> None:
        super().__init__(message)
        self.name = name
        self.where = dict(where)
        """Where it exists: release -> targets."""


class CommandNotAvailable(NotAvailable):
    """A command this QEMU does not have (this target, this release or this build)."""


class MemberNotAvailable(NotAvailable):
    """A member, enum value or branch this QEMU does not have."""


class QMPDeprecationWarning(DeprecationWarning):
    """Use of an item with the ``deprecated`` feature."""


class QMPUnstableWarning(FutureWarning):
    """Use of an item with the ``unstable`` feature."""


_WARNINGS = {"deprecated": QMPDeprecationWarning, "unstable": QMPUnstableWarning}


def _warn_features(features: Sequence[tuple[str, Cond]], what: str) -> None:
    for name, _cond in features:
        category = _WARNINGS.get(name)
        if category is not None:
            warnings.warn(f"{what} is {name}", category, stacklevel=4)


# --- conditions ---------------------------------------------------------------------------------


def holds(cond: Cond, defined: Callable[[str], bool]) -> bool:
    """Whether *cond* holds in a build that defines exactly the symbols *defined* accepts."""
    if cond is None:
        return True
    if isinstance(cond, str):
        return defined(cond)
    ((op, arg),) = cond.items()
    if op == "not":
        return not holds(arg, defined)
    if op == "all":
        return all(holds(c, defined) for c in arg)
    return any(holds(c, defined) for c in arg)


def maybe(cond: Cond, known: Callable[[str], bool | None]) -> bool | None:
    """*cond* with some symbols unknown (``None``): True, False, or None when it depends on them."""
    if cond is None:
        return True
    if isinstance(cond, str):
        return known(cond)
    ((op, arg),) = cond.items()
    if op == "not":
        value = maybe(arg, known)
        return None if value is None else not value
    values = [maybe(c, known) for c in arg]
    if op == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def _conjoin(*conds: Cond) -> Cond:
    parts = [c for c in conds if c is not None]
    return None if not parts else parts[0] if len(parts) == 1 else {"all": parts}


# --- one release -----------------------------------------------------------------------------


class Release:
    """The schema of one QEMU release, as the package holds it (module ``_r<key>``)."""

    def __init__(self, key: str, table: Any) -> None:
        self.key = key
        self.types: dict[str, tuple[Any, ...]] = table.TYPES
        self.commands: dict[str, tuple[Any, ...]] = table.COMMANDS
        self.events: dict[str, tuple[Any, ...]] = table.EVENTS
        self.targets: dict[str, frozenset[str]] = {
            name: frozenset(symbols) for name, symbols in table.TARGETS.items()}
        self.type_conds: dict[str, Cond] = table.CONDS

    def __repr__(self) -> str:
        return f"<QEMU {self.key} schema>"

    def condition(self, name: str, part: str | None = None) -> Cond:
        """The condition of a command, event or type *name* (and of its member, enum value or
        branch *part*); KeyError when the release has no such thing."""
        if name in self.commands:
            cond: Cond = self.commands[name][3]
            if part is None:
                return cond
            args = self.commands[name][0]
            if args is None:
                raise KeyError(part)
            return _conjoin(cond, self._part(args, part))
        if name in self.events:
            cond = self.events[name][2]
            if part is None:
                return cond
            args = self.events[name][0]
            if args is None:
                raise KeyError(part)
            return _conjoin(cond, self._part(args, part))
        if name not in self.types:
            raise KeyError(name)
        cond = self.type_conds.get(name)
        return cond if part is None else _conjoin(cond, self._part(name, part))

    def _part(self, typ: str, part: str) -> Cond:
        desc = self.types[typ]
        if desc[0] == "enum":
            for value, cond, _f in desc[1]:
                if value == part:
                    return cond
        elif desc[0] == "object":
            for m in desc[1]:
                if m[0] == part:
                    return m[4]
            for value, _t, cond in desc[3]:
                if value == part:
                    return cond
        raise KeyError(part)

    def symbols(self, target: str, defines: Iterable[str] = ()) -> frozenset[str]:
        """The symbols a build of *target* defines: its ``TARGET_*`` and *defines*."""
        try:
            return self.targets[target] | frozenset(defines)
        except KeyError:
            raise ValueError(f"QEMU {self.key} has no target '{target}' "
                             f"(it has: {', '.join(sorted(self.targets))})") from None

    def exists(self, name: str, part: str | None, target: str, defines: Iterable[str]) -> bool:
        try:
            cond = self.condition(name, part)
        except KeyError:
            return False
        return holds(cond, self.symbols(target, defines).__contains__)

    def where(self, name: str, part: str | None = None,
              defines: Iterable[str] | None = None) -> tuple[str, ...]:
        """The targets on which *name* (and *part*) can exist: ``TARGET_*`` decided per target,
        other symbols open unless *defines* is given (then exactly those are defined)."""
        try:
            cond = self.condition(name, part)
        except KeyError:
            return ()
        given = None if defines is None else frozenset(defines)
        found = []
        for target, symbols in self.targets.items():
            def known(sym: str, symbols: frozenset[str] = symbols) -> bool | None:
                if sym.startswith("TARGET_"):
                    return sym in symbols
                return None if given is None else sym in given
            if maybe(cond, known) is not False:
                found.append(target)
        return tuple(found)


class Releases:
    """The releases a package serves, loaded on first use, newest last."""

    def __init__(self, package: str, keys: Sequence[str],
                 classes: Callable[[], Mapping[str, Any]]) -> None:
        self.package = package
        self.keys = tuple(keys)
        self._classes = classes
        self._loaded: dict[str, Release] = {}
        self._codecs: dict[str, Codec] = {}

    def get(self, key: str | None = None) -> Release:
        """Release *key* (``"10.0"``); the newest with None."""
        if key is None:
            key = self.keys[-1]
        found = self._loaded.get(key)
        if found is None:
            if key not in self.keys:
                raise ValueError(f"this package has no QEMU {key} "
                                 f"(it has: {', '.join(self.keys)})")
            module = importlib.import_module(f"{self.package}._r{key.replace('.', '_')}")
            found = self._loaded[key] = Release(key, module)
        return found

    def codec(self, key: str | None = None) -> Codec:
        release = self.get(key)
        codec = self._codecs.get(release.key)
        if codec is None:
            codec = self._codecs[release.key] = Codec(release, self._classes(), self._elsewhere)
        return codec

    def _elsewhere(self, typ: str, py: str) -> tuple[str, dict[str, tuple[str, ...]]] | None:
        """The wire name of type *typ*'s member *py* in a release that has it, and where it
        exists."""
        for key in self.keys:
            desc = self.get(key).types.get(typ)
            if desc is None or desc[0] != "object":
                continue
            members = list(desc[1])
            for _value, btyp, _cond in desc[3]:
                members += self.get(key).types[btyp][1]
            for m in members:
                if m[1] == py:
                    return m[0], self.where(typ, m[0])
        return None

    def for_version(self, major: int, minor: int) -> str:
        """The release for a QEMU reporting *major*.*minor*: the same series, else the newest
        older one the package has, else the oldest."""
        def number(key: str) -> tuple[int, int]:
            a, b = key.split(".")
            return int(a), int(b)
        older = [k for k in self.keys if number(k) <= (major, minor)]
        return max(older, key=number) if older else min(self.keys, key=number)

    def exists(self, name: str, part: str | None = None, *, target: str,
               defines: Iterable[str] = (), release: str | None = None) -> bool:
        return self.get(release).exists(name, part, target, defines)

    def where(self, name: str, part: str | None = None,
              defines: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
        found = {}
        for key in self.keys:
            targets = self.get(key).where(name, part, defines)
            if targets:
                found[key] = targets
        return found


def describe_where(where: Mapping[str, Sequence[str]]) -> str:
    """``QEMU 10.0 on i386, x86_64; QEMU 10.2 on i386, x86_64``, or ``nowhere``."""
    if not where:
        return "no QEMU this package knows"
    return "; ".join(f"QEMU {key} on {', '.join(targets)}" for key, targets in where.items())


# --- the codec ------------------------------------------------------------------------------

_INT_RANGES = {
    "int": (-(2**63), 2**63 - 1), "int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1), "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
    "size": (0, 2**64 - 1),
}


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Fail(Exception):
    """A value that breaks the schema, and where: the steps of its path are added as the
    failure travels up (a value that is fine costs no path)."""

    def __init__(self, problem: str, absent: tuple[str, str] | None = None) -> None:
        self.problem = problem
        self.steps: list[str] = []
        self.absent = absent
        """A member given in Python that this release does not have: (owner type, Python
        name)."""

    def at(self, step: str) -> _Fail:
        self.steps.append(step)
        return self

    def path(self, base: str) -> str:
        path = base + "".join(reversed(self.steps))
        return path[1:] if path.startswith(".") else path


Decoder = Callable[[JSON, bool], Any]

_BUILTIN_NAMES = {"bool": "boolean"}


class Codec:
    """Python values to QMP JSON and back, by one release's tables.  A decoder per type is made
    on first use and kept: decoding a large reply (``query-qmp-schema``) runs no table lookup
    per value."""

    def __init__(self, release: Release, classes: Mapping[str, Any],
                 elsewhere: Callable[[str, str], tuple[str, dict[str, tuple[str, ...]]] | None]
                 = lambda _typ, _py: None) -> None:
        self.release = release
        self.types = release.types
        self.classes = classes
        self.elsewhere = elsewhere
        """(type, Python name) -> (wire name, where) of a member other releases have."""
        self._decoders: dict[str, Decoder] = {}
        self._branch_of: dict[str, dict[str, list[tuple[str, str, str]]]] = {}

    # -- decoding --

    def decode(self, what: str, typ: str | None, value: JSON, path: str,
               strict: bool = False, event: str | None = None) -> Any:
        """*value* as the Python value of *typ*; *strict* refuses members the schema does not
        know (a request), else they are kept (a reply, an event)."""
        try:
            if event is not None:
                if typ is not None:
                    key = f"event:{event}"
                    dec = self._decoders.get(key)
                    if dec is None:
                        dec = self._decoders[key] = self._object_decoder(typ, key)
                    return dec(value, strict)
                cls = self.classes[f"event:{event}"]
                obj = cls.__new__(cls)
                obj._unknown = dict(value) if isinstance(value, dict) and value else None
                return obj
            if typ is None:
                if value not in ({}, None):
                    raise _Fail(f"{_shown(value)} where nothing is expected")
                return None
            return self.decoder(typ)(value, strict)
        except _Fail as fail:
            raise DecodeError(what, fail.path(path), fail.problem) from None

    def decoder(self, typ: str) -> Decoder:
        """The decoder of type *typ*."""
        found = self._decoders.get(typ)
        if found is None:
            found = self._decoders[typ] = self._make_decoder(typ)
        return found

    def _make_decoder(self, typ: str) -> Decoder:
        desc = self.types[typ]
        kind = desc[0]
        if kind == "builtin":
            return _builtin_decoder(desc[1])
        if kind == "enum":
            values = frozenset(v[0] for v in desc[1])

            def enum(value: JSON, strict: bool) -> Any:
                if value.__class__ is str and value in values:
                    return value
                raise _Fail(f"{_shown(value)} is not a {typ}")
            return enum
        if kind == "array":
            elem = desc[1]

            def array(value: JSON, strict: bool) -> Any:
                if value.__class__ is not list:
                    raise _Fail(f"{_shown(value)} is not a list of {elem}")
                dec = self.decoder(elem)
                out = []
                for i, v in enumerate(value):
                    try:
                        out.append(dec(v, strict))
                    except _Fail as fail:
                        raise fail.at(f"[{i}]") from None
                return out
            return array
        if kind == "object":
            return self._object_decoder(typ, typ)
        return self._alternate_decoder(typ, desc)

    def _object_decoder(self, typ: str, key: str) -> Decoder:
        desc = self.types[typ]
        if desc[2] is not None:
            return self._union_decoder(typ, key)
        return self._members_decoder(typ, desc[1], self.classes[key])

    def _members_decoder(self, typ: str, members: Sequence[tuple[Any, ...]],
                         cls: Any) -> Decoder:
        plan = tuple((m[0], m[1], m[2], m[3]) for m in members)
        known = frozenset(m[0] for m in members)
        # Members of other releases (a package of several): absent here, None.
        others = tuple(f for f in getattr(cls, "_fields", ()) if f not in {m[1] for m in plan})
        decoders = self._decoders
        get_decoder = self.decoder
        new = cls.__new__

        def decode_object(value: JSON, strict: bool) -> Any:
            if value.__class__ is not dict:
                raise _Fail(f"{_shown(value)} is not an object ({typ})")
            obj = new(cls)
            seen = 0
            for wire, py, mtyp, optional in plan:
                if wire in value:
                    seen += 1
                    dec = decoders.get(mtyp) or get_decoder(mtyp)
                    try:
                        setattr(obj, py, dec(value[wire], strict))
                    except _Fail as fail:
                        raise fail.at(f".{wire}") from None
                elif optional:
                    setattr(obj, py, None)
                else:
                    raise _Fail(f"member '{wire}' is missing")
            for py in others:
                setattr(obj, py, None)
            if seen != len(value):
                unknown = {k: v for k, v in value.items()
                           if k not in known}
                if strict:
                    name = next(iter(unknown))
                    if typ.startswith("q_obj_") and typ.endswith("-arg"):
                        problem = f"{typ[6:-4]} has no argument '{name}'"
                    else:
                        problem = f"{typ} has no member '{name}'"
                    raise _Fail(problem).at(f".{name}")
                obj._unknown = unknown
            else:
                obj._unknown = None
            return obj
        return decode_object

    def _union_decoder(self, typ: str, key: str) -> Decoder:
        """A union's value: its tag picks the branch (whose type may be a union again), each
        branch's decoder made on first use."""
        branches: dict[str, Decoder] = {}

        def branch_decoder(value: dict[str, JSON]) -> Decoder:
            desc = self.types[typ]
            members = desc[1]
            chain = []
            while desc[2] is not None:
                tag = desc[2]
                tag_value = value.get(tag)
                branch = next((b for b in desc[3] if b[0] == tag_value), None)
                if branch is None:
                    if tag not in value:
                        raise _Fail(f"member '{tag}' is missing")
                    raise _Fail(f"{_shown(tag_value)} is not a {self._tag_type(desc)}").at(
                        f".{tag}")
                chain.append(branch[0])
                desc = self.types[branch[1]]
                members = members + desc[1]
            name = "/".join([key, *chain])
            found = branches.get(name)
            if found is None:
                found = branches[name] = self._members_decoder(typ, members,
                                                               self.classes[name])
            return found

        def decode_union(value: JSON, strict: bool) -> Any:
            if value.__class__ is not dict:
                raise _Fail(f"{_shown(value)} is not an object ({typ})")
            return branch_decoder(value)(value, strict)
        return decode_union

    def _tag_type(self, desc: tuple[Any, ...]) -> str:
        for m in desc[1]:
            if m[0] == desc[2]:
                return str(m[2])
        return "tag"

    def _alternate_decoder(self, typ: str, desc: tuple[Any, ...]) -> Decoder:
        def alternate(value: JSON, strict: bool) -> Any:
            kind = _json_kind(value)
            for alt, _cond in desc[1]:
                if self._takes(alt, kind):
                    return self.decoder(alt)(value, strict)
            raise _Fail(f"{_shown(value)} is not a {typ}")
        return alternate

    def _takes(self, typ: str, kind: str) -> bool:
        desc = self.types[typ]
        if desc[0] == "builtin":
            return {"str": "string", "number": "number", "bool": "boolean", "null": "null",
                    "any": kind}.get(desc[1], "number") == kind
        return {"enum": "string", "array": "array", "object": "object"}.get(desc[0]) == kind

    # -- encoding --

    def encode(self, what: str, typ: str | None, value: object, path: str) -> JSON:
        """The JSON of *value* as a *typ*, checked against the schema."""
        try:
            if typ is None:
                if value is not None:
                    raise _Fail(f"{_shown(value)} where nothing is expected")
                return None
            return self._enc(typ, value)
        except _Fail as fail:
            raise self._error(what, fail, path) from None

    def _error(self, what: str, fail: _Fail, base: str) -> Exception:
        if fail.absent is None:
            return EncodeError(what, fail.path(base), fail.problem)
        owner, py = fail.absent
        found = self.elsewhere(owner, py)
        if found is None:
            shown = f"{owner[6:-4]} has no argument" if owner.startswith("q_obj_") and \
                owner.endswith("-arg") else f"{owner} has no member"
            return EncodeError(what, fail.at(f".{py}").path(base), f"{shown} '{py}'")
        wire, where = found
        return MemberNotAvailable(
            f"{what}: {fail.at(f'.{wire}').path(base)}: member '{wire}' is not in QEMU "
            f"{self.release.key}; it exists in {describe_where(where)}", f"{owner}.{wire}",
            where)

    def encode_event(self, name: str, value: object) -> dict[str, JSON]:
        """The ``data`` of event *name* whose value (an event class's instance) is *value*."""
        typ = self.release.events[name][0]
        if typ is None:
            return self._kept(value, {})
        try:
            return self._kept(value, self._members(
                self.types[typ][1], lambda py: getattr(value, py, None), name,
                typ, _given(value)))
        except _Fail as fail:
            raise self._error(name, fail, "data") from None

    def encode_members(self, what: str, typ: str | None, values: Mapping[str, object],
                       extra: Mapping[str, object] | None = None) -> dict[str, JSON]:
        """The JSON object of *typ*'s members given by Python name in *values* (None: absent);
        *extra* wire members pass as they are (a command with ``'gen': false``).  *typ* None:
        command *what* takes no arguments in this release, and *values* must give none."""
        members = self.types[typ][1] if typ is not None else ()
        owner = typ if typ is not None else f"q_obj_{what}-arg"
        try:
            out = self._members(members, values.get, what, owner,
                                [k for k, v in values.items() if v is not None])
        except _Fail as fail:
            raise self._error(what, fail, "arguments") from None
        if extra:
            out.update(extra)       # type: ignore[arg-type]
        return out

    def _members(self, members: Sequence[tuple[Any, ...]], get: Callable[[str], object],
                 what: str, owner: str, given: Iterable[str]) -> dict[str, JSON]:
        """The JSON of *members* (their values by Python name from *get*); *given* names every
        Python name with a value, each of which must be a member here."""
        names = {m[1] for m in members}
        for py in given:
            if py not in names:
                raise _Fail("", absent=(owner, py))
        out: dict[str, JSON] = {}
        for wire, py, mtyp, optional, _cond, feats in members:
            v = get(py)
            if v is None:
                if not optional:
                    raise _Fail(f"member '{wire}' is missing")
                continue
            if feats:
                _warn_features(feats, f"member '{wire}' of {what}")
            try:
                out[wire] = self._enc(mtyp, v)
            except _Fail as fail:
                raise fail.at(f".{wire}") from None
        return out

    def _enc(self, typ: str, value: object) -> JSON:
        desc = self.types[typ]
        kind = desc[0]
        if kind == "builtin":
            return self._enc_builtin(desc[1], value)
        if kind == "enum":
            for v, _cond, feats in desc[1]:
                if v == value:
                    if feats:
                        _warn_features(feats, f"{typ} value '{v}'")
                    return str(v)
            raise _Fail(f"{_shown(value)} is not a {typ}")
        if kind == "array":
            if not isinstance(value, list | tuple):
                raise _Fail(f"{_shown(value)} is not a list of {desc[1]}")
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(self._enc(desc[1], v))
                except _Fail as fail:
                    raise fail.at(f"[{i}]") from None
            return out
        if kind == "object":
            return self._enc_object(typ, desc, value)
        for alt, _cond in desc[1]:
            if self._accepts(alt, value):
                return self._enc(alt, value)
        raise _Fail(f"{_shown(value)} is not a {typ}")

    def _enc_builtin(self, name: str, value: object) -> JSON:
        if name == "str":
            if isinstance(value, str):
                return value
        elif name in _INT_RANGES:
            if isinstance(value, int) and not isinstance(value, bool):
                low, high = _INT_RANGES[name]
                if low <= value <= high:
                    return value
                raise _Fail(f"{value} is out of range for {name}")
        elif name == "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
        elif name == "bool":
            if isinstance(value, bool):
                return value
        elif name == "null":
            if value is NULL:
                return None
        else:
            return None if value is NULL else _checked_json(value)
        raise _Fail(f"{_shown(value)} is not a {_BUILTIN_NAMES.get(name, name)}")

    def _enc_object(self, typ: str, desc: tuple[Any, ...], value: object) -> JSON:
        cls = self.classes[typ]
        if not isinstance(value, cls):
            raise _Fail(f"{_shown(value)} is not a {cls.__name__}")
        if desc[2] is None:
            return self._kept(value, self._members(
                desc[1], lambda py: getattr(value, py, None), typ, typ, _given(value)))
        chain = self._branch(typ, type(value).__name__)
        if chain is None:
            raise _Fail(f"a {cls.__name__} must be one of its branch classes "
                        f"({cls.__name__}_...)")
        members = desc[1]
        tags: dict[str, str] = {}
        for tag, tag_value, branch_typ in chain:
            tag_py = next(m[1] for m in members if m[0] == tag)
            given = getattr(value, tag_py, None)
            if given is not None and given != tag_value:
                raise _Fail(f"{_shown(given)} is not the branch of "
                            f"{type(value).__name__}").at(f".{tag}")
            tags[tag_py] = tag_value
            members = members + self.types[branch_typ][1]
        return self._kept(value, self._members(
            members, lambda py: tags.get(py, getattr(value, py, None)), typ, typ,
            _given(value)))

    @staticmethod
    def _kept(value: object, out: dict[str, JSON]) -> dict[str, JSON]:
        """*out* with the members QEMU sent in *value* that the schema does not know (a
        decoded reply encodes back to what was received)."""
        unknown = getattr(value, "_unknown", None)
        if unknown:
            out.update(unknown)
        return out

    def _branch(self, typ: str, class_name: str) -> list[tuple[str, str, str]] | None:
        """The tags, values and branch types that the branch class *class_name* of union
        *typ* stands for."""
        table = self._branch_of.get(typ)
        if table is None:
            table = self._branch_of[typ] = {}
            self._walk_branches(typ, typ, [], table)
        return table.get(class_name)

    def _walk_branches(self, typ: str, key: str, chain: list[tuple[str, str, str]],
                       table: dict[str, list[tuple[str, str, str]]]) -> None:
        desc = self.types[typ]
        for value, btyp, _cond in desc[3]:
            step = [*chain, (desc[2], value, btyp)]
            if self.types[btyp][2] is not None:
                self._walk_branches(btyp, f"{key}/{value}", step, table)
            elif (cls := self.classes.get(f"{key}/{value}")) is not None:
                table[cls.__name__] = step

    def _accepts(self, typ: str, value: object) -> bool:
        """Whether an alternate's branch *typ* is the one for Python *value*."""
        desc = self.types[typ]
        kind = desc[0]
        if kind == "builtin":
            name = desc[1]
            if name == "str":
                return isinstance(value, str)
            if name == "bool":
                return isinstance(value, bool)
            if name == "null":
                return value is NULL
            if name == "number":
                return isinstance(value, int | float) and not isinstance(value, bool)
            if name == "any":
                return True
            return isinstance(value, int) and not isinstance(value, bool)
        if kind == "enum":
            return isinstance(value, str)
        if kind == "array":
            return isinstance(value, list | tuple)
        return isinstance(value, Struct)


def _given(value: object) -> list[str]:
    """The Python names of the members *value* (a generated class's instance) has a value
    for."""
    return [f for f in getattr(value, "_fields", ()) if getattr(value, f, None) is not None]


def _builtin_decoder(name: str) -> Decoder:
    shown = _BUILTIN_NAMES.get(name, name)
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]

        def integer(value: JSON, strict: bool) -> Any:
            if value.__class__ is int:
                if low <= value <= high:
                    return value
                raise _Fail(f"{value} is out of range for {name}")
            raise _Fail(f"{_shown(value)} is not a {shown}")
        return integer
    accepted: tuple[type, ...] = {"str": (str,), "number": (int, float), "bool": (bool,),
                                  "null": (type(None),)}.get(name, ())

    def builtin(value: JSON, strict: bool) -> Any:
        if not accepted:        # any: a null at its top is NULL (None is an absent member)
            return NULL if value is None else value
        if value.__class__ in accepted:
            return NULL if value is None else value
        raise _Fail(f"{_shown(value)} is not a {shown}")
    return builtin


def _checked_json(value: object) -> JSON:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        out = []
        for i, v in enumerate(value):
            try:
                out.append(_checked_json(v))
            except _Fail as fail:
                raise fail.at(f"[{i}]") from None
        return out
    if isinstance(value, dict):
        obj: dict[str, JSON] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise _Fail(f"key {_shown(k)} is not a string")
            try:
                obj[k] = _checked_json(v)
            except _Fail as fail:
                raise fail.at(f".{k}") from None
        return obj
    raise _Fail(f"{_shown(value)} is not JSON")


F = TypeVar("F", bound=Callable[..., Any])


def deprecated_marker(message: str) -> Callable[[F], F]:
    """What ``@deprecated(...)`` is at run time in the generated client: nothing (type checkers
    see ``typing_extensions.deprecated``; the client warns when the command is called)."""
    def mark(func: F) -> F:
        return func
    return mark
