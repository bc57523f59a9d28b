"""Real QEMU 10.0: qemu-system-{aarch64,arm,s390x,x86_64} built with ``qapic qemu-setup
--single-binary`` (QAPI compiled once, linked into each) against the same programs built per
target with upstream's generator.

Compared per target: the ``query-qmp-schema`` and ``query-commands`` reply lines byte for byte,
and the whole QMP corpus (``tests/qmp``). The build graph (``compile_commands.json`` and
``build.ninja``) shows that the single build compiles each generated QAPI ``.c`` once, without
the per-target defines, and links that one object into every ``qemu-system-X``, while the
upstream builds compile the per-target ones once per target.

Builds (``tests/qemu``): "single" and "upstream", configured alike with the same four targets,
so each single-binary ``qemu-system-X`` has its per-target reference from the very same
configuration. Cold, the single build takes about as long as a per-target build of the same
targets (minutes); cached, seconds.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.qemu import SINGLE_TARGETS, QemuBuild
from tests.qmp import runner

QemuBuilds = Callable[[str], QemuBuild]


@pytest.fixture(scope="module")
def single(qemu_build: QemuBuilds) -> QemuBuild:
    return qemu_build("single")


@pytest.fixture(scope="module")
def per_target(qemu_build: QemuBuilds) -> Callable[[str], QemuBuild]:
    """The upstream-generator build that has qemu-system-X."""
    def get(target: str) -> QemuBuild:
        return qemu_build("upstream")
    return get


SCHEMA = '{"execute": "query-qmp-schema"}'
COMMANDS = '{"execute": "query-commands"}'


@pytest.fixture(scope="module")
def replies(single: QemuBuild, per_target: Callable[[str], QemuBuild]
            ) -> dict[tuple[str, str], list[bytes]]:
    """(build kind, target) -> the raw replies to query-qmp-schema and query-commands."""
    out = {}
    for target in SINGLE_TARGETS:
        out["single", target] = runner.raw_replies(single.system(target), SCHEMA, COMMANDS)
        out["per-target", target] = runner.raw_replies(per_target(target).system(target), SCHEMA,
                                                COMMANDS)
    return out


@pytest.mark.parametrize("target", SINGLE_TARGETS)
def test_query_qmp_schema_byte_for_byte(
        target: str, replies: dict[tuple[str, str], list[bytes]]) -> None:
    single, reference = replies["single", target][0], replies["per-target", target][0]
    assert json.loads(reference)["return"], "no schema from the per-target build"
    assert single == reference, runner.first_difference(single, reference, "single", "per-target")


@pytest.mark.parametrize("target", SINGLE_TARGETS)
def test_query_commands_byte_for_byte(
        target: str, replies: dict[tuple[str, str], list[bytes]]) -> None:
    single, reference = replies["single", target][1], replies["per-target", target][1]
    assert len(json.loads(reference)["return"]) > 100
    assert single == reference, runner.first_difference(single, reference, "single", "per-target")


def test_targets_differ(replies: dict[tuple[str, str], list[bytes]]) -> None:
    """The comparison means something: the per-target builds' interfaces differ by target, and
    the one single build gives each target its own."""
    commands = {t: {c["name"] for c in json.loads(replies["single", t][1])["return"]}
                for t in SINGLE_TARGETS}
    assert "query-gic-capabilities" in commands["aarch64"] & commands["arm"]
    assert "query-gic-capabilities" not in commands["x86_64"] | commands["s390x"]
    assert "query-sev" in commands["x86_64"] and "query-sev" not in commands["aarch64"]
    assert "dump-skeys" in commands["s390x"] and "dump-skeys" not in commands["x86_64"]
    schemas = {t: replies["single", t][0] for t in SINGLE_TARGETS}
    # aarch64 and arm share TARGET_ARM, and no condition of QEMU 10.0's schema tells them apart.
    assert schemas["aarch64"] == schemas["arm"]
    assert len({schemas[t] for t in ("aarch64", "s390x", "x86_64")}) == 3


@pytest.mark.parametrize("target", SINGLE_TARGETS)
def test_corpus_same_as_per_target(
        target: str, single: QemuBuild, per_target: Callable[[str], QemuBuild]) -> None:
    reference = runner.run_corpus(per_target(target).system(target))
    assert runner.check_well_formed(reference) == []
    ours = runner.run_corpus(single.system(target))
    report = runner.compare_runs(reference, ours, f"per-target qemu-system-{target}",
                                 f"single-binary qemu-system-{target}")
    assert report is None, report


def test_active_target_does_not_depend_on_the_program_name(
        single: QemuBuild, replies: dict[tuple[str, str], list[bytes]],
        tmp_path: Path) -> None:
    """The target comes from what the program was linked for (target_name()), so a renamed
    binary (``qemu-kvm``, or another target's name) still answers as its own target."""
    for name in ("qemu-kvm", "qemu-system-aarch64"):
        link = tmp_path / name
        link.symlink_to(single.system("x86_64"))
        assert runner.raw_replies(link, SCHEMA, COMMANDS) == replies["single", "x86_64"]
        link.unlink()


# --- compiled once ----------------------------------------------------------------------------

def _qapi_compiles(build_dir: Path) -> list[dict[str, str]]:
    """The compile commands of the generated QAPI sources of QEMU's system schema."""
    entries = json.loads((build_dir / "compile_commands.json").read_text())
    return [e for e in entries if re.fullmatch(r"qapi/qapi-[\w-]+\.c", e["file"])]


def _linked_objects(build_dir: Path, program: str) -> set[str]:
    """The object and archive inputs of *program*'s link step in build.ninja."""
    text = (build_dir / "build.ninja").read_text()
    m = re.search(rf"^build {re.escape(program)}: \S+ (.*?)(?: \|| \|\||$)", text, re.M)
    assert m, f"no link step for {program}"
    return set(m.group(1).replace("$ ", "\0").split()) if m else set()


def test_single_build_compiles_each_qapi_file_once(single: QemuBuild) -> None:
    compiles = _qapi_compiles(single.build_dir)
    counts = Counter(e["file"] for e in compiles)
    assert counts and set(counts.values()) == {1}, \
        {f: n for f, n in counts.items() if n != 1}
    for name in ("qapi/qapi-introspect.c", "qapi/qapi-targets.c", "qapi/qapi-init-commands.c",
                 "qapi/qapi-commands-machine-target.c", "qapi/qapi-visit-misc-target.c"):
        assert name in counts, name
    for e in compiles:
        assert "COMPILING_PER_TARGET" not in e["command"], e["file"]   # poison.h in force
        assert "CONFIG_TARGET=" not in e["command"], e["file"]
        assert (Path(e["directory"]) / e["output"]).is_file(), e["output"]
    objects = {e["file"]: e["output"] for e in compiles}
    for target in SINGLE_TARGETS:
        inputs = _linked_objects(single.build_dir, f"qemu-system-{target}")
        for name in ("qapi/qapi-introspect.c", "qapi/qapi-commands-machine-target.c"):
            assert objects[name] in inputs, (target, name)
    print(f"single build: {len(counts)} generated QAPI .c files, {len(compiles)} compiles "
          f"for {len(SINGLE_TARGETS)} targets")


@pytest.mark.parametrize("name", ["upstream"])
def test_upstream_build_compiles_target_files_per_target(
        name: str, qemu_build: QemuBuilds, single: QemuBuild) -> None:
    build = qemu_build(name)
    targets = sorted(p.name.removesuffix("-softmmu-config-target.h")
                     for p in build.build_dir.glob("*-softmmu-config-target.h"))
    counts = Counter(e["file"] for e in _qapi_compiles(build.build_dir))
    per_target = {f for f, n in counts.items() if n == len(targets)}
    assert {f for f, n in counts.items() if n not in (1, len(targets))} == set()
    assert {"qapi/qapi-introspect.c", "qapi/qapi-init-commands.c",
            "qapi/qapi-commands-machine-target.c"} <= per_target
    single_files = {e["file"] for e in _qapi_compiles(single.build_dir)}
    assert single_files == set(counts) | {"qapi/qapi-targets.c"}
    print(f"{name} ({','.join(targets)}): {len(counts)} generated QAPI .c files, "
          f"{sum(counts.values())} compiles ({len(per_target)} per target)")


def test_single_build_targets_and_kvm_from_its_configuration(single: QemuBuild) -> None:
    """qapi-targets.c lists the build's own targets; the build has no KVM (configured with
    --without-default-features), so no target has CONFIG_KVM-only things: the x86_64 schema
    above equals the per-target one, which has none."""
    text = (single.build_dir / "qapi" / "qapi-targets.c").read_text()
    names = re.findall(r'^\s*"([\w-]+)",$', text, re.M)
    assert names == sorted(SINGLE_TARGETS)
    for target in SINGLE_TARGETS:
        header = single.build_dir / f"{target}-softmmu-config-target.h"
        assert "CONFIG_KVM" not in header.read_text()
    assert os.access(single.system("arm"), os.X_OK)
