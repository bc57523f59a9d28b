"""qapic's C compiles warning-free (-Wall -Werror) exactly where and how QEMU compiles upstream's.

Each generated ``.c`` is compiled with the command QEMU's build used for upstream's file of the
same name (from the upstream build's ``compile_commands.json``: QEMU's include paths, its
``config-host.h``, per-target flags for the ``*-target`` modules, once per configured target),
plus ``-Werror``.  The commands run in a shadow build directory whose ``qapi/`` (and ``tests/``
for the test schema) is qapic's output, so every generated header comes from qapic too.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cgen.helpers import Generated, files
from tests.qemu import QemuBuild

#: The build-directory folder where QEMU's build writes each schema's generated files.
GENERATED_DIR = {"qemu": "qapi", "test": "tests"}


@dataclass(frozen=True)
class Compile:
    fname: str
    argv: tuple[str, ...]


def shadow_build(build: Path, replaced: dict[str, Path], top: Path) -> Path:
    """A directory that looks like *build* (and has ``../src``) except that each folder named
    in *replaced* shows qapic's files instead of upstream's generated ones."""
    top.mkdir(parents=True, exist_ok=True)
    (top / "src").symlink_to(build.parent / "src")
    shadow = top / "build"
    shadow.mkdir()
    for entry in build.iterdir():
        if entry.name in replaced:
            _overlay(shadow / entry.name, entry, replaced[entry.name])
        else:
            (shadow / entry.name).symlink_to(entry)
    return shadow


def _is_generated(path: Path) -> bool:
    return "qapi-" in path.name and path.suffix in (".c", ".h") and path.is_file()


def _overlay(dest: Path, base: Path, top: Path) -> None:
    """*dest* shows *top*'s files, and *base*'s other files except QAPI-generated ones (so a
    file qapic failed to write cannot be taken from upstream)."""
    dest.mkdir()
    names = {p.name for p in top.iterdir()} | {p.name for p in base.iterdir()
                                               if not _is_generated(p)}
    for name in sorted(names):
        mine, theirs = top / name, base / name
        if mine.is_dir() and theirs.is_dir():
            _overlay(dest / name, theirs, mine)
        else:
            (dest / name).symlink_to(mine if mine.exists() else theirs)


def _rewrite(command: str) -> tuple[str, ...]:
    """QEMU's compile command, checking only: no object or dependency file, -Werror."""
    argv = shlex.split(command)
    out: list[str] = []
    skip = 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        if arg in ("-MQ", "-MF", "-o"):
            skip = 1
            continue
        if arg == "-MD" or arg.startswith("-fdiagnostics-color"):
            continue
        out.append(arg)
    return (*out, "-fsyntax-only", "-Werror")


def compile_commands(build: Path, folder: str, names: list[str]) -> list[Compile]:
    """How QEMU compiles each generated ``.c`` of *names*.  A file QEMU's build does not
    compile (``qapi-features.c``) is compiled like the main module's ``qapi-types.c``."""
    db = json.loads((build / "compile_commands.json").read_text())
    wanted = {f"{folder}/{n}" for n in names if n.endswith(".c")}
    jobs = [Compile(e["file"], _rewrite(e["command"])) for e in db if e["file"] in wanted]
    compiled = {job.fname for job in jobs}
    model = next(job for job in jobs if job.fname.endswith("qapi-types.c"))
    for fname in sorted(wanted - compiled):
        argv = tuple(fname if arg == model.fname else arg for arg in model.argv)
        jobs.append(Compile(fname, argv))
    return jobs


def _run(shadow: Path, job: Compile) -> tuple[Compile, int, str]:
    proc = subprocess.run(job.argv, cwd=shadow, capture_output=True, text=True)
    return job, proc.returncode, proc.stderr


@pytest.mark.parametrize("case", sorted(GENERATED_DIR))
def test_generated_c_compiles_with_werror(case: str, generated: Callable[[str], Generated],
                                          qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    out = generated(case)
    folder = GENERATED_DIR[case]
    names = files(out.qapic)
    build = qemu_upstream.build_dir
    shadow = shadow_build(build, {folder: out.qapic}, tmp_path)
    jobs = compile_commands(build, folder, names)
    assert {j.fname.split("/", 1)[1] for j in jobs} == {n for n in names if n.endswith(".c")}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda j: _run(shadow, j), jobs))
    failures = [f"{job.fname}:\n{stderr[-4000:]}" for job, rc, stderr in results
                if rc != 0 or stderr.strip()]
    assert not failures, f"{len(failures)} of {len(jobs)} compilations failed:\n" + \
        "\n".join(failures[:10])
