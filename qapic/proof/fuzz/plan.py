"""Systematic requests: every type a command's arguments reach, whole, then broken member by
member.

Random requests (:mod:`.generate`) reach a union's rare branches, a deep optional member or the
error exit after one particular member only by luck: the input visitor of a struct returns
``false`` right after *the* member that failed, so a struct of twenty members has twenty such
exits, and each is run only by a request where that member, and no member before it, is wrong.
This module plans those requests instead of hoping for them.  For each command (those without a
condition first):

- *whole* requests: its arguments with every optional member present, every union taking its
  next branch, every alternate its next alternative, lists of one element (a type met again
  inside itself, or past :data:`DEPTH`, is given its smallest form), one request per branch
  index until no union or alternate inside has a branch left that was not taken;
- *broken* requests, from those whole ones: for each member of each struct met (the struct that
  declares it, once per command condition), that member given a value of a JSON type it does not
  accept; each struct met as a value given a wrong JSON type, and an unknown key; each list
  given a wrong type, and an element of a wrong type; each alternate given a JSON type none of
  its alternatives takes.

Values of other targets are sent as well (a union's branch that exists elsewhere only): a
target that lacks them answers with an error, as its own build would.  The plan depends only on
the schema and the commands chosen; the generator sends it interleaved with random requests.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EntityVisitor,
    EnumType,
    ObjectType,
    Type,
)
from qapic.proof.fuzz.request import Node, Obj, render

#: Past this nesting depth values take their smallest form.
DEPTH = 8
#: At most this many whole values of one command's arguments.
MAX_WHOLE = 400

#: A value of each JSON type, and the qtype QEMU's alternates dispatch it by.
_BY_QTYPE: tuple[tuple[str, Node], ...] = (
    ("QTYPE_QSTRING", "s"), ("QTYPE_QNUM", 1), ("QTYPE_QBOOL", True), ("QTYPE_QNULL", None),
    ("QTYPE_QDICT", Obj()), ("QTYPE_QLIST", []))
_WRONG_FOR_JSON: dict[str, Node] = {
    "string": 1, "int": "x", "number": "x", "boolean": "x", "null": 1, "object": 1, "array": 1}

Path = tuple[int, ...]


class _WrongValue(EntityVisitor[tuple[bool, Node]]):
    """See :func:`wrong_value`."""

    def visit_type(self, typ: Type) -> tuple[bool, Node]:
        jt = typ.json_type()
        if jt not in _WRONG_FOR_JSON:
            return False, None
        return True, _WRONG_FOR_JSON[jt]

    def visit_alternate(self, typ: AlternateType) -> tuple[bool, Node]:
        taken = {b.type.alternate_qtype() for b in typ.branches.variants}
        for qtype, v in _BY_QTYPE:
            if qtype not in taken:
                return True, Obj() if isinstance(v, Obj) else [] if isinstance(v, list) else v
        return False, None


_WRONG_VALUE = _WrongValue()


def wrong_value(typ: Type) -> tuple[bool, Node]:
    """A value of a JSON type *typ* does not accept, if there is one (``any`` takes all)."""
    return typ.accept(_WRONG_VALUE)


class _Whole:
    """One whole value of a command's arguments, the *k*-th, and where in it each struct,
    list and alternate sits.  Each union and alternate takes its first branch not in *taken*
    (the branches taken before, by union or alternate), else its (*k* mod n)-th."""

    def __init__(self, k: int, taken: dict[str, set[str]]) -> None:
        self.k = k
        self.taken = taken
        self.new = False                                   # a branch not taken before
        self._pending: dict[str, bool] = {}
        self.sites: list[tuple[Path, Type]] = []
        self.members: list[tuple[Path, str, Type]] = []     # (path, 'Owner.member', type)

    def value(self, typ: Type, path: Path, stack: tuple[str, ...]) -> Node:
        """The value of *typ* at *path*, inside the types *stack*."""
        small = typ.name in stack or len(stack) >= DEPTH
        return typ.accept(_WholeValue(self, path, (*stack, typ.name), small))

    def choose(self, owner: str, branches: Sequence[tuple[str, Type]], small: bool) -> int:
        """The branch to take: the first one not taken before, else the first one with a
        branch not taken before inside, else the (k mod n)-th; in a value's smallest form
        (where optional members are left out) the (k mod n)-th, not counted as taken."""
        if small:
            return self.k % len(branches)
        taken = self.taken.setdefault(owner, set())
        for i, (name, _) in enumerate(branches):
            if name not in taken:
                taken.add(name)
                self.new = True
                return i
        for i, (_, typ) in enumerate(branches):
            if self.pending(typ):
                return i
        return self.k % len(branches)

    def pending(self, typ: Type) -> bool:
        """Whether a union or alternate inside *typ* has a branch not taken before."""
        if typ.name not in self._pending:
            self._pending[typ.name] = False         # met again inside itself: nothing new
            self._pending[typ.name] = any(
                name not in self.taken.get(typ.name, ()) or self.pending(t)
                for name, t in _choices(typ)) or any(self.pending(t) for t in _inside(typ))
        return self._pending[typ.name]

    def alternate(self, typ: AlternateType, path: Path, stack: tuple[str, ...],
                  small: bool) -> Node:
        branches = list(typ.branches.variants)
        if small:
            scalar = [b for b in branches if b.type.json_type() not in ("object", "array")]
            branches = scalar or branches
        b = branches[self.choose(typ.name, [(b.name, b.type) for b in branches], small)]
        return self.value(b.type, path, stack)

    def object(self, typ: ObjectType, path: Path, stack: tuple[str, ...], small: bool) -> Node:
        out = Obj()
        branches = typ.branches
        tag = branches.tag_member if branches is not None else None
        members = list(typ.members)
        tag_value: str | None = None
        if branches is not None and tag is not None and branches.variants:
            b = branches.variants[self.choose(typ.name, _choices(typ), small)]
            tag_value = b.name
            members += b.union_type.members
        for m in members:
            if m.optional and small:
                continue
            at = (*path, len(out))
            if m is tag and tag_value is not None:
                out.items.append((m.name, tag_value))
            else:
                out.items.append((m.name, self.value(m.type, at, stack)))
            self.members.append((at, f"{m.defined_in}.{m.name}", m.type))
        return out


class _WholeValue(EntityVisitor[Node]):
    """:meth:`_Whole.value` of one type at *path* (*small*: in its smallest form); a struct,
    list or alternate is a site of :attr:`_Whole.sites`."""

    def __init__(self, whole: _Whole, path: Path, stack: tuple[str, ...], small: bool) -> None:
        self.whole = whole
        self.path = path
        self.stack = stack
        self.small = small

    def visit_builtin(self, typ: BuiltinType) -> Node:
        return _builtin(typ, self.whole.k)

    def visit_enum(self, typ: EnumType) -> Node:
        common = [m for m in typ.members if m.ifcond.is_always] or typ.members
        return common[self.whole.k % len(common)].name if common else "nonesuch"

    def visit_array(self, typ: ArrayType) -> Node:
        self.whole.sites.append((self.path, typ))
        if self.small:
            return []
        return [self.whole.value(typ.element_type, (*self.path, 0), self.stack)]

    def visit_alternate(self, typ: AlternateType) -> Node:
        self.whole.sites.append((self.path, typ))
        return self.whole.alternate(typ, self.path, self.stack, self.small)

    def visit_object(self, typ: ObjectType) -> Node:
        self.whole.sites.append((self.path, typ))
        return self.whole.object(typ, self.path, self.stack, self.small)


class _Choices(EntityVisitor[list[tuple[str, Type]]]):
    """The branches of a union or the alternatives of an alternate, with their types (none
    for other types)."""

    def visit_type(self, typ: Type) -> list[tuple[str, Type]]:
        return []

    def visit_alternate(self, typ: AlternateType) -> list[tuple[str, Type]]:
        return [(b.name, b.type) for b in typ.branches.variants]

    def visit_object(self, typ: ObjectType) -> list[tuple[str, Type]]:
        if typ.branches is not None and typ.branches.tag_member is not None:
            return [(b.name, b.union_type) for b in typ.branches.variants]
        return []


class _Inside(EntityVisitor[list[Type]]):
    """The types of a struct's members and of a list's elements (none for other types)."""

    def visit_type(self, typ: Type) -> list[Type]:
        return []

    def visit_object(self, typ: ObjectType) -> list[Type]:
        return [m.type for m in typ.members]

    def visit_array(self, typ: ArrayType) -> list[Type]:
        return [typ.element_type]


_CHOICES = _Choices()
_INSIDE = _Inside()


def _choices(typ: Type) -> list[tuple[str, Type]]:
    return typ.accept(_CHOICES)


def _inside(typ: Type) -> list[Type]:
    return typ.accept(_INSIDE)


def _builtin(typ: BuiltinType, k: int) -> Node:
    jt = typ.json_type()
    if jt == "int":
        return k % 3
    if jt == "number":
        return 1.5
    if jt == "boolean":
        return k % 2 == 0
    if jt == "null":
        return None
    if jt == "string":
        return "s"
    return Obj([("a", 1)])      # any


def _at(tree: Obj, path: Path) -> Node:
    """The node at *path* in *tree* (each step an index into an object's members or a list)."""
    node: Node = tree
    for step in path:
        node = node.items[step][1] if isinstance(node, Obj) else node[step]  # type: ignore[index]
    return node


def _replaced(tree: Obj, path: Path, value: Node) -> Obj:
    """A copy of *tree* with the node at *path* replaced by *value*."""
    new = copy.deepcopy(tree)
    parent, last = _at(new, path[:-1]), path[-1]
    if isinstance(parent, Obj):
        parent.items[last] = (parent.items[last][0], value)
    else:
        assert isinstance(parent, list)
        parent[last] = value
    return new


class Plan:
    """The systematic arguments of *commands*, as (command name, arguments) pairs."""

    def __init__(self, commands: Sequence[Command]) -> None:
        self.entries: list[tuple[str, Obj]] = []
        self._texts: set[str] = set()       # the same request planned twice is sent once
        self._done: set[tuple[str, ...]] = set()
        self._taken: dict[str, dict[str, set[str]]] = {}     # per command condition
        for cmd in sorted(commands, key=lambda c: (not c.ifcond.is_always, c.name)):
            if cmd.arg_type is not None and not cmd.arg_type.is_empty():
                self._command(cmd, cmd.arg_type)

    def _add(self, name: str, args: Obj) -> None:
        text = name + render(args)
        if text not in self._texts:
            self._texts.add(text)
            self.entries.append((name, args))

    def _once(self, *key: str) -> bool:
        """True the first time *key* is met (per command condition)."""
        if key in self._done or ("", *key[1:]) in self._done:
            return False
        self._done.add(key)
        return True

    def _command(self, cmd: Command, args: ObjectType) -> None:
        group = "" if cmd.ifcond.is_always else str(cmd.ifcond)
        taken = self._taken.setdefault(group, {})
        for k in range(MAX_WHOLE):
            whole = _Whole(k, taken)
            tree = whole.value(args, (), ())
            assert isinstance(tree, Obj)
            if k and not whole.new:
                break
            self._add(cmd.name, tree)
            for broken in self._broken(group, whole, tree):
                self._add(cmd.name, broken)

    def _broken(self, group: str, whole: _Whole, tree: Obj) -> Iterator[Obj]:
        for path, owner_member, typ in whole.members:
            ok, wrong = wrong_value(typ)
            if ok and self._once(group, "member", owner_member):
                yield _replaced(tree, path, wrong)
        for path, typ in whole.sites:
            if not path:
                continue        # the arguments object itself: the dispatcher's business
            ok, wrong = wrong_value(typ)
            if ok and self._once(group, "type", typ.name):
                yield _replaced(tree, path, wrong)
            yield from typ.accept(_Breaks(self, group, tree, path))


class _Breaks(EntityVisitor[Iterator[Obj]]):
    """What else breaks a site of a whole value *tree* (at *path*), by its kind: a struct
    given an unknown key, a list an element of a wrong type (each once per *group*)."""

    def __init__(self, plan: Plan, group: str, tree: Obj, path: Path) -> None:
        self.plan = plan
        self.group = group
        self.tree = tree
        self.path = path

    def visit_type(self, typ: Type) -> Iterator[Obj]:
        return iter(())

    def visit_object(self, typ: ObjectType) -> Iterator[Obj]:
        node = _at(self.tree, self.path)
        if isinstance(node, Obj) and self.plan._once(self.group, "unknown", typ.name):
            yield _replaced(self.tree, self.path, Obj([*node.items, ("x-nonesuch", 1)]))

    def visit_array(self, typ: ArrayType) -> Iterator[Obj]:
        node = _at(self.tree, self.path)
        if node and self.plan._once(self.group, "element", typ.name):
            ok, wrong = wrong_value(typ.element_type)
            if ok:
                yield _replaced(self.tree, (*self.path, 0), wrong)
