"""The QMP harnesses: per target against qapic introspect and upstream's generator; the single
binary against the per-target harness of each of QEMU 10.0's targets."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from qapic.proof.harness.build import Result, build, defines_in_effect
from qapic.proof.harness.generation import runtime_dependent
from qapic.proof.harness.linking import REPLACED_MEMBERS
from tests.harness.helpers import OUT, compare_corpus
from tests.harness.helpers import single as _single
from tests.oracle.qapic_run import run_introspect
from tests.oracle.targets import host_cpu_family, kvm_targets, softmmu_targets, target_symbols
from tests.oracle.upstream import UpstreamOracle
from tests.qemu import QAPIC_MARK, UPSTREAM_MARK, QemuBuild
from tests.qmp import runner
from tests.support import qemu_source

JSON = Any
#: Every system-emulation target of QEMU 10.0's tree (read by the test oracle, not by qapic).
@functools.cache
def src_targets() -> list[str]:
    return softmmu_targets(qemu_source("10.0"))


INTROSPECTED = ("x86_64", "aarch64")


def _ask(binary: Path | str, request: str, args: tuple[str, ...] = ()) -> JSON:
    with runner.QMPProcess(binary, args) as qmp:
        replies = qmp.exchange(request)
    assert len(replies) == 1 and "return" in replies[0], replies
    return replies[0]["return"]


def _schema(binary: Path | str, args: tuple[str, ...] = ()) -> JSON:
    return _ask(binary, '{"execute":"query-qmp-schema"}', args)


def _commands(binary: Path | str, args: tuple[str, ...] = ()) -> list[str]:
    return sorted(c["name"] for c in _ask(binary, '{"execute":"query-commands"}', args))


def _names(schema: JSON, meta: str) -> set[str]:
    return {e["name"] for e in schema if e["meta-type"] == meta}


# --- per target ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", INTROSPECTED)
def test_per_target_schema_is_qapic_introspect(target: str, harnesses: Result,
                                               qemu_upstream: QemuBuild) -> None:
    defines = defines_in_effect(OUT, target)
    expected = run_introspect(qemu_upstream.source_dir / "qapi" / "qapi-schema.json",
                              defines, target)
    assert _schema(harnesses.per_target[target]) == expected


@pytest.mark.parametrize("target", INTROSPECTED)
def test_per_target_schema_is_upstreams(target: str, harnesses: Result,
                                        qemu_upstream: QemuBuild,
                                        oracle_10_0: UpstreamOracle) -> None:
    defines = defines_in_effect(OUT, target)
    schema = oracle_10_0.tree / "qapi" / "qapi-schema.json"
    assert _schema(harnesses.per_target[target]) == oracle_10_0.introspect(schema, defines)


@pytest.mark.parametrize("target", INTROSPECTED)
def test_per_target_commands_are_the_introspected_ones(target: str, harnesses: Result) -> None:
    binary = harnesses.per_target[target]
    assert _commands(binary) == sorted(_names(_schema(binary), "command"))


def _first_lines(gen: Path) -> dict[str, str]:
    return {p.name: p.open().readline() for p in sorted(gen.glob("qapi-*.[ch]"))}


def test_per_target_harnesses_are_upstreams_code(harnesses: Result) -> None:
    """The per-target references are compiled from the QEMU source's own generator's output
    (qapic wrote only the single-binary side and the shared test doubles)."""
    report = json.loads((OUT / "harness-build.json").read_text())
    assert harnesses.reference == report["per_target_generator"] == "upstream"
    reference = _first_lines(OUT / "work" / "gen-target" / "qapi")
    single = _first_lines(OUT / "work" / "gen-single" / "qapi")
    assert len(reference) > 300 and len(single) > 300
    assert [n for n, line in reference.items() if UPSTREAM_MARK not in line] == []
    assert [n for n, line in single.items() if QAPIC_MARK not in line] == []


def test_per_target_macros_are_the_oracles(harnesses: Result,
                                           qemu_upstream: QemuBuild) -> None:
    """Each per-target harness is compiled with the macros of its target's config-target.h as
    the oracle reads QEMU's tree (configs/targets, meson.build's KVM rule for this host)."""
    tree = qemu_upstream.source_dir
    kvm = kvm_targets(tree, host_cpu_family())
    for t in src_targets():
        header = (OUT / "work" / "config" / f"{t}-config-target.h").read_text()
        defined = set(re.findall(r"^#define (\w+)", header, re.M))
        assert defined == target_symbols(tree, t) | ({"CONFIG_KVM"} if t in kvm else set()), t


def test_greeting_and_negotiation_like_qemu(harnesses: Result, qemu_upstream: QemuBuild) -> None:
    """The monitor's own replies (before and after negotiation, syntax errors, shapes) are
    QEMU's: the corpus files that exercise only the monitor match upstream's QEMU."""
    corpus = {k: v for k, v in runner.load_corpus().items()
              if k in ("malformed", "shapes", "unknown-commands", "json-syntax")}
    for target in INTROSPECTED:
        ours = runner.run_corpus(harnesses.per_target[target], corpus)
        theirs = runner.run_corpus(qemu_upstream.system(target), corpus)
        # json-syntax runs real commands: compare only what is not a return value.
        for run in (ours, theirs):
            for ex in run.exchanges:
                ex.replies = [{"return": "<value>"} if isinstance(m, dict) and "return" in m
                              else m for m in ex.replies]
        report = runner.compare_runs(theirs, ours, f"qemu-system-{target}",
                                     f"harness {target}")
        assert report is None, report


def test_archive_lacks_qemus_generated_qapi(harnesses: Result) -> None:
    archive = OUT / "work" / "libqemuutil-harness.a"
    members = subprocess.run(["ar", "t", str(archive)], capture_output=True, text=True,
                             check=True).stdout.split()
    assert members and not [m for m in members if REPLACED_MEMBERS.search(m)]
    # No symbol of our generated objects is also defined in the archive (no duplicate).
    ours: set[str] = set()
    for obj in [*(OUT / "work" / "obj-target" / "common").glob("qapi-*.o"),
                *(OUT / "work" / "obj-target" / "x86_64").glob("qapi-*.o")]:
        ours |= {s for s in nm_defined(obj) if not s.startswith(".")}
    assert len(ours) > 2000
    both = sorted(ours & nm_defined(archive))
    assert both == [], both[:20]
    # ... and the harness has them from our objects.
    exe = nm_defined(harnesses.per_target["x86_64"])
    assert {"visit_type_SchemaInfoList", "qmp_marshal_query_commands", "qmp_init_marshal",
            "qmp_schema_qlit"} <= exe


def nm_defined(path: Path) -> set[str]:
    out = subprocess.run(["nm", "--defined-only", "--extern-only", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if len(line.split()) == 3}


def test_rebuild_is_all_cached(harnesses: Result, qemu_upstream: QemuBuild) -> None:
    t0 = time.monotonic()
    again = build(qemu_upstream.build_dir, OUT)
    seconds = time.monotonic() - t0
    assert again.stats.compiled == 0, again.stats
    print(f"warm harness build ({len(again.targets)} targets): {seconds:.1f} s")


# --- the single binary against each per-target harness ---------------------------------------

def test_single_is_compiled_once_for_every_target(harnesses: Result) -> None:
    """The single harness exists, is run as every target of the source tree, and its generated
    code tests no target symbol at compile time (the per-target code does: not vacuous)."""
    exe = _single(harnesses)
    bindir = OUT / "bin"
    assert sorted(p.name for p in bindir.iterdir()) == sorted(
        f"qemu-system-{t}" for t in src_targets())
    assert all((bindir / f"qemu-system-{t}").resolve() == exe.resolve() for t in src_targets())
    assert runtime_dependent(OUT / "work" / "gen-single" / "qapi") == set()
    assert runtime_dependent(OUT / "work" / "gen-target" / "qapi")


@pytest.mark.parametrize_from("target", src_targets)
def test_single_as_target_equals_per_target(target: str, harnesses: Result) -> None:
    single = _single(harnesses)
    per_target = harnesses.per_target[target]
    as_target = OUT / "bin" / f"qemu-system-{target}"
    schema = _schema(per_target)
    assert _schema(as_target) == schema
    assert _schema(single, ("-target", target)) == schema
    assert _commands(as_target) == _commands(per_target)
    report, expected = compare_corpus(per_target, as_target, target, schema)
    assert report is None, report
    print(f"{target}: {len(expected.exchanges)} requests identical, {runner.summary(expected)}")


def test_single_with_two_targets_is_the_union(harnesses: Result) -> None:
    single = _single(harnesses)
    both = _schema(single, ("-target", "aarch64,arm"))
    a64, arm = _schema(harnesses.per_target["aarch64"]), _schema(harnesses.per_target["arm"])
    for meta in ("command", "event"):
        assert _names(both, meta) == _names(a64, meta) | _names(arm, meta)
    assert _commands(single, ("-target", "aarch64,arm")) == sorted(
        set(_commands(harnesses.per_target["aarch64"]))
        | set(_commands(harnesses.per_target["arm"])))
    # x86_64 and s390x differ in commands: the union has both sides' own.
    mixed = set(_commands(single, ("-target", "x86_64,s390x")))
    x86 = set(_commands(harnesses.per_target["x86_64"]))
    s390 = set(_commands(harnesses.per_target["s390x"]))
    assert x86 != s390 and mixed == x86 | s390


def test_single_needs_a_target(harnesses: Result) -> None:
    single = _single(harnesses)
    proc = subprocess.run([str(single)], input="", capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "target" in proc.stderr
    proc = subprocess.run([str(single), "-target", "nonesuch"], input="", capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2


def test_report_written(harnesses: Result) -> None:
    report = json.loads((OUT / "harness-build.json").read_text())
    assert sorted(report["per_target"]) == sorted(src_targets())
    assert report["files_compiled_per_target"] < report["files_compiled_once"]
