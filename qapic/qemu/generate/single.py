"""The guard policy: how a schema condition becomes C, per target or for a single binary.

Every C backend writes conditional code through :class:`~qapic.qemu.generate.common.Emitter`, and
the emitter asks the policy in force (``GenContext.guards``) what to write.  Two kinds of code:

- *declarations* (struct members, enum constants and their names in lookup tables, union
  branches, prototypes, whole functions, introspection entries): ``Emitter.guarded(cond)``, an
  ``#if`` on :meth:`GuardPolicy.exists` -- the condition under which the thing is compiled in;
- *behaviour* (visiting a member, registering a command, sending an event, taking a union or
  alternate branch): ``Emitter.checked(cond)`` (the ``#if`` and the run-time check) or, inside
  an existing ``guarded(cond)``, ``Emitter.visible_only(cond)`` (the run-time check alone).

:data:`PER_TARGET` (the default) is QEMU's own behaviour: the condition itself is the ``#if`` and
nothing is left for run time, so per-target output is what it always was.

:class:`SingleBinaryPolicy` (``qapic generate --single-binary``) compiles the code once for every
target.  :func:`qapic.conditions.split_runtime` splits each condition: its build-time part stays
in the preprocessor (``exists``, and the exclusive build-time *cases*), its run-time part becomes
a constant set of targets per case, tested at run time by ``qapi_targets_visible(MASK)``
(``qapi-targets.h``: the multi-target policy, one place).  A test whose mask is every target is
left out.  No run-time symbol (``TARGET_*``, ``CONFIG_KVM``) is ever written in an ``#if``.

What each kind of thing does for a single binary:

- struct members, enum constants, union/alternate branches, prototypes, marshallers and event
  senders are compiled in where ``exists`` holds (for QEMU 10.0's schema: always);
- an input visitor skips an unavailable member (so ``visit_check_struct()`` reports it as
  unexpected, as QEMU does for a member its struct lacks) and an output visitor never emits one;
  an enum with run-time values goes through ``qapi_targets_visit_enum()``, which offers an input
  visitor only the available values (QEMU's own error for the others); a union branch is
  reached only through its tag's value; an unavailable alternate branch reports its QType as
  invalid, as the per-target build does for a QType with no branch;
- ``qmp_init_marshal()`` registers a command only when visible; an event sender returns at once
  when the event is not; ``qapi_introspect_qobject()`` filters query-qmp-schema's value, once
  per active-target set (:mod:`.introspect_single`).

Stubs: the marshaller of a run-time conditional command calls a handler that only its targets'
code defines.  So that a binary without those targets still links, the command's
``qapi-commands-MODULE.c`` defines the handler as a weak symbol (``__attribute__((weak))``) that
aborts; it is never reached, because the command is not registered.  A target's strong
definition replaces it at link time.  Limits: this relies on ELF weak symbols (GCC and Clang on
Linux and the BSDs).  A static archive member holding only a strong definition is not pulled in
to replace a weak one that is already defined, so target code must be linked whole (QEMU does:
``link_whole``).  Mach-O supports weak definitions (``weak_definition``) but its linker
coalesces them only across the final link, which works for QEMU's macOS builds; PE/COFF
(MinGW) has only weak externals, whose semantics differ (a weak definition in one object is not
reliably overridden by a strong one in an archive), so Windows builds would need the stubs in a
separate object linked last.  Two targets that both implement a command cannot be linked
together either: that needs per-target dispatch, outside QAPI.
"""

from __future__ import annotations

from collections.abc import Sequence

from qapic.conditions import (
    ALWAYS,
    Condition,
    RuntimeSplit,
    SymbolClasses,
    TargetTable,
    split_runtime,
)

#: The C spelling of the mask of every target (qapi-targets.h).
ALL_TARGETS = "QAPI_TARGETS_ALL"


class GuardPolicy:
    """Per-target code (QEMU's way): every condition is decided by the preprocessor."""

    single_binary = False
    handler_stubs = False

    def exists(self, cond: Condition) -> Condition:
        """The preprocessor condition under which a declaration under *cond* is compiled in."""
        return cond

    def cases(self, cond: Condition) -> Sequence[tuple[Condition, str | None]]:
        """Exclusive build-time cases of *cond*, each with the C run-time test that decides
        the rest (None: nothing left to decide at run time)."""
        return ((cond, None),)

    def mask_cases(self, cond: Condition) -> Sequence[tuple[Condition, str]]:
        """Like :meth:`cases`, with the C mask of targets on which *cond* then holds."""
        return ((cond, ALL_TARGETS),)

    def is_runtime(self, cond: Condition) -> bool:
        """Whether code under *cond* needs a run-time check in some build."""
        return False


PER_TARGET = GuardPolicy()


def target_constant(name: str) -> str:
    """The C constant of one target's bit: ``QAPI_TARGET_X86_64``."""
    return "QAPI_TARGET_" + "".join(ch if ch.isalnum() else "_" for ch in name.upper())


class SingleBinaryPolicy(GuardPolicy):
    """Code compiled once for all targets of *table*; run-time symbols per *classes*."""

    single_binary = True

    def __init__(self, table: TargetTable, classes: SymbolClasses | None = None,
                 upstream_stubs: bool = False) -> None:
        self.table = table
        self.classes = classes or SymbolClasses()
        #: *upstream_stubs*: the QEMU tree defines the handler of every command on every target
        #: and its own code uses every QAPI declaration (QEMU 10.1+: stubs/monitor-*.c), so
        #: nothing is left out at build time that some target could have (even when no target
        #: of this build has it), and no weak handler stubs are generated.
        self.upstream_stubs = upstream_stubs
        self.handler_stubs = not upstream_stubs
        self._splits: dict[Condition, RuntimeSplit] = {}

    def split(self, cond: Condition) -> RuntimeSplit:
        found = self._splits.get(cond)
        if found is None:
            found = self._splits[cond] = split_runtime(cond, self.table, self.classes,
                                                       keep_unavailable=self.upstream_stubs)
        return found

    def exists(self, cond: Condition) -> Condition:
        return ALWAYS if cond.is_always else self.split(cond).exists

    def cases(self, cond: Condition) -> Sequence[tuple[Condition, str | None]]:
        if cond.is_always:
            return ((ALWAYS, None),)
        return tuple((case, None if mask == self.table.all_mask
                      else f"qapi_targets_visible({self.mask_c(mask)})")
                     for case, mask in self.split(cond).cases)

    def mask_cases(self, cond: Condition) -> Sequence[tuple[Condition, str]]:
        if cond.is_always:
            return ((ALWAYS, ALL_TARGETS),)
        return tuple((case, self.mask_c(mask)) for case, mask in self.split(cond).cases)

    def is_runtime(self, cond: Condition) -> bool:
        return not cond.is_always and self.split(cond).needs_runtime_check(self.table)

    def mask_c(self, mask: int) -> str:
        """*mask* in C: ``QAPI_TARGETS_ALL`` or ``QAPI_TARGET_I386 | QAPI_TARGET_X86_64``."""
        if mask == self.table.all_mask:
            return ALL_TARGETS
        if mask == 0:
            return "0"
        return " | ".join(target_constant(n) for n in self.table.names_in(mask))
