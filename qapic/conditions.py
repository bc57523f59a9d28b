"""The condition model: what an ``'if'`` means, where it holds, and how each backend spells it.

Every backend asks this module; none re-derives condition logic.

A condition is an immutable tree of :class:`Symbol`, :class:`All`, :class:`Any` and :class:`Not`;
:data:`ALWAYS` is the empty condition (no ``'if'``).  The tree keeps the shape written in the
schema, because QEMU's outputs (the test dumps, the generated ``#if``) echo that shape.

Symbols are classified as *build-time* (decided by the C preprocessor, as upstream does) or
*run-time* (decided when QEMU runs, by the set of active targets).  The run-time set is a list of
glob patterns, ``TARGET_*`` and ``CONFIG_KVM`` by default.  With a :class:`TargetTable`, a
condition's run-time part becomes a constant set of targets (a bit mask over the table's order),
so a run-time check is one AND against the mask of active targets.

The multi-target policy lives here too: :func:`visible` says whether something whose condition
holds on a set of targets is visible when several targets are active.
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from qapic.frozen import Frozen

DEFAULT_RUNTIME_PATTERNS: tuple[str, ...] = ("TARGET_*", "CONFIG_KVM")


class Condition(ABC):
    """A boolean expression over preprocessor-like symbols."""

    @abstractmethod
    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        """Whether the condition holds when exactly the symbols *is_defined* accepts are set."""

    @abstractmethod
    def to_json(self) -> object:
        """The schema's own spelling: ``'SYM'``, ``{'all': [...]}``, ``{'any': [...]}``,
        ``{'not': ...}``; ``None`` for :data:`ALWAYS`."""

    @abstractmethod
    def _walk_symbols(self) -> Iterator[str]: ...

    def symbols(self) -> frozenset[str]:
        return frozenset(self._walk_symbols())

    def holds_for(self, defined: Iterable[str]) -> bool:
        names = frozenset(defined)
        return self.evaluate(names.__contains__)

    @property
    def is_always(self) -> bool:
        return False

    def __str__(self) -> str:
        # QEMU's schema test dumps print a condition as Python prints its JSON form.
        return repr(self.to_json())


class _Node(Frozen, Condition):
    """An immutable condition, equal to another of its class with the same fields and hashed by
    them (:class:`~qapic.frozen.Frozen`)."""


class _Always(_Node):
    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return True

    def to_json(self) -> object:
        return None

    def _walk_symbols(self) -> Iterator[str]:
        return iter(())

    @property
    def is_always(self) -> bool:
        return True

    def __str__(self) -> str:
        return ""


ALWAYS: Condition = _Always()


class Symbol(_Node):
    _fields = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return is_defined(self.name)

    def to_json(self) -> object:
        return self.name

    def _walk_symbols(self) -> Iterator[str]:
        yield self.name

    def __str__(self) -> str:
        return self.name


class Not(_Node):
    _fields = ("operand",)
    operand: Condition

    def __init__(self, operand: Condition) -> None:
        super().__init__(operand)

    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return not self.operand.evaluate(is_defined)

    def to_json(self) -> object:
        return {"not": self.operand.to_json()}

    def _walk_symbols(self) -> Iterator[str]:
        return self.operand._walk_symbols()


class All(_Node):
    _fields = ("operands",)
    operands: tuple[Condition, ...]

    def __init__(self, operands: tuple[Condition, ...]) -> None:
        super().__init__(operands)

    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return all(c.evaluate(is_defined) for c in self.operands)

    def to_json(self) -> object:
        return {"all": [c.to_json() for c in self.operands]}

    def _walk_symbols(self) -> Iterator[str]:
        for c in self.operands:
            yield from c._walk_symbols()


class Any(_Node):
    _fields = ("operands",)
    operands: tuple[Condition, ...]

    def __init__(self, operands: tuple[Condition, ...]) -> None:
        super().__init__(operands)

    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return any(c.evaluate(is_defined) for c in self.operands)

    def to_json(self) -> object:
        return {"any": [c.to_json() for c in self.operands]}

    def _walk_symbols(self) -> Iterator[str]:
        for c in self.operands:
            yield from c._walk_symbols()


def from_json(raw: object) -> Condition:
    """Build a condition from the value of an ``'if'`` key.

    The frontend has already checked the shape (and worded any error); this only converts.
    ``None`` (no ``'if'``) gives :data:`ALWAYS`.
    """
    if raw is None:
        return ALWAYS
    if isinstance(raw, str):
        return Symbol(raw)
    if isinstance(raw, Mapping) and len(raw) == 1:
        ((op, arg),) = raw.items()
        if op == "not":
            return Not(from_json(arg))
        if op in ("all", "any") and isinstance(arg, Sequence) and not isinstance(arg, str):
            parts = tuple(from_json(a) for a in arg)
            return All(parts) if op == "all" else Any(parts)
    raise ValueError(f"not a QAPI condition: {raw!r}")


def conjoin(*conditions: Condition) -> Condition:
    """The condition under which all of *conditions* hold, without useless nesting.

    Used where a thing inherits its container's condition (an implicit type, an array of a
    conditional element type, a member of a conditional type).
    """
    parts: list[Condition] = []
    for cond in conditions:
        if cond.is_always:
            continue
        for part in cond.operands if isinstance(cond, All) else (cond,):
            if part not in parts:
                parts.append(part)
    if not parts:
        return ALWAYS
    if len(parts) == 1:
        return parts[0]
    return All(tuple(parts))


class _Never(_Node):
    def evaluate(self, is_defined: Callable[[str], bool]) -> bool:
        return False

    def to_json(self) -> object:
        return {"any": []}

    def _walk_symbols(self) -> Iterator[str]:
        return iter(())

    def __str__(self) -> str:
        return "never"


NEVER: Condition = _Never()
"""The condition that never holds: what partial evaluation leaves of a false condition."""


def disjoin(*conditions: Condition) -> Condition:
    """The condition under which at least one of *conditions* holds, each distinct one kept
    once in its first place (:data:`NEVER` for none).

    Used where one thing serves several conditional users (a command's output helper, shared
    by the commands that return its type).
    """
    parts: list[Condition] = []
    for cond in conditions:
        if cond.is_always:
            return ALWAYS
        if cond not in parts:
            parts.append(cond)
    if not parts:
        return NEVER
    return parts[0] if len(parts) == 1 else Any(tuple(parts))


def partial(cond: Condition, known: Callable[[str], bool | None]) -> Condition:
    """*cond* with every symbol *known* decides replaced by its value and simplified.

    The result is :data:`ALWAYS`, :data:`NEVER`, or a condition over the undecided symbols only.
    This is how a condition is split per target: decide the run-time symbols for one target and
    what is left is the build-time requirement on that target.
    """
    if cond.is_always or cond is NEVER:
        return cond
    if isinstance(cond, Symbol):
        value = known(cond.name)
        if value is None:
            return cond
        return ALWAYS if value else NEVER
    if isinstance(cond, Not):
        inner = partial(cond.operand, known)
        if inner.is_always:
            return NEVER
        if inner is NEVER:
            return ALWAYS
        return Not(inner)
    if isinstance(cond, All | Any):
        neutral, absorbing = (ALWAYS, NEVER) if isinstance(cond, All) else (NEVER, ALWAYS)
        parts: list[Condition] = []
        for operand in cond.operands:
            part = partial(operand, known)
            if part is absorbing:
                return absorbing
            if part is not neutral and part not in parts:
                parts.append(part)
        if not parts:
            return neutral
        if len(parts) == 1:
            return parts[0]
        return All(tuple(parts)) if isinstance(cond, All) else Any(tuple(parts))
    raise TypeError(f"unknown condition {cond!r}")


# --- Build-time and run-time symbols ------------------------------------------------------------


class SymbolClasses(Frozen):
    """Which symbols are decided at run time (by glob pattern); all others are build-time."""

    _fields = ("runtime_patterns",)
    runtime_patterns: tuple[str, ...]

    def __init__(self, runtime_patterns: tuple[str, ...] = DEFAULT_RUNTIME_PATTERNS) -> None:
        super().__init__(runtime_patterns)

    @classmethod
    def parse(cls, text: str) -> SymbolClasses:
        """From a comma-separated list of globs, as given on the command line."""
        return cls(tuple(p.strip() for p in text.split(",") if p.strip()))

    def is_runtime(self, symbol: str) -> bool:
        return any(fnmatch.fnmatchcase(symbol, p) for p in self.runtime_patterns)

    def runtime_symbols(self, cond: Condition) -> frozenset[str]:
        return frozenset(s for s in cond.symbols() if self.is_runtime(s))

    def build_symbols(self, cond: Condition) -> frozenset[str]:
        return frozenset(s for s in cond.symbols() if not self.is_runtime(s))

    def is_runtime_dependent(self, cond: Condition) -> bool:
        return bool(self.runtime_symbols(cond))


#: The default classes: ``TARGET_*`` and ``CONFIG_KVM`` run-time, all others build-time.
DEFAULT_SYMBOL_CLASSES = SymbolClasses()


# --- Targets ----------------------------------------------------------------------------------


class Target(Frozen):
    """One QEMU system-emulation target and the target-specific symbols its build defines."""

    _fields = ("name", "arch", "base_arch", "symbols", "kvm")
    name: str                       # "aarch64", as in "aarch64-softmmu" and "qemu-system-aarch64"
    arch: str                       # TARGET_ARCH
    base_arch: str                  # TARGET_BASE_ARCH
    symbols: frozenset[str]         # e.g. TARGET_AARCH64, TARGET_ARM, TARGET_BIG_ENDIAN, ...
    kvm: bool                       # whether CONFIG_KVM is defined for this target's build

    def __init__(self, name: str, arch: str, base_arch: str, symbols: frozenset[str],
                 kvm: bool = False) -> None:
        super().__init__(name, arch, base_arch, symbols, kvm)

    def with_kvm(self, kvm: bool) -> Target:
        """This target, with CONFIG_KVM defined or not."""
        return Target(self.name, self.arch, self.base_arch, self.symbols, kvm)


class TargetTable(Frozen):
    """The targets a QEMU tree can build, in a fixed order that defines the bit of each."""

    _fields = ("targets",)
    targets: tuple[Target, ...]
    _index: Mapping[str, int]

    def __init__(self, targets: tuple[Target, ...]) -> None:
        super().__init__(targets)
        object.__setattr__(self, "_index", {t.name: i for i, t in enumerate(targets)})

    def __iter__(self) -> Iterator[Target]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def get(self, name: str) -> Target:
        try:
            return self.targets[self._index[name]]
        except KeyError:
            raise KeyError(name) from None

    def bit(self, name: str) -> int:
        return 1 << self._index[name]

    @property
    def all_mask(self) -> int:
        return (1 << len(self.targets)) - 1

    def mask(self, names: Iterable[str]) -> int:
        m = 0
        for n in names:
            m |= self.bit(n)
        return m

    def names_in(self, mask: int) -> list[str]:
        return [t.name for i, t in enumerate(self.targets) if mask >> i & 1]

    def target_symbols(self, target: Target) -> frozenset[str]:
        """Run-time symbols *target* defines: its TARGET_* symbols, and CONFIG_KVM with KVM."""
        return target.symbols | ({"CONFIG_KVM"} if target.kvm else frozenset())


def holds_on(
    cond: Condition,
    target: Target,
    table: TargetTable,
    classes: SymbolClasses,
    build_defined: Callable[[str], bool],
) -> bool:
    """Whether *cond* holds for a build of *target*: run-time symbols come from the target,
    build-time symbols from *build_defined*."""
    target_syms = table.target_symbols(target)

    def is_defined(sym: str) -> bool:
        return sym in target_syms if classes.is_runtime(sym) else build_defined(sym)

    return cond.evaluate(is_defined)


def target_mask(
    cond: Condition,
    table: TargetTable,
    classes: SymbolClasses = DEFAULT_SYMBOL_CLASSES,
    build_defined: Callable[[str], bool] = lambda _sym: False,
) -> int:
    """The set of targets (a bit mask over *table*) on which *cond* holds, for a build whose
    build-time symbols are given by *build_defined*."""
    m = 0
    for i, target in enumerate(table.targets):
        if holds_on(cond, target, table, classes, build_defined):
            m |= 1 << i
    return m


def possible(cond: Condition, runtime_defined: frozenset[str],
             classes: SymbolClasses = DEFAULT_SYMBOL_CLASSES) -> bool:
    """Whether *cond* can hold in some build where exactly *runtime_defined* of the run-time
    symbols are defined (a target's symbols) and the build-time symbols are left open."""

    def known(sym: str) -> bool | None:
        return sym in runtime_defined if classes.is_runtime(sym) else None

    return partial(cond, known) is not NEVER


def visible(cond_mask: int, active_mask: int) -> bool:
    """The multi-target policy: something is visible when its condition holds for at least one
    active target.  With one active target this is exactly the per-target build's behaviour."""
    return bool(cond_mask & active_mask)


Availability = tuple[tuple[tuple[str, ...], Condition], ...]
"""Where something exists: groups of target names, each with the build-time requirement left."""


def availability(
    cond: Condition,
    table: TargetTable,
    classes: SymbolClasses = DEFAULT_SYMBOL_CLASSES,
    build_known: Callable[[str], bool | None] = lambda _sym: None,
    kvm_known: bool = False,
) -> Availability:
    """Split *cond* per target: decide each target's run-time symbols, group the targets by what
    is left (the build-time requirement, :data:`ALWAYS` when none).  Targets where it can never
    hold are left out.  *build_known* decides build-time symbols (None leaves one open); CONFIG_KVM
    is decided per target only when *kvm_known*."""
    groups: dict[Condition, list[str]] = {}
    for target in table:
        syms = table.target_symbols(target)

        def known(sym: str, syms: frozenset[str] = syms) -> bool | None:
            if sym == "CONFIG_KVM" and not kvm_known:
                return None
            if classes.is_runtime(sym):
                return sym in syms
            return build_known(sym)

        rest = partial(cond, known)
        if rest is not NEVER:
            groups.setdefault(rest, []).append(target.name)
    return tuple((tuple(names), rest) for rest, names in groups.items())


def is_everywhere(where: Availability, table: TargetTable) -> bool:
    return len(where) == 1 and where[0][1].is_always and len(where[0][0]) == len(table)


class RuntimeSplit(Frozen):
    """A condition split for code compiled once for all targets.

    *cases* are mutually exclusive build-time conditions, each with the mask of targets on which
    the original condition then holds; build assignments where it holds on no target are left
    out.  *exists* is the disjunction of the cases: the preprocessor condition under which the
    thing is compiled in at all (a struct member, an enum constant).  Code that acts on it checks
    the case's mask against the active targets at run time, unless the mask is every target.
    """

    _fields = ("exists", "cases")
    exists: Condition
    cases: tuple[tuple[Condition, int], ...]

    def __init__(self, exists: Condition, cases: tuple[tuple[Condition, int], ...]) -> None:
        super().__init__(exists, cases)

    def needs_runtime_check(self, table: TargetTable) -> bool:
        return any(mask != table.all_mask for _, mask in self.cases)


_MAX_BUILD_SYMBOLS = 10


def split_runtime(cond: Condition, table: TargetTable,
                  classes: SymbolClasses = DEFAULT_SYMBOL_CLASSES,
                  keep_unavailable: bool = False) -> RuntimeSplit:
    """Split *cond* into its build-time part (kept for the preprocessor) and, per build-time
    case, the set of targets where it holds (decided at run time).

    With *keep_unavailable*, a build-time case in which *cond* holds on none of *table*'s targets
    but could on some target (other run-time symbols) is kept, with the empty mask: the thing is
    still compiled in (a QEMU whose own code uses every declaration needs it), and never
    visible."""
    runtime = classes.runtime_symbols(cond)
    if not runtime:
        return RuntimeSplit(cond, ((cond, table.all_mask),) if not cond.is_always
                            else ((ALWAYS, table.all_mask),))
    build = sorted(classes.build_symbols(cond))
    if len(build) > _MAX_BUILD_SYMBOLS:
        raise ValueError(f"condition mixes run-time symbols with too many build symbols: {cond}")
    by_mask: dict[int, list[dict[str, bool]]] = {}
    for bits in range(1 << len(build)):
        assignment = {sym: bool(bits >> i & 1) for i, sym in enumerate(build)}
        rest = partial(cond, assignment.get)
        mask = target_mask(rest, table, classes)
        if mask or (keep_unavailable and _satisfiable(rest)):
            by_mask.setdefault(mask, []).append(assignment)
    cases = tuple((_minimal_cover(build, assignments), mask)
                  for mask, assignments in by_mask.items())
    exists = _minimal_cover(build, [a for group in by_mask.values() for a in group])
    return RuntimeSplit(exists if by_mask else NEVER, cases)


def _satisfiable(cond: Condition) -> bool:
    """Whether some assignment of *cond*'s symbols makes it hold (they are few)."""
    symbols = sorted(cond.symbols())
    for bits in range(1 << len(symbols)):
        defined = frozenset(s for i, s in enumerate(symbols) if bits >> i & 1)
        if cond.holds_for(defined):
            return True
    return False


def _minimal_cover(symbols: Sequence[str], assignments: list[dict[str, bool]]) -> Condition:
    """A small condition over *symbols* true exactly for *assignments* (merging minterms that
    differ in one symbol, repeatedly; enough for the handful of symbols a schema mixes)."""
    terms = {tuple(a[s] for s in symbols) for a in assignments}
    cubes: set[tuple[bool | None, ...]] = set(terms)
    merged = True
    while merged:
        merged = False
        result: set[tuple[bool | None, ...]] = set()
        used: set[tuple[bool | None, ...]] = set()
        for a in cubes:
            for b in cubes:
                diff = [i for i in range(len(symbols)) if a[i] != b[i]]
                if len(diff) == 1 and a[diff[0]] is not None and b[diff[0]] is not None:
                    i = diff[0]
                    result.add((*a[:i], None, *a[i + 1:]))
                    used |= {a, b}
        if result:
            merged = True
            cubes = (cubes - used) | result
    parts: list[Condition] = []
    for cube in sorted(cubes, key=lambda c: [(-1 if v is None else int(v)) for v in c]):
        lits: list[Condition] = [
            Symbol(sym) if v else Not(Symbol(sym))
            for sym, v in zip(symbols, cube, strict=True) if v is not None
        ]
        if not lits:
            return ALWAYS
        parts.append(lits[0] if len(lits) == 1 else All(tuple(lits)))
    if not parts:
        return NEVER
    return parts[0] if len(parts) == 1 else Any(tuple(parts))


# --- Renderings -------------------------------------------------------------------------------


def to_c_preprocessor(cond: Condition) -> str:
    """The expression of an ``#if`` line: ``defined(A) && !defined(B)``."""

    def render(c: Condition, top: bool) -> str:
        if isinstance(c, Symbol):
            return f"defined({c.name})"
        if isinstance(c, Not):
            return "!" + render(c.operand, False)
        if isinstance(c, All | Any):
            op = " && " if isinstance(c, All) else " || "
            text = op.join(render(o, False) for o in c.operands)
            return text if top or len(c.operands) == 1 else f"({text})"
        raise ValueError("ALWAYS has no preprocessor form")

    return render(cond, True)


def to_text(cond: Condition) -> str:
    """Plain words for people: ``CONFIG_SPICE``, ``not CONFIG_WIN32``, ``A and (B or C)``."""

    def render(c: Condition, top: bool) -> str:
        if c.is_always:
            return "always"
        if c is NEVER:
            return "never"
        if isinstance(c, Symbol):
            return c.name
        if isinstance(c, Not):
            return "not " + render(c.operand, False)
        if isinstance(c, All | Any):
            op = " and " if isinstance(c, All) else " or "
            text = op.join(render(o, False) for o in c.operands)
            return text if top or len(c.operands) == 1 else f"({text})"
        raise TypeError(f"unknown condition {c!r}")

    return render(cond, True)


def _words(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_availability(where: Availability, table: TargetTable) -> str:
    """Plain words for people: ``""`` (everywhere), ``only on x86_64 and i386``,
    ``needs a build with CONFIG_SPICE``, ``only on s390x, in a build with CONFIG_KVM``."""
    if not where:
        return "on no target"
    if is_everywhere(where, table):
        return ""
    parts = []
    for names, rest in where:
        need = "" if rest.is_always else f"a build with {to_text(rest)}"
        if len(names) == len(table):
            parts.append(f"needs {need}")
        else:
            missing = [n for n in table.names() if n not in names]
            if len(where) == 1 and 2 * len(missing) < len(names):
                place = f"on every target but {_words(missing)}"
            else:
                place = f"only on {_words(names)}" if len(where) == 1 else f"on {_words(names)}"
            parts.append(place + (f", in {need}" if need else ""))
    return "; ".join(parts)
