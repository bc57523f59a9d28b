"""The real schemas of QEMU 10.0, 10.2 (strict) and 7.2 (lenient docs) load; for 10.0 and 10.2
the model dump equals upstream's own (test-qapi.py run on the same file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qapic.frontend import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    Event,
    Include,
    Module,
    ObjectType,
    QAPIError,
    load_schema,
)
from qapic.frontend.dump import dump
from tests.frontend.suite import upstream_dump

SCHEMAS = [
    "qapi/qapi-schema.json",
    "qga/qapi-schema.json",
    "storage-daemon/qapi/qapi-schema.json",
    "tests/qapi-schema/qapi-schema-test.json",
]


@pytest.mark.parametrize("rel", SCHEMAS)
def test_10_0_loads(qemu_10_0: Path, rel: str) -> None:
    schema = load_schema(qemu_10_0 / rel)
    assert any(isinstance(e, Command) for e in schema.entities)


@pytest.mark.parametrize("rel", SCHEMAS)
def test_10_2_loads(qemu_10_2: Path, rel: str) -> None:
    schema = load_schema(qemu_10_2 / rel)
    assert any(isinstance(e, Command) for e in schema.entities)


@pytest.mark.parametrize("rel", SCHEMAS)
def test_7_2_loads_leniently(qemu_7_2: Path, rel: str) -> None:
    schema = load_schema(qemu_7_2 / rel, lenient_docs=True)
    assert any(isinstance(e, Command) for e in schema.entities)


def test_7_2_rejected_strictly(qemu_7_2: Path) -> None:
    with pytest.raises(QAPIError, match="no longer supported"):
        load_schema(qemu_7_2 / "qga/qapi-schema.json")
    with pytest.raises(QAPIError, match="'=' heading must come first"):
        load_schema(qemu_7_2 / "qapi/qapi-schema.json")


@pytest.mark.parametrize("rel", SCHEMAS[:3])
@pytest.mark.parametrize("version", ["10.0", "10.2"])
def test_dump_equals_upstream(version: str, rel: str, qemu_10_0: Path,
                              qemu_10_2: Path) -> None:
    tree = qemu_10_0 if version == "10.0" else qemu_10_2
    assert dump(load_schema(tree / rel)) == upstream_dump(tree, tree / rel)


def test_model_api(qemu_10_0: Path) -> None:
    schema = load_schema(qemu_10_0 / "qapi/qapi-schema.json")
    assert isinstance(schema.entities[0], Module) and schema.entities[0].name == "./builtin"
    assert any(isinstance(e, Include) for e in schema.entities)
    intt = schema.lookup_type("int")
    assert isinstance(intt, BuiltinType) and intt.json_type() == "int"
    assert isinstance(schema.lookup_type("str"), BuiltinType)
    assert schema.lookup_type("query-status") is None
    cmd = schema.lookup_entity("query-status")
    assert isinstance(cmd, Command) and cmd.arg_type is None
    assert isinstance(cmd.ret_type, ObjectType) and cmd.ret_type.name == "StatusInfo"
    assert cmd.doc is not None and cmd.doc.symbol == "query-status"
    assert cmd.info is not None and cmd.module is not None
    assert cmd.module.name == "run-state.json"
    blockdev = schema.lookup_type("BlockdevOptions")
    assert isinstance(blockdev, ObjectType) and blockdev.branches is not None
    assert blockdev.branches.tag_member.name == "driver"
    assert blockdev.base is not None and blockdev.base.is_implicit()
    assert [m.name for m in blockdev.members][:1] == ["driver"]
    alt = schema.lookup_type("BlockdevRef")
    assert isinstance(alt, AlternateType)
    assert alt.branches.tag_member.type.name == "QType"
    enum = schema.lookup_type("QType")
    assert isinstance(enum, EnumType) and enum.members[0].name == "none"
    arr = schema.lookup_type("BlockDeviceInfoList")
    assert isinstance(arr, ArrayType) and arr.element_type.name == "BlockDeviceInfo"
    assert any(isinstance(e, Event) for e in schema.entities)
    for ent in schema.entities:
        if not isinstance(ent, (Module, BuiltinType)):
            assert ent.module is not None
