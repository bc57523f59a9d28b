"""Immutable value objects without :mod:`dataclasses`.

``import dataclasses`` imports :mod:`inspect` (and with it :mod:`ast`, :mod:`dis`,
:mod:`tokenize`, ...), and each ``@dataclass`` compiles its methods when its module is imported:
together about 15 ms of every qapic command's start-up, a tenth of what ``qapic generate`` takes
after start-up on QEMU's schema.  The modules that every command imports therefore write their
value classes on :class:`Frozen` (immutable, compared and hashed by their fields) or as plain
classes (mutable records); the modules of single commands may use dataclasses.
"""

from __future__ import annotations

from typing import ClassVar


class Frozen:
    """An immutable object, equal to another of its class with the same fields and hashed by
    them: what a frozen dataclass would be.

    A subclass names its fields in ``_fields`` (in order) and declares them for the type
    checker; its ``__init__`` takes them typed, and passes their values, in ``_fields`` order, to
    ``Frozen.__init__``.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _key: tuple[object, ...] = ()       # the fields' values, in order

    def __init__(self, *values: object) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_key", values)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field '{name}': {type(self).__name__} is "
                             "immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field '{name}': {type(self).__name__} is immutable")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"
