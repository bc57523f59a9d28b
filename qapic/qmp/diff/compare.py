"""Structural comparison of two query-qmp-schema values (the engine of ``qapic diff``).

Type names in a query-qmp-schema value are masked numbers that differ between builds, so types
are never matched by name: the walk starts at the commands and events (matched by name) and
follows, in both values at once, ``arg-type``/``ret-type``, object members by name, union
variants by case, array element types, alternate branches by JSON kind and enum values by
name.  Each pair of types (A's, B's) is compared once per direction (data sent to QEMU: command
arguments; data received from QEMU: return values and event data); a difference found in a
type that is reached from several places is reported at the first place (commands, then events,
in name order) and lists the others in :attr:`Change.also`.

The compatibility rule (``breaking``) is documented in :mod:`qapic.qmp.diff`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Features that say something about the item's status rather than announce a capability:
# losing them does not take anything away from a client.
STATUS_FEATURES = frozenset({"deprecated", "unstable"})

EMPTY = "\0empty"          # a name no real entry has: the object type without members

Entry = dict[str, Any]
Key = tuple[str, str, bool]     # (A's type, B's type, in data sent to QEMU?)


@dataclass
class Value:
    """A query-qmp-schema value indexed by name (already validated: see qapic.qmp.diff.load)."""

    entries: dict[str, Entry]
    commands: dict[str, Entry] = field(init=False)
    events: dict[str, Entry] = field(init=False)

    def __post_init__(self) -> None:
        self.entries = dict(self.entries)
        self.entries[EMPTY] = {"name": EMPTY, "meta-type": "object", "members": []}
        self.commands = {n: e for n, e in self.entries.items() if e["meta-type"] == "command"}
        self.events = {n: e for n, e in self.entries.items() if e["meta-type"] == "event"}

    @classmethod
    def from_list(cls, value: Iterable[Entry]) -> Value:
        return cls({e["name"]: e for e in value})


@dataclass(frozen=True)
class Place:
    """Where something is: a command or event, and a path inside its arguments/return/data.

    *root* is ``""`` (the command or event itself), ``"argument"``, ``"return"`` or ``"data"``;
    *path* holds member names, ``[]`` (array element), ``{TAG=CASE}`` (union branch) and
    ``<KIND>`` (alternate branch)."""

    entity: str          # "command" or "event"
    name: str
    root: str = ""
    path: tuple[str, ...] = ()

    def child(self, segment: str) -> Place:
        return Place(self.entity, self.name, self.root, (*self.path, segment))

    def within(self) -> str:
        """The part after ``command NAME: ``, e.g. ``argument 'cache.direct'``."""
        if not self.root:
            return ""
        if not self.path:
            return {"argument": "arguments", "return": "return value", "data": "data"}[self.root]
        text = ""
        for seg in self.path:
            if seg[0] in "[{<" or not text:
                text += seg
            else:
                text += "." + seg
        return f"{self.root} '{text}'"

    def __str__(self) -> str:
        inner = self.within()
        return f"{self.entity} {self.name}" + (f": {inner}" if inner else "")


@dataclass
class Change:
    """One difference between A and B."""

    place: Place
    kind: str            # e.g. "command-removed", "member-added", "type-changed"
    message: str         # e.g. "removed (was optional)"
    breaking: bool
    detail: dict[str, Any] = field(default_factory=dict)
    also: list[Place] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


def _features(entry: Entry) -> set[str]:
    return set(entry.get("features", ()))


def enum_values(entry: Entry) -> dict[str, Entry]:
    """An enum's values with their entries (``members``, or the older ``values`` list)."""
    if "members" in entry:
        return {m["name"]: m for m in entry["members"]}
    return {v: {"name": v} for v in entry.get("values", ())}


def _json_kind(value: Value, name: str) -> str:
    """How values of type *name* look on the wire (what tells alternate branches apart)."""
    e = value.entries[name]
    meta = e["meta-type"]
    if meta == "builtin":
        return str(e["json-type"])
    if meta == "enum":
        return "string"
    return str(meta)           # object, array, alternate


def describe(value: Value, name: str, depth: int = 0) -> str:
    """A short description of type *name*: ``str``, ``enum``, ``array of object``..."""
    e = value.entries[name]
    meta = e["meta-type"]
    if meta == "builtin":
        return str(e["name"])
    if depth >= 2:
        return str(meta)
    if meta == "array":
        return f"array of {describe(value, e['element-type'], depth + 1)}"
    if meta == "alternate":
        kinds = sorted(describe(value, m["type"], depth + 1) for m in e["members"])
        return f"alternate of {' or '.join(kinds)}"
    if meta == "object" and "tag" in e:
        return f"union on '{e['tag']}'"
    return str(meta)


class Comparison:
    """Compares *a* and *b*; the differences are in :attr:`changes` after :meth:`run`."""

    def __init__(self, a: Value, b: Value) -> None:
        self.a = a
        self.b = b
        self.changes: list[Change] = []
        # Per pair of types (A's, B's, sent to QEMU?): where it was first compared, the changes
        # found directly in it, the pairs it leads to (with the path from it to them), and the
        # other places it was reached from.
        self._first: dict[Key, Place] = {}
        self._own: dict[Key, list[Change]] = {}
        self._children: dict[Key, list[tuple[Key, tuple[str, ...]]]] = {}
        self._revisits: list[tuple[Key, Place]] = []
        self._stack: list[Key] = []

    # ---------------------------------------------------------------------------------------
    def run(self) -> list[Change]:
        for entity, ma, mb in (("command", self.a.commands, self.b.commands),
                               ("event", self.a.events, self.b.events)):
            for name in sorted(ma.keys() | mb.keys()):
                place = Place(entity, name)
                if name not in mb:
                    self._add(None, place, f"{entity}-removed", "removed", True)
                elif name not in ma:
                    self._add(None, place, f"{entity}-added", "added", False)
                else:
                    self._entity(place, ma[name], mb[name])
        self._fill_also()
        return self.changes

    def _fill_also(self) -> None:
        """Record, for each change, the other places its pair of types is reached from."""
        parents: dict[Key, list[Key]] = {}
        for key, children in self._children.items():
            for child, _ in children:
                parents.setdefault(child, []).append(key)
        dirty = {k for k, own in self._own.items() if own}
        todo = list(dirty)
        while todo:
            for p in parents.get(todo.pop(), ()):
                if p not in dirty:
                    dirty.add(p)
                    todo.append(p)

        def spread(key: Key, place: Place, visited: set[Key]) -> None:
            if key in visited or key not in dirty:
                return
            visited.add(key)
            skip = len(self._first[key].path)
            for ch in self._own[key]:
                ch.also.append(Place(place.entity, place.name, place.root,
                                     place.path + ch.place.path[skip:]))
            for child, suffix in self._children[key]:
                spread(child, Place(place.entity, place.name, place.root, place.path + suffix),
                       visited)

        for key, place in self._revisits:
            spread(key, place, set())

    def _add(self, key: Key | None, place: Place, kind: str, message: str,
             breaking: bool, **detail: Any) -> None:
        change = Change(place, kind, message, breaking, detail)
        self.changes.append(change)
        if key is not None:
            self._own[key].append(change)

    def _entity(self, place: Place, ea: Entry, eb: Entry) -> None:
        self._feature_changes(None, place, "", _features(ea), _features(eb))
        if place.entity == "command":
            oob_a, oob_b = bool(ea.get("allow-oob")), bool(eb.get("allow-oob"))
            if oob_a != oob_b:
                self._add(None, place, "allow-oob-changed",
                          "out-of-band execution " + ("removed" if oob_a else "added"),
                          oob_a, before=oob_a, after=oob_b)
            self._type(ea["arg-type"], eb["arg-type"], True, Place("command", place.name,
                                                                      "argument"))
            self._type(ea["ret-type"], eb["ret-type"], False, Place("command", place.name,
                                                                       "return"))
        else:
            self._type(ea["arg-type"], eb["arg-type"], False, Place("event", place.name, "data"))

    def _feature_changes(self, key: Key | None, place: Place, owner: str,
                         fa: set[str], fb: set[str]) -> None:
        for f in sorted(fa - fb):
            self._add(key, place, "feature-removed", f"{owner}feature '{f}' removed",
                      f not in STATUS_FEATURES, feature=f)
        for f in sorted(fb - fa):
            self._add(key, place, "feature-added", f"{owner}feature '{f}' added", False,
                      feature=f)

    # ---------------------------------------------------------------------------------------
    def _type(self, ta: str, tb: str, send: bool, place: Place) -> None:
        key = (ta, tb, send)
        if key in self._stack:
            return          # a recursive type, being compared already
        if self._stack:
            parent = self._stack[-1]
            self._children[parent].append((key, place.path[len(self._first[parent].path):]))
        if key in self._own:
            self._revisits.append((key, place))
            return
        self._first[key] = place
        self._own[key] = []
        self._children[key] = []
        self._stack.append(key)
        try:
            self._compare_types(key, ta, tb, send, place)
        finally:
            self._stack.pop()

    def _compare_types(self, key: Key, ta: str, tb: str, send: bool, place: Place) -> None:
        ea, eb = self.a.entries[ta], self.b.entries[tb]
        self._feature_changes(key, place, "type ", _features(ea), _features(eb))
        meta_a, meta_b = ea["meta-type"], eb["meta-type"]
        if meta_a == meta_b == "object":
            self._object(key, ea, eb, send, place)
        elif meta_a == meta_b == "enum":
            self._enum(key, ea, eb, place)
        elif meta_a == meta_b == "array":
            self._type(ea["element-type"], eb["element-type"], send, place.child("[]"))
        elif meta_a == meta_b == "alternate":
            self._alternate(key, ea, eb, send, place)
        elif meta_a == meta_b == "builtin" and ea["json-type"] == eb["json-type"]:
            pass
        else:
            self._kind_change(key, ta, tb, send, place)

    def _object(self, key: Key, ea: Entry, eb: Entry, send: bool,
                place: Place) -> None:
        ma = {m["name"]: m for m in ea.get("members", ())}
        mb = {m["name"]: m for m in eb.get("members", ())}
        for name in sorted(ma.keys() | mb.keys()):
            sub = place.child(name)
            if name not in mb:
                opt = "default" in ma[name]
                self._add(key, sub, "member-removed",
                          f"removed (was {'optional' if opt else 'mandatory'})", True,
                          member=name, optional=opt)
                continue
            if name not in ma:
                opt = "default" in mb[name]
                self._add(key, sub, "member-added",
                          f"added ({'optional' if opt else 'mandatory'})", send and not opt,
                          member=name, optional=opt)
                continue
            opt_a, opt_b = "default" in ma[name], "default" in mb[name]
            if opt_a and not opt_b:
                self._add(key, sub, "member-mandatory", "optional became mandatory", send,
                          member=name)
            elif opt_b and not opt_a:
                self._add(key, sub, "member-optional", "mandatory became optional", not send,
                          member=name)
            self._feature_changes(key, sub, "", _features(ma[name]), _features(mb[name]))
            self._type(ma[name]["type"], mb[name]["type"], send, sub)

        tag_a, tag_b = ea.get("tag"), eb.get("tag")
        if tag_a != tag_b:
            if tag_a is None:
                msg = f"became a union on '{tag_b}'"
            elif tag_b is None:
                msg = f"no longer a union (was on '{tag_a}')"
            else:
                msg = f"union tag changed from '{tag_a}' to '{tag_b}'"
            self._add(key, place, "tag-changed", msg, tag_a is not None,
                      before=tag_a, after=tag_b)
        va = {v["case"]: v["type"] for v in ea.get("variants", ())}
        vb = {v["case"]: v["type"] for v in eb.get("variants", ())}
        if not va and not vb:
            return
        tag = tag_a or tag_b
        for case in sorted(va.keys() | vb.keys()):
            sub = place.child(f"{{{tag}={case}}}")
            if case in va and case in vb:
                self._type(va[case], vb[case], send, sub)
            elif case in va:
                # A branch without variant members need not be listed: still there if the
                # tag's enum still has the value.
                if tag_a == tag_b and case in self._tag_values(self.b, eb):
                    self._type(va[case], EMPTY, send, sub)
                else:
                    self._add(key, place, "branch-removed", f"union branch '{case}' removed",
                              True, branch=case, tag=tag_a)
            elif tag_a == tag_b and case in self._tag_values(self.a, ea):
                self._type(EMPTY, vb[case], send, sub)
            else:
                self._add(key, place, "branch-added", f"union branch '{case}' added", False,
                          branch=case, tag=tag_b)

    @staticmethod
    def _tag_values(value: Value, entry: Entry) -> set[str]:
        tag = entry.get("tag")
        for m in entry.get("members", ()):
            if m["name"] == tag:
                t = value.entries[m["type"]]
                if t["meta-type"] == "enum":
                    return set(enum_values(t))
        return set()

    def _enum(self, key: Key, ea: Entry, eb: Entry, place: Place) -> None:
        va, vb = enum_values(ea), enum_values(eb)
        for v in sorted(va.keys() - vb.keys()):
            self._add(key, place, "enum-value-removed", f"enum value '{v}' removed", True,
                      value=v)
        for v in sorted(vb.keys() - va.keys()):
            self._add(key, place, "enum-value-added", f"enum value '{v}' added", False,
                      value=v)
        for v in sorted(va.keys() & vb.keys()):
            self._feature_changes(key, place, f"enum value '{v}': ", _features(va[v]),
                                  _features(vb[v]))

    def _alternate(self, key: Key, ea: Entry, eb: Entry, send: bool,
                   place: Place) -> None:
        ba = {_json_kind(self.a, m["type"]): m["type"] for m in ea["members"]}
        bb = {_json_kind(self.b, m["type"]): m["type"] for m in eb["members"]}
        for kind in sorted(ba.keys() | bb.keys()):
            if kind not in bb:
                self._add(key, place, "alternate-branch-removed",
                          f"alternate branch {describe(self.a, ba[kind])} removed", True,
                          branch=kind)
            elif kind not in ba:
                self._add(key, place, "alternate-branch-added",
                          f"alternate branch {describe(self.b, bb[kind])} added", False,
                          branch=kind)
            else:
                self._type(ba[kind], bb[kind], send, place.child(f"<{kind}>"))

    def _kind_change(self, key: Key, ta: str, tb: str, send: bool,
                     place: Place) -> None:
        """Types of different kinds.  Compatible when every value of the narrower type is one
        of the wider: the new type may be wider in data sent to QEMU, narrower in data received
        from it; the branch of an alternate that matches the other type is compared on."""
        before, after = describe(self.a, ta), describe(self.b, tb)
        if send:
            ok, branch = self._accepts(self.b, tb, self.a, ta)
        else:
            ok, branch = self._accepts(self.a, ta, self.b, tb)
        how = (" (widened)" if send else " (narrowed)") if ok else ""
        self._add(key, place, "type-changed", f"type changed from {before} to {after}{how}",
                  not ok, before=before, after=after)
        if branch is not None:
            if send:
                self._type(ta, branch, send, place.child(f"<{_json_kind(self.b, branch)}>"))
            else:
                self._type(branch, tb, send, place.child(f"<{_json_kind(self.a, branch)}>"))

    @staticmethod
    def _accepts(wv: Value, wide: str, nv: Value, narrow: str) -> tuple[bool, str | None]:
        """Whether type *wide* (of *wv*) accepts every value of *narrow* (of *nv*), and the
        alternate branch of *wide* that does, if that is how."""
        we, ne = wv.entries[wide], nv.entries[narrow]
        if we["meta-type"] == "builtin":
            wj = we["json-type"]
            if wj == "value":
                return True, None
            nj = _json_kind(nv, narrow)
            if ne["meta-type"] != "alternate" and (
                    (wj == "string" and nj == "string") or (wj == "number" and nj == "int")):
                return True, None
            return False, None
        if we["meta-type"] == "alternate" and ne["meta-type"] != "alternate":
            kind = _json_kind(nv, narrow)
            for m in we["members"]:
                if _json_kind(wv, m["type"]) == kind:
                    return True, m["type"]
        return False, None


def compare(a: Value, b: Value) -> list[Change]:
    """The differences from *a* to *b*, commands then events, in name order."""
    return Comparison(a, b).run()
