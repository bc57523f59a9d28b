"""The bindings (``qapic bindings``) against real QEMU: the suite's builds of QEMU 10.0 (per
target with upstream's generator, and single-binary with qapic's) and of QEMU 10.2.2 (upstream,
and single-binary with the conditions qapic carries forward from 10.0), every qemu-system-X of
each.  Each build is used with its release's package: "10.0", "10.2-upstream" for upstream
10.2.2, "10.2" (the shipped conditions) for qapic's 10.2.2.

Every expectation comes from the binary itself (its ``query-commands``, ``query-qmp-schema``,
the replies and events it sends, read off the socket) or from the build directory (the
``#define`` lines of its config headers), never from the package's tables.

1. ``test_query_commands_decode``: every ``query-*`` command the binary lists whose method has
   no required parameter is called through the typed client.  A reply decodes into the
   package's classes and encodes back (``wire.encode``) to exactly the JSON QEMU sent; an
   error reply (``-machine none`` has no ACPI, no balloon, ...) is ``qemu.qmp.ExecuteError``
   with QEMU's class and description; a deprecated or unstable command warns exactly when the
   binary's schema gives it that feature.  Most calls decode.
2. ``test_stop_cont_events``: ``stop`` and ``cont`` with their typed events
   (``StopEvent``/``ResumeEvent`` through ``qmp.listen``), each the event QEMU sent.
3. ``test_query_sev_*``: on upstream 10.2.2's qemu-system-s390x, ``query-sev`` exists and its
   stub answers an error, which reaches the caller; on qapic's (built with the conditions) the
   "10.2" package refuses it before anything is sent (``CommandNotAvailable``), and the binary
   confirms it has no such command.
4. ``test_exists_agrees_with_the_binary``: ``exists(name, target=..., defines=...)`` for every
   command and event of the release's schema (the names of its ``.json`` files) and every one
   the binary lists, with the build's own ``#define``s (config-host.h and
   TARGET-softmmu-config-target.h), is true exactly for what ``query-commands`` and
   ``query-qmp-schema`` list.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest
from qemu.qmp import ExecuteError

from tests.bindings import packages
from tests.bindings.conftest import BUILDS, Wiretap, as_json, build_targets
from tests.qemu import QemuBuild
from tests.qmp import runner
from tests.support import qemu_source

#: The package each build is used with (see the module's docstring).
PACKAGE: Final = {
    "10.0-upstream": "10.0",
    "10.0-single": "10.0",
    "10.2-upstream": "10.2-upstream",
    "10.2-single": "10.2",
}
BINARIES: Final = [pytest.param(b, t, id=f"{b}-{t}") for b in BUILDS for t in build_targets(b)]
TIMEOUT: Final = 120.0

Binary = Callable[[str, str], Path]
Start = Callable[[Path], socket.socket]


async def connect(kind: str, sock: socket.socket) -> tuple[Any, Wiretap]:
    """A typed ``QMP`` of package *kind* connected over *sock*, and the wiretap under it."""
    qmp = packages.load(kind, "client").QMP()
    tap = Wiretap()
    qmp.qmp = tap
    await qmp.connect(sock)
    return qmp, tap


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


# --- 1. every query command without arguments -----------------------------------------------

@dataclass
class QueryReport:
    decoded: list[str] = field(default_factory=list)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    need_arguments: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        called = len(self.decoded) + len(self.errors)
        return (f"{called} query commands called: {len(self.decoded)} decoded, "
                f"{len(self.errors)} QEMU errors ({', '.join(sorted(self.errors))}); "
                f"{len(self.need_arguments)} need arguments")


async def call_queries(kind: str, sock: socket.socket) -> QueryReport:
    qmp, tap = await connect(kind, sock)
    pkg = packages.load(kind)
    wire = packages.load(kind, "wire")
    report = QueryReport()
    try:
        listed: Any = await tap.execute("query-commands")
        schema: Any = await tap.execute("query-qmp-schema")
        names = sorted(c["name"] for c in listed)
        features = {e["name"]: set(e.get("features", ())) for e in schema
                    if e["meta-type"] == "command"}
        if qmp.server.commands != set(names):
            report.problems.append(f"client's server.commands differ from query-commands: "
                                   f"{sorted(qmp.server.commands ^ set(names))}")
        for name in names:
            if not name.startswith("query-"):
                continue
            method = getattr(qmp, name.replace("-", "_"), None)
            if method is None:
                report.problems.append(f"{name}: no method {name.replace('-', '_')}")
                continue
            params = inspect.signature(method).parameters.values()
            if any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in params):
                report.need_arguments.append(name)
                continue
            await _call_one(qmp, tap, pkg, wire, name, method, features[name], report)
    finally:
        await qmp.disconnect()
    return report


async def _call_one(qmp: Any, tap: Wiretap, pkg: ModuleType, wire: ModuleType, name: str,
                    method: Any, features: set[str], report: QueryReport) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = await method()
        except ExecuteError as err:
            _sent, reply = tap.last(name)
            if type(err) is not ExecuteError or "error" not in reply:
                report.problems.append(f"{name}: {type(err).__name__} for {reply}")
            elif (err.error_class, str(err)) != (reply["error"]["class"],
                                                 reply["error"]["desc"]):
                report.problems.append(f"{name}: ExecuteError({err.error_class!r}, {str(err)!r})"
                                       f" for QEMU's {reply['error']}")
            else:
                report.errors[name] = (err.error_class, str(err))
        except Exception as err:
            report.problems.append(f"{name}: {type(err).__name__}: {err}")
        else:
            _sent, reply = tap.last(name)
            back = as_json(value, pkg, wire, qmp.release)
            if back != reply.get("return"):
                report.problems.append(f"{name}: decoded and encoded back, {back!r:.300} "
                                       f"differs from QEMU's {reply!r:.300}")
            elif hasattr(type(value), "_qapi_name") and pkg.unknown_members(value):
                report.problems.append(f"{name}: unknown members {pkg.unknown_members(value)}")
            else:
                report.decoded.append(name)
    warned = {w.category for w in caught}
    for feature, category in (("deprecated", pkg.QMPDeprecationWarning),
                              ("unstable", pkg.QMPUnstableWarning)):
        if (category in warned) != (feature in features):
            report.problems.append(f"{name}: {category.__name__} "
                                   f"{'raised' if category in warned else 'not raised'}, and "
                                   f"QEMU's schema gives it features {sorted(features)}")


@pytest.mark.parametrize(("build", "target"), BINARIES)
def test_query_commands_decode(build: str, target: str, qemu_binary: Binary,
                               start_qemu: Start) -> None:
    program = qemu_binary(build, target)
    t0 = time.monotonic()
    report = run(call_queries(PACKAGE[build], start_qemu(program)))
    print(f"{build} qemu-system-{target}: {report.line()} in {time.monotonic() - t0:.2f} s")
    assert report.problems == []
    # Most decode: with -machine none, a QEMU error is the exception (no ACPI, no balloon, no
    # SEV or SGX, and upstream 10.2's x86 and s390x commands on the other targets).
    assert len(report.decoded) >= 2 * len(report.errors), report.line()
    assert not any(c == "CommandNotFound" for c, _d in report.errors.values()), report.errors
    assert "query-version" in report.decoded and "query-qmp-schema" in report.decoded


# --- 2. stop and cont with their events -----------------------------------------------------

async def stop_cont(kind: str, sock: socket.socket) -> None:
    qmp, tap = await connect(kind, sock)
    t = packages.load(kind, "types")
    wire = packages.load(kind, "wire")
    try:
        assert (await qmp.query_status()).status == "prelaunch"
        with qmp.listen(t.StopEvent, t.ResumeEvent) as events, qmp.listen(t.StopEvent) as stops:
            await qmp.cont()
            resume = await events.get()
            assert type(resume) is t.ResumeEvent
            status = await qmp.query_status()
            assert (status.running, status.status) == (True, "running")
            await qmp.stop()
            async for event in events:
                stop = event
                break
            assert type(stop) is t.StopEvent
            # A stream of StopEvent only skips the RESUME that came first.
            assert type(await stops.get()) is t.StopEvent
            status = await qmp.query_status()
            assert (status.running, status.status) == (False, "paused")
        raw = [m for m in tap.received if "event" in m]
        assert [m["event"] for m in raw] == ["RESUME", "STOP"]
        for event, msg in zip((resume, stop), raw, strict=True):
            stamp = msg["timestamp"]
            assert event.timestamp == (stamp["seconds"], stamp["microseconds"])
            assert wire.encode(event) == msg.get("data", {})
    finally:
        await qmp.disconnect()


@pytest.mark.parametrize(("build", "target"), BINARIES)
def test_stop_cont_events(build: str, target: str, qemu_binary: Binary,
                          start_qemu: Start) -> None:
    run(stop_cont(PACKAGE[build], start_qemu(qemu_binary(build, target))))


# --- 3. query-sev on s390x: QEMU's answer, or refused before sending ------------------------

@dataclass
class SevCall:
    error: BaseException            # what qmp.query_sev() raised
    sent: list[dict[str, Any]]      # the messages written to the socket during the call
    received: list[dict[str, Any]]  # ... and read from it
    qemu_says: Any                  # QEMU's own answer to query-sev, asked without the bindings
    query_sev_sent: int             # how many query-sev went over the socket in the session


async def query_sev(kind: str, sock: socket.socket) -> SevCall:
    qmp, tap = await connect(kind, sock)
    try:
        sent, received = len(tap.sent), len(tap.received)
        try:
            await qmp.query_sev()
        except Exception as err:
            caught: BaseException = err
        else:
            raise AssertionError("query-sev answered on s390x")
        during = tap.sent[sent:], tap.received[received:]
        # The connection still works (nothing half-sent, no reply left pending).
        status = await qmp.query_status()
        assert status.status == "prelaunch"
        try:
            await tap.execute("query-sev")
            qemu_says: Any = "a return"
        except ExecuteError as err:
            qemu_says = (err.error_class, str(err))
        count = sum(m.get("execute") == "query-sev" for m in tap.sent)
        return SevCall(caught, *during, qemu_says, count)
    finally:
        await qmp.disconnect()


def test_query_sev_reaches_upstream_s390x(qemu_binary: Binary, start_qemu: Start) -> None:
    """Upstream 10.2.2 lists query-sev on every target; the typed client sends it and QEMU's
    error reaches the caller as it is."""
    call = run(query_sev("10.2-upstream", start_qemu(qemu_binary("10.2-upstream", "s390x"))))
    err = call.error
    assert type(err) is ExecuteError, repr(err)
    assert [m.get("execute") for m in call.sent] == ["query-sev"]
    assert [set(m) for m in call.received] == [{"id", "error"}]
    assert (err.error_class, str(err)) == (call.received[0]["error"]["class"],
                                          call.received[0]["error"]["desc"])
    assert err.error_class == "GenericError"
    assert (err.error_class, str(err)) == call.qemu_says
    assert call.query_sev_sent == 2
    print(f"upstream 10.2.2 qemu-system-s390x: query-sev -> {err.error_class}: {err}")


def test_query_sev_refused_on_qapic_s390x(qemu_binary: Binary, start_qemu: Start) -> None:
    """qapic's 10.2.2 s390x (built with the conditions) has no query-sev: the "10.2" package
    refuses it before anything is sent, and the binary confirms it lacks the command."""
    pkg = packages.load("10.2")
    call = run(query_sev("10.2", start_qemu(qemu_binary("10.2-single", "s390x"))))
    assert type(call.error) is pkg.CommandNotAvailable, repr(call.error)
    assert call.error.name == "query-sev"
    assert call.sent == [] and call.received == []
    assert call.query_sev_sent == 1           # only the test's own question, afterwards
    assert call.qemu_says == ("CommandNotFound", "The command query-sev has not been found")
    print(f"qapic 10.2.2 qemu-system-s390x: query-sev refused locally: {call.error}")


# --- 4. exists() against what each binary lists ---------------------------------------------

_INCLUDE = re.compile(r"^\{\s*'include'\s*:\s*'([^']+)'", re.M)
_DEFINITION = re.compile(r"^\{\s*'(command|event)'\s*:\s*'([^']+)'", re.M)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)", re.M)


def schema_names(main: Path) -> dict[str, set[str]]:
    """The commands and events defined by *main* and the files it includes (read as text)."""
    out: dict[str, set[str]] = {"command": set(), "event": set()}
    todo, seen = [main], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(encoding="utf-8")
        for kind, name in _DEFINITION.findall(text):
            out[kind].add(name)
        todo += [path.parent / name for name in _INCLUDE.findall(text)]
    return out


def build_defines(build: QemuBuild, target: str) -> tuple[str, ...]:
    """Every macro the build's config-host.h and TARGET-softmmu-config-target.h define."""
    names: set[str] = set()
    for header in ("config-host.h", f"{target}-softmmu-config-target.h"):
        names |= set(_DEFINE.findall((build.build_dir / header).read_text()))
    assert "CONFIG_SOFTMMU" in names or "CONFIG_SYSTEM_ONLY" in names, sorted(names)
    return tuple(sorted(names))


def _listed(program: Path) -> tuple[set[str], set[str], set[str]]:
    """query-commands' names, and query-qmp-schema's commands and events, of *program*."""
    with runner.QMPProcess(program) as qmp:
        (commands,) = qmp.exchange('{"execute": "query-commands"}')
        (schema,) = qmp.exchange('{"execute": "query-qmp-schema"}')
    entries = schema["return"]
    return ({c["name"] for c in commands["return"]},
            {e["name"] for e in entries if e["meta-type"] == "command"},
            {e["name"] for e in entries if e["meta-type"] == "event"})


@pytest.mark.parametrize(("build", "target"), BINARIES)
def test_exists_agrees_with_the_binary(build: str, target: str, qemu_binary: Binary,
                                       qemu_builds: Callable[[str], QemuBuild]) -> None:
    program = qemu_binary(build, target)
    pkg = packages.load(PACKAGE[build])
    release = BUILDS[build][1]
    assert (release,) == pkg.RELEASES
    defines = build_defines(qemu_builds(build), target)
    in_schema = schema_names(qemu_source(release) / "qapi" / "qapi-schema.json")
    listed, schema_commands, schema_events = _listed(program)
    assert len(listed) > 150 and len(schema_events) > 30
    assert listed == schema_commands, "query-commands and query-qmp-schema disagree"
    unknown = sorted(n for kind in ("command", "event") for n in in_schema[kind]
                     if not pkg.where(n))
    assert unknown == [], "the package lacks these of the schema"

    def exists(name: str) -> bool:
        return bool(pkg.exists(name, target=target, defines=defines, release=release))

    wrong: dict[str, list[str]] = {}
    for kind, have in (("command", listed), ("event", schema_events)):
        for name in sorted(in_schema[kind] | have):
            if exists(name) and name not in have:
                wrong.setdefault(f"{kind}s exists() has, QEMU lacks", []).append(name)
            elif not exists(name) and name in have:
                wrong.setdefault(f"{kind}s QEMU has, exists() lacks", []).append(name)
    assert wrong == {}
    absent = len(in_schema["command"] - listed)
    print(f"{build} qemu-system-{target}: exists() agrees on {len(listed)} commands present, "
          f"{absent} absent, {len(schema_events)} events ({len(defines)} macros defined)")
