"""Every target, through the harness: the typed client against each of the 29 per-target
harnesses (QEMU 10.0 from upstream's generator; QEMU 10.2.2 from upstream's generator on the
schema with qapic's shipped conditions written in), with QEMU's own code as the judge.

For every command the target has, each request of the fuzz plan (``qapic/proof/fuzz/plan.py``: every
command's arguments whole, each union and alternate taking each branch, then each member made
wrong alone, unknown keys, wrong list elements) is built as a user builds it, from Python
values (the generated classes' constructors, keyword arguments), and called through the typed
API.  Then:

- where QEMU's own input visitor accepts the request (the harness answers ``return``), the
  typed client sent it, the ``arguments`` on the wire are the plan's JSON byte for byte, and the
  reply decodes into the types and encodes back to the same JSON;
- where QEMU rejects it (the harness answers an error), the typed layer refused it first:
  ``EncodeError`` (with the path of the bad value), ``NotAvailable`` (a member, enum value or
  branch this target lacks), or no constructor takes it; and not a byte reached the harness;
- every command of the release that the target lacks raises ``CommandNotAvailable`` with
  nothing on the wire; every event the harness emits decodes and encodes back to its data;
- ``exists()`` agrees with the harness's ``query-qmp-schema`` on every command and event,
  with the symbols the harness was built with.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from qemu.qmp import ExecuteError

from qapic.frontend import Command, Schema, entities_of, load_schema
from qapic.frontend.overlay import load_optional
from qapic.proof.fuzz.plan import Plan
from qapic.proof.fuzz.request import render
from qapic.proof.harness.build import Result, defines_in_effect
from tests.bindings.harness import Builder, Pump, Unbuildable, connected, plain, python_name
from tests.bindings.packages import CARRIED_10_2, load, schema
from tests.carry.fixtures import schema_10_2_with_conditions
from tests.harness.conftest import harnesses
from tests.harness.helpers import OUT
from tests.harness.test_harness_10_2 import OUT as OUT_10_2
from tests.harness.test_harness_10_2 import harnesses_10_2, qemu_10_2_build
from tests.qemu.fixtures import qemu_upstream

#: The plan calls deprecated and unstable commands on purpose: their warnings are not news here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

__all__ = ["harnesses", "harnesses_10_2", "qemu_10_2_build", "qemu_upstream",
           "schema_10_2_with_conditions"]

def _schema(release: str) -> Schema:
    return load_schema(schema(release), overlay=load_optional(
        str(CARRIED_10_2) if release == "10.2" else None))


#: Plan requests not judged by QEMU's reply, and why.
EXEMPT = {
    "device_add": "'gen': false: no generated visitor reads its arguments (QEMU's handler "
                  "does, and the harness's stand-in takes anything), so QEMU's reply says "
                  "nothing about the schema's types",
    "qmp_capabilities": "capabilities are negotiated once, on connect: QEMU answers "
                        "CommandNotFound to any later call, whatever its arguments",
}


async def _call(qmp: Any, cmd: Command, args: Any, builder: Builder) -> Any:
    method = getattr(qmp, python_name(cmd.name))
    assert cmd.arg_type is not None
    if cmd.boxed:
        return await method(builder.value(cmd.arg_type, args))
    members = {m.name: m for m in cmd.arg_type.members}
    kwargs = {}
    for name, v in args:
        if name not in members:
            raise Unbuildable(name)
        kwargs[python_name(name)] = builder.value(members[name].type, v)
    return await method(**kwargs)


class _Run:
    """One target's harness through one package: what happened (*outcome*) and what is wrong
    (*problems*)."""

    def __init__(self, kind: str, qmp: Any, pump: Pump, target: str, sch: Schema) -> None:
        self.pkg = load(kind)
        self.wire = load(kind, "wire")
        self.builder = Builder(self.pkg, load(kind, "types").CLASSES)
        self.commands = {c.name: c for c in entities_of(sch.entities, Command)}
        self.qmp, self.pump, self.target = qmp, pump, target
        self.outcome: Counter[str] = Counter()
        self.problems: list[str] = []

    async def request(self, name: str, args: Any) -> None:
        """One request of the plan, built from Python values and called typed."""
        pump = self.pump
        before, sent_before = len(pump.sent), len(pump.sent_messages())
        try:
            result = await _call(self.qmp, self.commands[name], args, self.builder)
        except Unbuildable as err:
            return await self.refused(name, args, f"no constructor: {err}")
        except (self.pkg.EncodeError, self.pkg.NotAvailable) as err:
            await pump.settle()
            if len(pump.sent) != before:
                self.problems.append(f"{name}: refused ({err}) but bytes were sent")
            return await self.refused(name, args, type(err).__name__)
        except ExecuteError as err:
            result = err
        msgs = pump.sent_messages()[sent_before:]
        assert len(msgs) == 1, msgs
        sent_args = msgs[0].get("arguments", {})
        if json.dumps(sent_args, ensure_ascii=False, separators=(",", ":")) != render(args):
            self.problems.append(f"{name}: sent {json.dumps(sent_args)[:300]} "
                                 f"for {render(args)[:300]}")
        reply = [m for m in pump.received_messages() if m.get("id") == msgs[0].get("id")][-1]
        if "error" in reply:
            self.outcome["QEMU error"] += 1
            self.problems.append(f"{name} {render(args)[:300]}: sent, QEMU rejects it: "
                                 f"{reply['error']}")
            return None
        self.outcome["sent, accepted"] += 1
        back = self.wire.encode_return(name, result, release=self.qmp.release)
        if back != reply["return"]:
            self.problems.append(f"{name}: reply {json.dumps(reply['return'])[:300]} "
                                 f"decoded and encoded is {json.dumps(back)[:300]}")
        return None

    async def refused(self, name: str, args: Any, why: str) -> None:
        """QEMU must reject the very JSON the typed layer refused: asked directly."""
        self.outcome[f"refused: {why}"] += 1
        if "error" not in await _raw(self.qmp, name, args):
            self.problems.append(f"{name} {render(args)[:300]}: refused ({why}) but QEMU "
                                 "accepts it")

    async def lacking(self, name: str) -> None:
        """A command this target lacks: refused, nothing sent."""
        before = len(self.pump.sent)
        method = getattr(self.qmp, python_name(name))
        try:
            await method(**{})
        except self.pkg.CommandNotAvailable as err:
            self.outcome["not available"] += 1
            if not str(err).startswith(f"{name} is not available on this QEMU ({self.target},"):
                self.problems.append(f"{name}: {err}")
        except TypeError:       # required arguments: give them
            try:
                await method(*([None] if self.commands[name].boxed else []))
            except (self.pkg.CommandNotAvailable, TypeError):
                self.outcome["not available"] += 1
        except Exception as err:
            self.problems.append(f"{name}: missing on {self.target}, not refused: {err}")
        else:
            self.problems.append(f"{name}: missing on {self.target}, not refused")
        await self.pump.settle()
        if len(self.pump.sent) != before:
            self.problems.append(f"{name}: missing on {self.target}, yet bytes were sent")

    async def events(self) -> None:
        """Every event the harness emits decodes, and encodes back to its data."""
        with self.qmp.listen() as stream:
            start = len(self.pump.received_messages())
            await self.qmp.human_monitor_command(command_line="harness-emit-all")
            await self.pump.settle()
            raw_events = [m for m in self.pump.received_messages()[start:] if "event" in m]
            for raw in raw_events:
                event = await asyncio.wait_for(stream.get(), 10)
                self.outcome["events"] += 1
                if type(event)._event_name != raw["event"] or \
                        self.wire.encode(event, release=self.qmp.release) != raw.get("data", {}):
                    self.problems.append(f"event {raw['event']}: {raw} became {event!r}")
        if not raw_events:
            self.problems.append("no event emitted")


async def _target(release: str, binary: Path, target: str, sch: Schema,
                  plan: Plan, kind: str | None = None) -> tuple[Counter[str], list[str]]:
    """*target*'s harness of QEMU *release* through the package of *kind* (default: the
    package of that release alone)."""
    kind = kind or release
    async with connected(load(kind, "client").QMP, binary, target) as (qmp, pump):
        if qmp.release != release:
            return Counter(), [f"the client took QEMU {qmp.release} for {release}"]
        run = _Run(kind, qmp, pump, target, sch)
        have = qmp.server.commands
        for name, args in plan.entries:
            if name in have and name not in EXEMPT:
                await run.request(name, args)
        for name in sorted(set(run.commands) - have):
            await run.lacking(name)
        await run.events()
    return run.outcome, run.problems


async def _raw(qmp: Any, name: str, args: Any) -> dict[str, Any]:
    """The harness's reply to *args* sent as they are (untyped)."""
    try:
        value = await qmp.qmp.execute(name, plain(args))
    except Exception as err:
        return {"error": str(err)}
    return {"return": value}


def _run(release: str, result: Result, out: Path) -> None:
    sch = _schema(release)
    plan = Plan(entities_of(sch.entities, Command))
    total: Counter[str] = Counter()
    failures: dict[str, list[str]] = {}
    t0 = time.monotonic()
    for target in sorted(result.per_target):
        outcome, problems = asyncio.run(_target(release, result.per_target[target], target,
                                                sch, plan))
        total.update(outcome)
        if problems:
            failures[target] = problems[:20]
    print(f"QEMU {release}, {len(result.per_target)} targets, {len(plan.entries)} planned "
          f"requests: {dict(total)} in {time.monotonic() - t0:.1f} s")
    assert not failures, json.dumps(failures, indent=1)[:20000]
    assert len(result.per_target) == 29
    assert total["sent, accepted"] > 10000 and total["refused: EncodeError"] > 5000
    assert total["refused: NotAvailable"] + total["refused: MemberNotAvailable"] > 0
    assert total["not available"] > 100 and total["events"] > 1000
    _ = out


def test_every_target_10_0(harnesses: Result) -> None:
    _run("10.0", harnesses, OUT)


def test_every_target_10_2_with_the_shipped_conditions(harnesses_10_2: Result) -> None:
    _run("10.2", harnesses_10_2, OUT_10_2)


@pytest.mark.parametrize("release", ["10.0", "10.2"])
def test_one_package_of_three_releases(release: str, request: pytest.FixtureRequest) -> None:
    """The package of 7.2, 10.0 and 10.2 picks the harness's release from query-version and
    passes the same checks as that release's own package, on three targets."""
    result: Result = request.getfixturevalue("harnesses" if release == "10.0"
                                             else "harnesses_10_2")
    sch = _schema(release)
    plan = Plan(entities_of(sch.entities, Command))
    failures = {}
    for target in ("x86_64", "s390x", "aarch64"):
        outcome, problems = asyncio.run(_target(release, result.per_target[target], target,
                                                sch, plan, kind="all"))
        assert outcome["sent, accepted"] > 300, outcome
        if problems:
            failures[target] = problems[:20]
    assert not failures, json.dumps(failures, indent=1)[:20000]


@pytest.mark.parametrize("release", ["10.0", "10.2"])
def test_exists_agrees_with_every_harness(release: str, request: pytest.FixtureRequest) -> None:
    result: Result = request.getfixturevalue("harnesses" if release == "10.0"
                                             else "harnesses_10_2")
    out = OUT if release == "10.0" else OUT_10_2
    pkg = load(release)
    sch = _schema(release)
    names = [e.name for e in sch.entities if e.meta in ("command", "event")]
    wrong: dict[str, list[str]] = {}
    for target, binary in sorted(result.per_target.items()):
        defines = defines_in_effect(out, target)
        listed = asyncio.run(_listed(load(release, "client"), binary, target))
        for name in names:
            if pkg.exists(name, target=target, defines=tuple(defines)) != (name in listed):
                wrong.setdefault(target, []).append(name)
    assert not wrong, wrong
    assert len(result.per_target) == 29


async def _listed(client: Any, binary: Path, target: str) -> set[str]:
    async with connected(client.QMP, binary, target) as (qmp, _pump):
        listed: Any = await qmp.qmp.execute("query-commands")
        commands = {str(c["name"]) for c in listed}
        assert commands == qmp.server.commands
        return commands | set(qmp.server.events)
