"""One script, one package, three QEMU releases: the bindings package "all" (QEMU 7.2, 10.0 and
10.2.2 with qapic's shipped conditions, generated once) drives Debian 12's QEMU 7.2 binaries and
the suite's QEMU 10.0 and 10.2.2 builds (per target and single-binary) through the same
function, :func:`script`, with a ``SyncQMP``.

For each binary: the client picks the release the binary reports (``qmp.release`` is "7.2",
"10.0" or "10.2"), every reply of the script decodes in that release's types, and each decoded
value, encoded back by ``wire.encode`` for that release, is exactly the JSON QEMU sent (read off
the socket); the events are the ones QEMU sent, with their timestamps.  The expectations are
the binary's own messages, not the package's tables.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest

from tests.bindings import packages
from tests.bindings.conftest import BUILDS, DEBIAN_TARGETS, Wiretap, as_json

#: (build, expected release): Debian's 7.2 ("debian-7.2") and each of the suite's builds.
SERVERS: Final = {"debian-7.2": "7.2", **{b: q for b, (_g, q) in BUILDS.items()}}
PARAMS: Final = [pytest.param(server, target, id=f"{server}-{target}")
                 for server in SERVERS for target in DEBIAN_TARGETS]
EVENT_TIMEOUT: Final = 10.0

#: The calls :func:`script` makes, as (key in its result, command on the wire).
CALLS: Final = (
    ("version", "query-version"), ("target", "query-target"), ("status", "query-status"),
    ("commands", "query-commands"), ("block", "query-block"), ("cpus", "query-cpus-fast"),
    ("machines", "query-machines"), ("types", "qom-list-types"), ("cont", "cont"),
    ("stop", "stop"), ("stopped", "query-status"),
)


def script(pkg: ModuleType, qmp: Any) -> dict[str, Any]:
    """What a user writes once against the package and runs against any QEMU it serves."""
    t = pkg.types
    out: dict[str, Any] = {
        "version": qmp.query_version(),
        "target": qmp.query_target(),
        "status": qmp.query_status(),
        "commands": qmp.query_commands(),
        "block": qmp.query_block(),
        "cpus": qmp.query_cpus_fast(),
        "machines": qmp.query_machines(),
        "types": qmp.qom_list_types(abstract=True),
    }
    with qmp.listen(t.StopEvent, t.ResumeEvent) as events:
        out["cont"] = qmp.cont()
        out["RESUME"] = events.get(EVENT_TIMEOUT)
        out["stop"] = qmp.stop()
        out["STOP"] = events.get(EVENT_TIMEOUT)
    out["stopped"] = qmp.query_status()
    return out


@pytest.fixture
def server_binary(qemu_binary: Callable[[str, str], Path],
                  debian_7_2: Callable[[str], Path]) -> Callable[[str, str], Path]:
    def get(server: str, target: str) -> Path:
        return debian_7_2(target) if server == "debian-7.2" else qemu_binary(server, target)

    return get


@pytest.mark.parametrize(("server", "target"), PARAMS)
def test_one_script_every_release(server: str, target: str,
                                  server_binary: Callable[[str, str], Path],
                                  start_qemu: Callable[[Path], socket.socket]) -> None:
    pkg = packages.load("all")
    client = packages.load("all", "client")
    wire = packages.load("all", "wire")
    t = packages.load("all", "types")
    assert pkg.RELEASES == ("7.2", "10.0", "10.2")
    release = SERVERS[server]

    qmp = client.SyncQMP()
    tap = Wiretap()
    qmp.aio.qmp = tap
    t0 = time.monotonic()
    try:
        qmp.connect(start_qemu(server_binary(server, target)))
        out = script(pkg, qmp)
    finally:
        qmp.close()
    elapsed = time.monotonic() - t0

    assert qmp.release == release
    assert qmp.target == target
    # The QEMU that answered is of that release, by its own reply.
    qemu = tap.last("query-version")[1]["return"]["qemu"]
    assert f"{qemu['major']}.{qemu['minor']}" == release
    assert (out["version"].qemu.major, out["version"].qemu.minor) == (qemu["major"],
                                                                      qemu["minor"])
    assert isinstance(out["version"], t.VersionInfo)
    assert out["target"].arch == target
    assert (out["status"].status, out["stopped"].status) == ("prelaunch", "paused")
    assert {c.name for c in out["commands"]} >= {"query-version", "query-machines", "stop"}
    assert all(isinstance(m, t.MachineInfo) for m in out["machines"])
    assert any(m.name == "none" for m in out["machines"])
    assert all(isinstance(x, t.ObjectTypeInfo) for x in out["types"])
    assert tap.last("qom-list-types")[0]["arguments"] == {"abstract": True}

    # Every reply decoded in the release's types: encoded back, it is what QEMU sent.
    for key, command in CALLS:
        _sent, reply = tap.last(command) if key != "status" else _first(tap, command)
        assert "return" in reply, (command, reply)
        if out[key] is None:                # a command that returns nothing: {}
            assert reply["return"] == {}, command
        else:
            assert as_json(out[key], pkg, wire, release) == reply["return"], command
    events = [m for m in tap.received if "event" in m]
    assert [m["event"] for m in events] == ["RESUME", "STOP"]
    for msg in events:
        event = out[msg["event"]]
        assert type(event) is {"RESUME": t.ResumeEvent, "STOP": t.StopEvent}[msg["event"]]
        stamp = msg["timestamp"]
        assert event.timestamp == (stamp["seconds"], stamp["microseconds"])
    print(f"{server} qemu-system-{target}: release {qmp.release}, "
          f"{len(out['commands'])} commands, {len(out['machines'])} machines, "
          f"{len(out['types'])} QOM types, connect + script {elapsed:.2f} s")


def _first(tap: Wiretap, command: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first *command* sent and QEMU's reply to it."""
    sent = next(m for m in tap.sent if m.get("execute") == command)
    (reply,) = (m for m in tap.received if m.get("id") == sent["id"])
    return sent, reply
