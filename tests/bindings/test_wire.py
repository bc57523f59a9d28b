"""Values that break the schema, each kind by hand: the typed client refuses them with the path
of the bad value, before a byte reaches QEMU (a harness behind a byte pump); the wire layer
decodes replies and events leniently (unknown members kept) and requests strictly.

The expected messages are written from QEMU 10.0's schema (the member, its type, where it is).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from qapic.proof.harness.build import Result
from tests.bindings.harness import connected
from tests.bindings.packages import load
from tests.harness.conftest import harnesses
from tests.qemu.fixtures import qemu_upstream

__all__ = ["harnesses", "qemu_upstream"]

Case = Callable[[Any, Any], Awaitable[object]]

# (what is wrong, the call, the exception's class name, its message)
CASES: list[tuple[str, Case, str, str]] = [
    ("wrong type at depth",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(
         node_name="n", file=t.BlockdevOptions_file(filename=3))),
     "EncodeError", "blockdev-add: arguments.file.filename: 3 is not a str"),
    ("alternate given a kind none of its branches takes",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(node_name="n", file=5)),
     "EncodeError", "blockdev-add: arguments.file: 5 is not a BlockdevRef"),
    ("missing required member",
     lambda q, t: q.block_resize(node_name="n", size=None),
     "EncodeError", "block_resize: arguments: member 'size' is missing"),
    ("missing required member at depth",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(
         node_name="n", file=t.BlockdevOptions_file(filename=None))),
     "EncodeError", "blockdev-add: arguments.file: member 'filename' is missing"),
    ("unknown enum value",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(
         node_name="n", file="f", detect_zeroes="sometimes")),
     "EncodeError",
     "blockdev-add: arguments.detect-zeroes: 'sometimes' is not a BlockdevDetectZeroesOptions"),
    ("enum value of the wrong Python type",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(
         node_name="n", file="f", detect_zeroes=1)),
     "EncodeError",
     "blockdev-add: arguments.detect-zeroes: 1 is not a BlockdevDetectZeroesOptions"),
    ("integer beyond its width (uint8)",
     lambda q, t: q.migrate_set_parameters(t.MigrateSetParameters(max_cpu_throttle=300)),
     "EncodeError",
     "migrate-set-parameters: arguments.max-cpu-throttle: 300 is out of range for uint8"),
    ("negative size",
     lambda q, t: q.blockdev_create(job_id="j", options=t.BlockdevCreateOptions_qcow2(
         file="f", size=-1)),
     "EncodeError", "blockdev-create: arguments.options.size: -1 is out of range for size"),
    ("integer beyond int64",
     lambda q, t: q.block_resize(node_name="n", size=1 << 63),
     "EncodeError",
     f"block_resize: arguments.size: {1 << 63} is out of range for int"),
    ("bool for an integer",
     lambda q, t: q.block_resize(node_name="n", size=True),
     "EncodeError", "block_resize: arguments.size: True is not a int"),
    ("float for an integer",
     lambda q, t: q.block_resize(node_name="n", size=1.5),
     "EncodeError", "block_resize: arguments.size: 1.5 is not a int"),
    ("integer for a bool",
     lambda q, t: q.eject(id="cd", force=1),
     "EncodeError", "eject: arguments.force: 1 is not a boolean"),
    ("string for a list",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_quorum(
         node_name="n", children="a", vote_threshold=1)),
     "EncodeError", "blockdev-add: arguments.children: 'a' is not a list of BlockdevRef"),
    ("wrong list element",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_quorum(
         node_name="n", children=["a", 5], vote_threshold=1)),
     "EncodeError", "blockdev-add: arguments.children[1]: 5 is not a BlockdevRef"),
    ("a dict where a class is expected",
     lambda q, t: q.blockdev_add({"driver": "qcow2", "node-name": "n", "file": "f"}),
     "EncodeError", "blockdev-add: arguments: {'driver': 'qcow2', 'node-name': 'n', 'file': "
                    "'f'} is not a BlockdevOptions"),
    ("another class than the member's",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_qcow2(
         node_name="n", file="f", cache=t.BlockdevOptions_file(filename="x"))),
     "EncodeError", "blockdev-add: arguments.cache: BlockdevOptions_file(driver='file', "
                    "filename='x') is not a BlockdevCacheOptions"),
    ("a union's base class, no branch",
     lambda q, t: q.blockdev_add(t.BlockdevOptions()),
     "EncodeError", "blockdev-add: arguments: a BlockdevOptions must be one of its branch "
                    "classes (BlockdevOptions_...)"),
    ("a branch class whose tag says another branch",
     lambda q, t: q.blockdev_add(_retagged(t.BlockdevOptions_qcow2(node_name="n", file="f"))),
     "EncodeError", "blockdev-add: arguments.driver: 'raw' is not the branch of "
                    "BlockdevOptions_qcow2"),
    ("null where it is no value",
     lambda q, t: q.block_resize(node_name=load("10.0").NULL, size=1),
     "EncodeError", "block_resize: arguments.node-name: NULL is not a str"),
    ("alternate with null given a number",
     lambda q, t: q.migrate_set_parameters(t.MigrateSetParameters(tls_creds=5)),
     "EncodeError", "migrate-set-parameters: arguments.tls-creds: 5 is not a StrOrNull"),
    ("'any' value that is no JSON",
     lambda q, t: q.qom_set(path="/", property="p", value={"a": {1, 2}}),
     "EncodeError", "qom-set: arguments.value.a: {1, 2} is not JSON"),
    ("'any' object with a key that is no string",
     lambda q, t: q.qom_set(path="/", property="p", value={1: 2}),
     "EncodeError", "qom-set: arguments.value: key 1 is not a string"),
    ("command of another target",
     lambda q, t: q.dump_skeys(filename="f"),
     "CommandNotAvailable", "dump-skeys is not available on this QEMU (x86_64, QEMU 10.0.13); "
                            "it exists in QEMU 10.0 on s390x"),
    ("enum value the build lacks",
     lambda q, t: q.blockdev_add(t.BlockdevOptions_file(
         node_name="n", filename="x", aio="io_uring")),
     "MemberNotAvailable",
     "blockdev-add: arguments.aio: value 'io_uring' of BlockdevAioOptions is not available on "
     "this QEMU (x86_64, QEMU 10.0.13); it exists in QEMU 10.0 on aarch64, alpha, arm, avr, "
     "hppa, i386, loongarch64, m68k, microblaze, microblazeel, mips, mips64, mips64el, mipsel, "
     "or1k, ppc, ppc64, riscv32, riscv64, rx, s390x, sh4, sh4eb, sparc, sparc64, tricore, "
     "x86_64, xtensa, xtensaeb"),
    ("a required argument left out (Python refuses the call)",
     lambda q, t: q.block_resize(node_name="n"),
     "TypeError", "QMP.block_resize() missing 1 required keyword-only argument: 'size'"),
]


def _retagged(value: Any) -> Any:
    value.driver = "raw"
    return value


def test_at_least_twenty_kinds() -> None:
    assert len({what for what, *_ in CASES}) >= 20


def test_schema_breaking_values_are_refused_before_sending(harnesses: Result) -> None:
    asyncio.run(_cases(harnesses))


async def _cases(harnesses: Result) -> None:
    client = load("10.0", "client")
    types = load("10.0", "types")
    failures = []
    async with connected(client.QMP, harnesses.per_target["x86_64"], "x86_64") as (qmp, pump):
        for what, case, kind, message in CASES:
            before = len(pump.sent)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    await case(qmp, types)
                except Exception as err:
                    got = (type(err).__name__, str(err))
                else:
                    got = ("nothing", "")
            await pump.settle()
            if got[0] != kind or (message and got[1] != message):
                failures.append(f"{what}: expected {kind} {message!r}, got {got}")
            if len(pump.sent) != before:
                failures.append(f"{what}: bytes were sent")
        with pytest.warns(load("10.0").QMPDeprecationWarning,
                          match="command query-migrationthreads is deprecated"):
            await qmp.query_migrationthreads()
        # The client still works after all that: nothing half-sent.
        assert (await qmp.query_name()) is not None
    assert not failures, "\n".join(failures)


def test_error_path_attribute() -> None:
    pkg = load("10.0")
    wire = load("10.0", "wire")
    with pytest.raises(pkg.DecodeError) as info:
        wire.decode_arguments("blockdev-add", {"driver": "qcow3", "node-name": "n"})
    assert str(info.value) == "blockdev-add: arguments.driver: 'qcow3' is not a BlockdevDriver"
    assert info.value.path == "arguments.driver"
    with pytest.raises(pkg.EncodeError) as enc:
        wire.encode_arguments("block_resize", {"node_name": "n", "size": "1G"})
    assert enc.value.path == "arguments.size"


def test_requests_are_decoded_strictly() -> None:
    pkg = load("10.0")
    wire = load("10.0", "wire")
    types = load("10.0", "types")
    value = wire.decode_arguments(
        "blockdev-add", {"driver": "qcow2", "node-name": "n", "file": {"driver": "file",
                                                                      "filename": "x"}})
    assert isinstance(value, types.BlockdevOptions_qcow2)
    assert isinstance(value.file, types.BlockdevOptions_file) and value.file.filename == "x"
    cases = {
        # a member of another branch than the tag's
        ("blockdev-add", '{"driver": "qcow2", "node-name": "n", "file": "f", "filename": "x"}'):
            "blockdev-add: arguments.filename: BlockdevOptions has no member 'filename'",
        # an argument the command does not have
        ("block_resize", '{"node-name": "n", "size": 1, "sise": 2}'):
            "block_resize: arguments.sise: block_resize has no argument 'sise'",
        # no tag at all
        ("blockdev-add", '{"node-name": "n"}'):
            "blockdev-add: arguments: member 'driver' is missing",
    }
    import json
    for (command, text), message in cases.items():
        with pytest.raises(pkg.DecodeError) as info:
            wire.decode_arguments(command, json.loads(text))
        assert str(info.value) == message


def test_replies_and_events_keep_unknown_members() -> None:
    pkg = load("10.0")
    wire = load("10.0", "wire")
    reply = {"running": True, "status": "running", "x-new-member": {"a": [1]}}
    status = wire.decode_return("query-status", reply)
    assert status.running is True and status.status == "running"
    assert pkg.unknown_members(status) == {"x-new-member": {"a": [1]}}
    assert wire.encode_return("query-status", status) == reply
    event = wire.decode_event("BLOCK_JOB_COMPLETED", {
        "type": "backup", "device": "d", "len": 1, "offset": 1, "speed": 0, "later": True},
        timestamp=(5, 6))
    assert event.device == "d" and event.timestamp == (5, 6)
    assert pkg.unknown_members(event) == {"later": True}
    with pytest.raises(pkg.DecodeError) as info:
        wire.decode_return("query-status", {"running": "yes", "status": "running"})
    assert str(info.value) == "query-status: return.running: 'yes' is not a boolean"
    with pytest.raises(pkg.DecodeError) as info:
        wire.decode_return("query-status", {"running": True})
    assert str(info.value) == "query-status: return: member 'status' is missing"
    with pytest.raises(pkg.DecodeError) as info:
        wire.decode_event("BLOCK_JOB_COMPLETED", {
            "type": "nope", "device": "d", "len": 1, "offset": 1, "speed": 0})
    assert str(info.value) == "BLOCK_JOB_COMPLETED: data.type: 'nope' is not a JobType"


def test_deprecated_and_unstable_warn_at_run_time() -> None:
    pkg = load("10.0")
    wire = load("10.0", "wire")
    with pytest.warns(pkg.QMPDeprecationWarning, match="member 'device' of eject is deprecated"):
        wire.encode_arguments("eject", {"device": "ide0-cd0"})
    with pytest.warns(pkg.QMPDeprecationWarning, match="BlockdevDriver value 'gluster' is"):
        wire.encode("gluster", "BlockdevDriver")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wire.encode_arguments("eject", {"id": "cd"})      # nothing deprecated used: no warning


def test_a_member_the_schema_lacks_is_refused() -> None:
    """A Python name that is no member, by keyword or set on an object: refused, not dropped."""
    pkg = load("10.0")
    wire = load("10.0", "wire")
    types = load("10.0", "types")
    with pytest.raises(pkg.EncodeError) as info:
        wire.encode_arguments("qom-list-types", {"abstract": True, "no_such_member": 1})
    assert str(info.value) == ("qom-list-types: arguments.no_such_member: qom-list-types has "
                               "no argument 'no_such_member'")
    with pytest.raises(pkg.EncodeError) as info:
        wire.encode_arguments("query-status", {"verbose": True})
    assert str(info.value) == ("query-status: arguments.verbose: query-status has no argument "
                               "'verbose'")
    value = types.BlockdevOptions_qcow2(node_name="n", file="f")
    with pytest.raises(AttributeError):     # no such attribute (__slots__; mypy says so too)
        value.filename = "x"


def test_several_releases_each_by_its_own_schema() -> None:
    """The package of 7.2, 10.0 and 10.2: a member newer than the release in use is refused
    and says where it exists; a reply of the older release decodes with the newer members
    absent (None), and compares."""
    pkg = load("all")
    wire = load("all", "wire")
    with pytest.raises(pkg.MemberNotAvailable) as info:
        wire.encode_arguments("query-machines", {"compat_props": True}, release="7.2")
    assert str(info.value).startswith(
        "query-machines: arguments.compat-props: member 'compat-props' is not in QEMU 7.2; it "
        "exists in QEMU 10.0 on aarch64, ")
    assert set(info.value.where) == {"10.0", "10.2"}
    assert wire.encode_arguments("query-machines", {"compat_props": True}, release="10.0") == {
        "compat-props": True}
    machine = {"name": "none", "cpu-max": 1, "hotpluggable-cpus": False,
               "numa-mem-supported": False, "deprecated": False}
    old = wire.decode_return("query-machines", [machine], release="7.2")[0]
    again = wire.decode_return("query-machines", [machine], release="7.2")[0]
    assert old.compat_props is None and old.acpi is None and old == again
    assert wire.encode_return("query-machines", [old], release="7.2") == [machine]
    with pytest.raises(pkg.DecodeError):        # 10.0 requires 'acpi'
        wire.decode_return("query-machines", [machine], release="10.0")
