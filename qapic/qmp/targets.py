"""Which commands and events exist on which targets: ``qapic targets``.

For each command and event, every target's run-time symbols are decided by the condition model
(:func:`qapic.conditions.partial`); what remains is the build-time requirement on that target
(``always``, ``never``, or e.g. ``CONFIG_SPICE``).  Targets with the same requirement are grouped.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass

from qapic import conditions, options
from qapic.conditions import SymbolClasses, TargetTable
from qapic.frontend import Command, Event, Schema, entities_of
from qapic.userio import UsageError, warn_unused_symbols, write_stdout

HELP = "which commands and events exist on which targets"
DESCRIPTION = ("Show which commands and events of SCHEMA exist on which of QEMU's targets. "
               "Build-time symbols not given with --define stay open and are shown as "
               "conditions.")


def configure(p: argparse.ArgumentParser) -> None:
    options.add_schema_options(p)
    options.add_qemu_src(p)
    p.add_argument("-D", "--define", metavar="SYM", action="append", default=[],
                   help="a build-time symbol the build defines (repeatable)")
    p.add_argument("--exact", action="store_true",
                   help="the --define list is the whole build configuration: others are undefined")
    p.add_argument("--kvm", metavar="TARGETS",
                   help="comma-separated targets built with CONFIG_KVM ('none' for none); "
                   "default: CONFIG_KVM stays an open condition")
    options.add_runtime_symbols(p)
    p.add_argument("--all", action="store_true", help="list items that are everywhere too")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    schema = options.load_schema(args)      # first: a schema error wins over a tree problem
    tree = options.qemu_tree(args)
    table = options.read_targets(tree, args.schema, "the targets are read from it")
    classes = options.symbol_classes(args)
    defined = frozenset(args.define)
    kvm_known = args.kvm is not None
    if kvm_known:
        kvm = set() if args.kvm == "none" else {t.strip() for t in args.kvm.split(",") if t.strip()}
        unknown = kvm - set(table.names())
        if unknown:
            raise UsageError(f"unknown target(s) in --kvm: {', '.join(sorted(unknown))}")
        table = TargetTable(tuple(t.with_kvm(t.name in kvm) for t in table))

    def build_known(sym: str) -> bool | None:
        if sym in defined:
            return True
        return False if args.exact else None

    warn_unused_symbols("targets", schema, args.define)
    options.warn_without_target_conditions("targets", schema, tree)
    if kvm_known:
        options.warn_kvm_unused("targets", schema, f"--kvm {args.kvm}")
    items = availability(schema, table, classes, build_known, kvm_known)
    out = render_json(items, table) if args.json else render_table(items, table, args.all)
    write_stdout(out)
    return 0


@dataclass(frozen=True)
class Item:
    """Where one command or event exists."""

    kind: str                                   # "command" or "event"
    name: str
    groups: conditions.Availability


def availability(
    schema: Schema,
    table: TargetTable,
    classes: SymbolClasses,
    build_known: Callable[[str], bool | None],
    kvm_known: bool,
) -> list[Item]:
    """The availability of every command and event of *schema* on every target of *table*."""
    return [
        Item(e.meta, e.name,
             conditions.availability(e.ifcond, table, classes, build_known, kvm_known))
        for e in entities_of(schema.entities, Command, Event)
    ]


def _describe(item: Item, table: TargetTable) -> str:
    if not item.groups:
        return "no target"
    parts = []
    for names, req in item.groups:
        where = "all targets" if len(names) == len(table) else " ".join(names)
        parts.append(where if req.is_always else f"{where} (if {conditions.to_text(req)})")
    return "; ".join(parts)


def render_table(items: list[Item], table: TargetTable, show_all: bool) -> str:
    """A table for people: target-dependent items one per line; the rest counted."""
    lines: list[str] = []
    common = [i for i in items if conditions.is_everywhere(i.groups, table)]
    special = items if show_all else [
        i for i in items if not conditions.is_everywhere(i.groups, table)]
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


def render_json(items: list[Item], table: TargetTable) -> str:
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
