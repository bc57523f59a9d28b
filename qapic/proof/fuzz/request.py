"""The request model of ``qapic fuzz``: a request's JSON tree (:data:`Node`, with :class:`Obj`
for objects whose keys may repeat and :class:`Raw` for text no Python value spells), its text
(:func:`render`), the bytes sent (:func:`wire`), and one generated :class:`Request`.

Shared by the random generator (:mod:`.generate`), the systematic plan (:mod:`.plan`), the
session that sends requests (:mod:`.session`) and the comparison and shrinking of answers
(:mod:`.run`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

#: The byte that resets QMP's JSON lexer, as a surrogateescape character.
RESET = "\udcff"


class Obj:
    """A JSON object as its members in order (so a key may appear twice)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[tuple[str, Node]] = ()) -> None:
        self.items: list[tuple[str, Node]] = list(items)

    def __iter__(self) -> Iterator[tuple[str, Node]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Obj) and other.items == self.items

    def __hash__(self) -> int:
        return hash(tuple(k for k, _ in self.items))

    def __repr__(self) -> str:
        return f"Obj({self.items!r})"


@dataclass(frozen=True)
class Raw:
    """JSON text written as is (numbers no Python value spells, e.g. ``1e999``, ``-0``)."""

    text: str


Node: TypeAlias = "bool | int | float | str | Raw | Obj | list[Node] | None"


def render(node: Node) -> str:
    """Compact JSON text of *node* (non-ASCII characters written as themselves)."""
    if isinstance(node, Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + render(v)
                              for k, v in node) + "}"
    if isinstance(node, list):
        return "[" + ",".join(render(v) for v in node) + "]"
    if isinstance(node, Raw):
        return node.text
    return json.dumps(node, ensure_ascii=False)


def wire(text: str) -> bytes:
    """The bytes sent for a request's *text* (surrogateescape characters become raw bytes)."""
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Request:
    """One generated request: its text and, unless it is a raw mutation, its tree."""

    index: int
    kind: str           # "command", "event", "raw"
    text: str
    tree: Node = None

    @staticmethod
    def of(index: int, kind: str, tree: Node) -> Request:
        return Request(index, kind, render(tree), tree)
