"""Which commands and events exist on which targets: ``qapic targets``.

For each command and event, every target's run-time symbols are decided by the condition model
(:func:`qapic.conditions.partial`); what remains is the build-time requirement on that target
(``always``, ``never``, or e.g. ``CONFIG_SPICE``).  Targets with the same requirement are grouped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from qapic import conditions
from qapic.conditions import Condition, SymbolClasses, TargetTable
from qapic.frontend import Command, Event, Schema


@dataclass(frozen=True)
class Availability:
    """Where one command or event exists: groups of targets, each with its build requirement."""

    kind: str                                   # "command" or "event"
    name: str
    groups: tuple[tuple[tuple[str, ...], Condition], ...]

    def everywhere(self, table: TargetTable) -> bool:
        return len(self.groups) == 1 and self.groups[0][1].is_always and \
            len(self.groups[0][0]) == len(table)


def availability(
    schema: Schema,
    table: TargetTable,
    classes: SymbolClasses,
    build_known: Callable[[str], bool | None],
    kvm_known: bool,
) -> list[Availability]:
    """The availability of every command and event of *schema* on every target of *table*.

    *build_known* decides build-time symbols (None: left open).  CONFIG_KVM is decided per target
    only when *kvm_known*; otherwise it stays an open requirement.
    """
    result: list[Availability] = []
    for entity in schema.entities:
        if not isinstance(entity, Command | Event):
            continue
        by_requirement: dict[Condition, list[str]] = {}
        for target in table:
            syms = table.target_symbols(target)

            def known(sym: str, syms: frozenset[str] = syms) -> bool | None:
                if sym == "CONFIG_KVM" and not kvm_known:
                    return None
                if classes.is_runtime(sym):
                    return sym in syms
                return build_known(sym)

            requirement = conditions.partial(entity.ifcond, known)
            if requirement is not conditions.NEVER:
                by_requirement.setdefault(requirement, []).append(target.name)
        groups = tuple((tuple(names), req) for req, names in by_requirement.items())
        kind = "command" if isinstance(entity, Command) else "event"
        result.append(Availability(kind, entity.name, groups))
    return result


def _describe(item: Availability, table: TargetTable) -> str:
    if not item.groups:
        return "no target"
    parts = []
    for names, req in item.groups:
        where = "all targets" if len(names) == len(table) else " ".join(names)
        parts.append(where if req.is_always else f"{where} (if {conditions.to_text(req)})")
    return "; ".join(parts)


def render_table(items: list[Availability], table: TargetTable, show_all: bool) -> str:
    """A table for people: target-dependent items one per line; the rest counted."""
    lines: list[str] = []
    common = [i for i in items if i.everywhere(table)]
    special = items if show_all else [i for i in items if not i.everywhere(table)]
    lines.append(f"{len(table)} targets: {' '.join(table.names())}")
    for kind in ("command", "event"):
        n_all = sum(1 for i in common if i.kind == kind)
        n = sum(1 for i in items if i.kind == kind)
        lines.append(f"{n} {kind}s, {n_all} of them on every target with no build condition")
    rows = [(f"{i.kind} {i.name}", _describe(i, table)) for i in special]
    if rows:
        width = max(len(r[0]) for r in rows)
        lines.append("")
        lines.append(f"{'ITEM'.ljust(width)}  WHERE")
        lines.extend(f"{left.ljust(width)}  {right}" for left, right in rows)
    return "\n".join(lines) + "\n"


def render_json(items: list[Availability], table: TargetTable) -> str:
    """For programs: every command and event with its groups of targets and build conditions."""
    doc = {
        "targets": table.names(),
        "commands": {},
        "events": {},
    }
    for item in items:
        section = doc["commands" if item.kind == "command" else "events"]
        assert isinstance(section, dict)
        section[item.name] = [
            {"targets": list(names), "if": None if req.is_always else req.to_json()}
            for names, req in item.groups
        ]
    return json.dumps(doc, indent=2) + "\n"
