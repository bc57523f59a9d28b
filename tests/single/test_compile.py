"""Every ``.c`` of QEMU 10.0's schema generated for a single binary compiles as *target-
independent* code: with the flags QEMU's build uses for its target-independent QAPI files
(libqemuutil), ``-Werror``, and ``include/exec/poison.h`` in force, so no poisoned macro
(``TARGET_*``, ``CONFIG_KVM``, ...) is used anywhere.  And no ``#if`` names a run-time symbol."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.cgen.test_compile import Compile, compile_commands, shadow_build
from tests.qemu import QemuBuild
from tests.toolsbuild import build as tools_build

#: A file of QEMU's build that is compiled once (libqemuutil): every file is compiled like it.
MODEL = "qapi-types-misc.c"


def _poisoned(tree: Path) -> set[str]:
    text = (tree / "include" / "exec" / "poison.h").read_text()
    return set(re.findall(r"^#pragma GCC poison (\w+)", text, re.M))


def test_no_runtime_symbol_in_any_if(single_out: Path) -> None:
    conds = [line for p in sorted(single_out.iterdir()) if p.suffix in (".c", ".h")
             for line in p.read_text().splitlines() if re.match(r"#\s*(el)?if", line)]
    assert conds, "expected some #if for build-time conditions"
    offending = [line for line in conds if re.search(r"\b(TARGET_\w+|CONFIG_KVM)\b", line)]
    assert not offending


def test_every_file_compiles_target_independent_with_poison(
        single_out: Path, qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    _compile_all_target_independent(single_out, qemu_upstream.build_dir, tmp_path)


def test_every_file_compiles_target_independent_with_clang(
        single_out: Path, tmp_path: Path) -> None:
    """The same with clang: the flags of a QEMU build configured with --cc=clang (the clang
    build of tests/toolsbuild), whose QAPI code QEMU itself compiles with -Werror."""
    build = tools_build("clang").build_dir
    model = next(job for job in compile_commands(build, "qapi", ["qapi-types.c", MODEL])
                 if job.fname == f"qapi/{MODEL}")
    assert "clang" in Path(model.argv[0]).name and "-Werror" in model.argv
    _compile_all_target_independent(single_out, build, tmp_path)


def _compile_all_target_independent(single_out: Path, build: Path, tmp_path: Path) -> None:
    src = build.parent / "src"
    osdep = (src / "include" / "qemu" / "osdep.h").read_text()
    # What makes QEMU's target-independent code poisoned: osdep.h without COMPILING_PER_TARGET.
    assert '#else\n#include "exec/poison.h"' in osdep
    assert {"TARGET_I386", "TARGET_S390X", "TARGET_ARM", "CONFIG_KVM"} <= _poisoned(src)

    names = sorted(p.name for p in single_out.iterdir())
    sources = [n for n in names if n.endswith(".c")]
    assert "qapi-targets.c" in sources and "qapi-types-machine-target.c" in sources
    shadow = shadow_build(build, {"qapi": single_out}, tmp_path)
    model = next(job for job in compile_commands(build, "qapi", ["qapi-types.c", MODEL])
                 if job.fname == f"qapi/{MODEL}")
    assert "-DCOMPILING_PER_TARGET" not in model.argv
    jobs = []
    for name in sources:
        argv = [f"qapi/{name}" if arg == model.fname else arg for arg in model.argv]
        argv[1:1] = ["-include", "qemu/osdep.h", "-include", "exec/poison.h"]
        jobs.append(Compile(f"qapi/{name}", tuple(argv)))

    def run(job: Compile) -> tuple[str, int, str]:
        proc = subprocess.run(job.argv, cwd=shadow, capture_output=True, text=True)
        return job.fname, proc.returncode, proc.stderr

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(run, jobs))
    failures = [f"{fname}:\n{err[-3000:]}" for fname, rc, err in results if rc or err.strip()]
    assert not failures, f"{len(failures)} of {len(jobs)} failed:\n" + "\n".join(failures[:5])
