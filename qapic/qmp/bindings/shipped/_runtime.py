"""What every package ``qapic bindings`` generates runs on: values, errors, the wire codec and
availability.  Standard library only.

The package's generated modules hold the schema of each QEMU release it serves as plain tuples
(``_r<release>.py``, read by :class:`Release`) and one Python class per struct, union branch,
command's arguments and event (``types.py``).  :mod:`._codec` turns Python values into QMP's JSON
and back by those tables, checking every value against the schema on the way; this module holds
the values, errors and warnings, and decides where something exists (:func:`holds`,
:meth:`Release.exists`).

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
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar

if TYPE_CHECKING:
    from ._codec import Codec

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
        from ._codec import Codec

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


F = TypeVar("F", bound=Callable[..., Any])


def deprecated_marker(message: str) -> Callable[[F], F]:
    """What ``@deprecated(...)`` is at run time in the generated client: nothing (type checkers
    see ``typing_extensions.deprecated``; the client warns when the command is called)."""
    def mark(func: F) -> F:
        return func
    return mark
