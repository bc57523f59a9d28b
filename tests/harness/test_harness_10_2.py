"""The QMP harnesses on QEMU 10.2.2 with qapic's shipped conditions (qapic/carried/qemu-10.2.json):
the single-binary harness as each of the 29 targets answers exactly like the per-target harness
of that target, compiled from upstream 10.2.2's generator's output on the schema with the
conditions written into its JSON (tests/carry/rewrite.py, no qapic involved); its
query-qmp-schema is also checked against that generator's introspection value."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import pytest

from qapic.proof.harness.base import cache_dir
from qapic.proof.harness.build import HarnessOptions, Result, build, defines_in_effect
from tests.carry.fixtures import SHIPPED_10_2, schema_10_2_with_conditions
from tests.harness.helpers import assert_clean, compare_corpus, run_fuzz
from tests.harness.test_harness import _commands, _first_lines, _schema
from tests.oracle.fixtures import oracle_10_2
from tests.oracle.targets import softmmu_targets
from tests.oracle.upstream import UpstreamOracle
from tests.qemu import QAPIC_MARK, UPSTREAM_MARK
from tests.qmp import runner
from tests.realqemu.builds_10_2 import build_10_2
from tests.support import qemu_source

__all__ = ["oracle_10_2", "schema_10_2_with_conditions"]

OUT = cache_dir() / "harness" / "upstream-10.2"


@functools.cache
def targets() -> list[str]:
    return softmmu_targets(qemu_source("10.2"))


#: Per-target harnesses whose query-qmp-schema is checked against upstream's generator.
AGAINST_UPSTREAM = ("x86_64", "s390x", "aarch64", "ppc64", "riscv64")


@pytest.fixture(scope="session")
def qemu_10_2_build() -> Path:
    """QEMU 10.2.2 built with upstream's generator (the harness links its libqemuutil)."""
    return build_10_2("upstream")


@pytest.fixture(scope="session")
def harnesses_10_2(qemu_10_2_build: Path, schema_10_2_with_conditions: Path) -> Result:
    """The single harness from qapic with the shipped conditions; the per-target references
    from upstream 10.2.2's generator on the schema with those conditions written in."""
    t0 = time.monotonic()
    result = build(qemu_10_2_build, OUT, HarnessOptions(
        conditions=SHIPPED_10_2, reference_schema=schema_10_2_with_conditions))
    report = json.loads((OUT / "harness-build.json").read_text())
    print(f"10.2 harness build: {time.monotonic() - t0:.1f} s, {report['compiles']} compiles, "
          f"{report['cache_hits']} cached")
    assert report["conditions"] == str(SHIPPED_10_2)
    assert result.reference == report["per_target_generator"] == "upstream"
    return result


def test_all_targets() -> None:
    assert len(targets()) == 29


@pytest.mark.parametrize("target", AGAINST_UPSTREAM)
def test_per_target_schema_is_upstreams_with_conditions_written_in(
        target: str, harnesses_10_2: Result, oracle_10_2: UpstreamOracle,
        schema_10_2_with_conditions: Path) -> None:
    defines = defines_in_effect(OUT, target)
    expected = oracle_10_2.introspect(schema_10_2_with_conditions, defines)
    assert _schema(harnesses_10_2.per_target[target]) == expected


@pytest.mark.parametrize_from("target", targets)
def test_single_as_target_equals_per_target(target: str, harnesses_10_2: Result) -> None:
    assert harnesses_10_2.single is not None
    per_target = harnesses_10_2.per_target[target]
    as_target = OUT / "bin" / f"qemu-system-{target}"
    schema = _schema(per_target)
    assert _schema(as_target) == schema
    assert _commands(as_target) == _commands(per_target)
    report, expected = compare_corpus(per_target, as_target, target, schema)
    assert report is None, report
    print(f"10.2 {target}: {len(expected.exchanges)} requests identical, "
          f"{runner.summary(expected)}")


def test_targets_differ(harnesses_10_2: Result) -> None:
    """The conditions are in force: the single harness shows s390x's and x86_64's own commands."""
    s390x = set(_commands(OUT / "bin" / "qemu-system-s390x"))
    x86 = set(_commands(OUT / "bin" / "qemu-system-x86_64"))
    assert {"dump-skeys", "query-cpu-model-baseline"} <= s390x - x86
    assert {"rtc-reset-reinjection", "query-sev", "query-sgx"} <= x86 - s390x


def test_fuzz_10_2_with_the_shipped_conditions(harnesses_10_2: Result, qemu_10_2_build: Path,
                                               schema_10_2_with_conditions: Path,
                                               tmp_path: Path) -> None:
    """``qapic fuzz`` on QEMU 10.2.2 with the shipped conditions: the single harness as each of
    the 29 targets against upstream 10.2.2's generator's output on the schema with the
    conditions written in (``--reference-schema``), 1,000 requests per target (half of them
    systematic, half under the strictest ``-compat``), fixed seed: every answer identical,
    nothing crashed or hung.  The reference really is upstream's: its report, its summary and
    the harness build's report say so, and so does every file the per-target harnesses were
    compiled from (upstream's first line), while the single side's are qapic's."""
    proc, report = run_fuzz("--qemu-build", qemu_10_2_build, "-o", tmp_path / "out",
                            "--conditions", SHIPPED_10_2,
                            "--reference-schema", schema_10_2_with_conditions,
                            "--harness-dir", OUT, "--requests", 1000, "--seed", 20261201)
    assert report["targets"] == len(targets()) == 29
    assert_clean(proc, report, 29 * 1000)

    source = (qemu_10_2_build.parent / "src").resolve()     # scripts/qemu-build's layout
    generator = source / "scripts" / "qapi-gen.py"
    assert report["generators"] == {
        "per_target": {"generator": "upstream", "kind": "per-target", "conditions": None,
                       "schema": str(schema_10_2_with_conditions.resolve()),
                       "program": str(generator)},
        "single": {"generator": "qapic", "kind": "single-binary", "program": None,
                   "schema": str(source / "qapi" / "qapi-schema.json"),
                   "conditions": str(SHIPPED_10_2)}}
    built = json.loads((OUT / "harness-build.json").read_text())
    assert built["generators"] == report["generators"]
    assert (built["per_target_generator"], built["reference_schema"]) == (
        "upstream", str(schema_10_2_with_conditions))
    assert "per-target harnesses (the reference): upstream's generator " \
        f"({generator}) on {schema_10_2_with_conditions.resolve()}" in proc.stdout.splitlines()
    reference = _first_lines(OUT / "work" / "gen-target" / "qapi")
    single = _first_lines(OUT / "work" / "gen-single" / "qapi")
    assert len(reference) > 300 and len(single) > 300
    assert [n for n, line in reference.items() if UPSTREAM_MARK not in line] == []
    assert [n for n, line in single.items() if QAPIC_MARK not in line] == []
