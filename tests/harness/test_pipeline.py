"""The harness build's own machinery: the generated C it compiles is exactly what ``qapic
generate`` writes, and its object cache recompiles what a schema change reaches, by the
compiler's own account of what each object includes (its ``-MD`` dependency file)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.backends.c.single import PER_TARGET, GuardPolicy, SingleBinaryPolicy
from qapic.conditions import SymbolClasses
from qapic.frontend import load_schema
from qapic.harness.base import cache_dir
from qapic.harness.build import build
from qapic.harness.generation import qapic_files
from qapic.qemu_tree import read_targets_with_kvm
from tests.qemu import QemuBuild
from tests.support import REPO, SYSTEM_SCHEMA, qemu_source

OUT = cache_dir() / "harness" / "object-cache"
MODULE = "oc-module.json"
#: Two versions of a small module, included after QEMU's schema: the second adds a member.
VERSIONS = (
    "{ 'struct': 'OcPoint', 'data': { 'x': 'int' } }\n"
    "{ 'command': 'oc-where', 'returns': 'OcPoint' }\n",
    "{ 'struct': 'OcPoint', 'data': { 'x': 'int', 'y': 'int' } }\n"
    "{ 'command': 'oc-where', 'returns': 'OcPoint' }\n",
)


@pytest.mark.parametrize("mode", ["per-target", "single"])
def test_generation_in_process_is_the_cli(mode: str, tmp_path: Path) -> None:
    """The harness generates qapic's C in its own process; the files are those the installed
    command writes with the options the harness stands for."""
    source = qemu_source("10.0")
    schema = (source / SYSTEM_SCHEMA).resolve()
    guards: GuardPolicy = PER_TARGET
    extra: list[str] = []
    if mode == "single":
        guards = SingleBinaryPolicy(read_targets_with_kvm(source), SymbolClasses())
        extra = ["--single-binary", "--targets-from", str(source)]
    files = qapic_files(load_schema(schema), schema, guards)
    subprocess.run([sys.executable, "-m", "qapic", "generate", "-b", "--suppress-tracing",
                    *extra, "-o", str(tmp_path), str(schema)], cwd=REPO, check=True)
    written = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert sorted(files) == sorted(written)
    assert [n for n in files if files[n] != written[n]] == []


def _stage(source: Path, into: Path, module: str) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for f in (source / "qapi").glob("*.json"):
        _write_if_changed(into / f.name, f.read_text())
    _write_if_changed(into / MODULE, module)
    main = into / "harness-schema.json"
    _write_if_changed(main, f"{{ 'include': 'qapi-schema.json' }}\n{{ 'include': '{MODULE}' }}\n")
    return main


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _prerequisites(depfile: Path) -> set[str]:
    """What a ``-MD`` dependency file (Make syntax) says the object was made from."""
    text = depfile.read_text().replace("\\\n", " ")
    rest = text.split(": ", 1)[1]
    return {os.path.realpath(w.replace("\\ ", " ")) for w in re.findall(r"(?:\\ |\S)+", rest)}


def _texts(gen: Path) -> dict[str, str]:
    return {str(p.resolve()): p.read_text() for p in gen.iterdir() if p.is_file()}


def test_a_module_change_recompiles_only_what_includes_it(qemu_upstream: QemuBuild) -> None:
    source = qemu_upstream.source_dir
    gen = OUT / "work" / "gen-single" / "qapi"
    main = _stage(source, OUT / "schema", VERSIONS[0])
    build(qemu_upstream.build_dir, OUT, schema=main, per_target=False)
    before = _texts(gen)

    _stage(source, OUT / "schema", VERSIONS[1])
    changed = build(qemu_upstream.build_dir, OUT, schema=main, per_target=False)
    after = _texts(gen)
    edited = {p for p in after if before.get(p) != after[p]}
    objects = sorted((OUT / "work" / "obj-single").glob("*.o"))
    reached = {o.resolve() for o in objects
               if _prerequisites(o.with_name(o.name + ".d")) & edited}
    print(f"{len(edited)} generated files changed; {len(reached)} of {len(objects)} objects "
          f"include one")
    assert edited and reached and len(reached) < len(objects)
    assert {o.resolve() for o in changed.stats.compiled_objects} == reached

    # Undone: every object is found again in the cache.
    _stage(source, OUT / "schema", VERSIONS[0])
    undone = build(qemu_upstream.build_dir, OUT, schema=main, per_target=False)
    assert undone.stats.compiled == 0, undone.stats.compiled_objects

