"""Real QEMU 10.2.2: qemu-system-{aarch64,s390x,x86_64} built with ``qapic qemu-setup
--single-binary`` (QAPI compiled once, the conditions qapic carries forward from 10.0 decided at
run time) against the oracle: upstream 10.2.2's own generator run on a copy of the schema with
those conditions written into its JSON (tests/carry/rewrite.py), its ``qapi-introspect.c``
evaluated for the macros each binary's build defines (the compiler's own ``-dM -E`` of the
build's command for qapi-introspect.c, plus the target's config-target.h).

For every built target: ``query-qmp-schema`` equals the oracle's value, ``query-commands`` is the
oracle's command set, every other command of the 10.2 schema is CommandNotFound, and QEMU's
QAPI unit tests pass.  The build graph shows each generated QAPI ``.c`` compiled once, with no
TARGET_* macro in any generated file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.carry.fixtures import schema_10_2_with_conditions
from tests.oracle.fixtures import oracle_10_2
from tests.oracle.upstream import UpstreamOracle
from tests.qemu import UNIT_TESTS, QemuBuild, run_unit_test
from tests.qmp import runner
from tests.realqemu.builds_10_2 import TARGETS_10_2, build_10_2, compiled_symbols

__all__ = ["oracle_10_2", "schema_10_2_with_conditions"]


@pytest.fixture(scope="module")
def single() -> Path:
    return build_10_2("single")


def _ask(binary: Path, *requests: str) -> list[Any]:
    with runner.QMPProcess(binary) as qmp:
        out = []
        for text in requests:
            replies = qmp.exchange(text)
            assert len(replies) == 1, replies
            out.append(replies[0])
        return out


@pytest.fixture(scope="module")
def expected(single: Path, oracle_10_2: UpstreamOracle,
             schema_10_2_with_conditions: Path) -> dict[str, Any]:
    """target -> the oracle's query-qmp-schema value for that binary's build."""
    return {t: oracle_10_2.introspect(
                schema_10_2_with_conditions,
                compiled_symbols(single, "qapi/qapi-introspect.c", t))
            for t in TARGETS_10_2}


def _commands(value: Any) -> set[str]:
    return {e["name"] for e in value if e["meta-type"] == "command"}


@pytest.mark.parametrize("target", TARGETS_10_2)
def test_schema_and_commands_are_the_oracles(target: str, single: Path,
                                             expected: dict[str, Any]) -> None:
    schema, commands = _ask(single / f"qemu-system-{target}",
                            '{"execute": "query-qmp-schema"}', '{"execute": "query-commands"}')
    assert schema["return"] == expected[target]
    assert {c["name"] for c in commands["return"]} == _commands(expected[target])


@pytest.mark.parametrize("target", TARGETS_10_2)
def test_other_commands_are_not_found(target: str, single: Path,
                                      expected: dict[str, Any]) -> None:
    everywhere: set[str] = set().union(*(_commands(v) for v in expected.values()))
    missing = sorted(everywhere - _commands(expected[target]))
    assert missing, "the targets' interfaces should differ"
    replies = _ask(single / f"qemu-system-{target}",
                   *(json.dumps({"execute": name}) for name in missing))
    for name, reply in zip(missing, replies, strict=True):
        assert reply.get("error", {}).get("class") == "CommandNotFound", (name, reply)
        assert reply["error"]["desc"] == f"The command {name} has not been found"


def test_targets_have_their_own_interfaces(expected: dict[str, Any]) -> None:
    # What upstream 10.2 lists everywhere, each binary lists only where 10.0 did.
    x86, s390x, arm = (_commands(expected[t]) for t in ("x86_64", "s390x", "aarch64"))
    assert {"rtc-reset-reinjection", "query-sev", "query-sgx", "xen-event-list"} <= x86 - s390x
    assert {"dump-skeys", "query-cpu-model-baseline", "query-cpu-model-comparison"} <= s390x - x86
    assert "query-gic-capabilities" in arm - x86 - s390x
    assert "rtc-reset-reinjection" not in arm | s390x


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_qapi_unit_tests_pass(name: str, single: Path) -> None:
    result = run_unit_test(QemuBuild("single-10.2", single), name)
    assert result.ok, result.output[-3000:]


def test_generated_qapi_code_is_compiled_once(single: Path) -> None:
    entries = json.loads((single / "compile_commands.json").read_text())
    generated = Counter(Path(e["file"]).name for e in entries
                        if "/qapi/" in "/" + e["file"] and Path(e["file"]).name.startswith("qapi-")
                        and not e["file"].startswith("../"))
    assert generated["qapi-introspect.c"] == 1
    assert generated["qapi-targets.c"] == 1
    assert generated["qapi-commands-misc-i386.c"] == 1
    assert max(generated.values()) == 1, [n for n, c in generated.items() if c > 1]
    for f in (single / "qapi").glob("qapi-*.[ch]"):
        for line in f.read_text().splitlines():
            if line.lstrip().startswith("#if") or line.lstrip().startswith("#elif"):
                assert "TARGET_" not in line and "CONFIG_KVM" not in line, (f.name, line)
