"""Build ``check_targets.c`` against single-binary output and a configured QEMU build.

Every generated ``.c`` is compiled as QEMU compiles its target-independent QAPI files (the flags
of ``qapi/qapi-types-misc.c`` in the build's ``compile_commands.json``, ``-Werror``), in a shadow
build directory whose ``qapi/`` is the generated output, then linked with the build's
``libqemuutil.a`` and GLib.  Handlers and other functions that QEMU's own code would define are
stubbed (each aborts): they are found from the linker's undefined references.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.cgen.test_compile import compile_commands, shadow_build

HERE = Path(__file__).resolve().parent
MODEL = "qapi-types-misc.c"


def _model_argv(build: Path) -> list[str]:
    jobs = compile_commands(build, "qapi", ["qapi-types.c", MODEL])
    argv = next(list(j.argv) for j in jobs if j.fname == f"qapi/{MODEL}")
    return [a for a in argv if a not in ("-fsyntax-only", f"qapi/{MODEL}")]


def build_check_program(build: Path, generated: Path, workdir: Path, *, visit_header: str,
                        types: list[str], init_marshal: str) -> Path:
    """``check_targets`` for the output in *generated*, built in *workdir*."""
    shadow = shadow_build(build, {"qapi": generated}, workdir / "shadow")
    objdir = workdir / "obj"
    objdir.mkdir()
    argv = _model_argv(build)
    check_defs = [f"-DCHECK_VISIT_HEADER=\"{visit_header}\"",
                  "-DCHECK_TYPES=" + " ".join(f"TYPE({t})" for t in types),
                  f"-DCHECK_INIT_MARSHAL={init_marshal}", "-Iqapi"]
    jobs = [([*argv, "-c", f"qapi/{p.name}", "-o", str(objdir / (p.stem + ".o"))])
            for p in sorted(generated.iterdir()) if p.suffix == ".c"]
    jobs.append([*argv, *check_defs, "-c", str(HERE / "check_targets.c"),
                 "-o", str(objdir / "check_targets.o")])

    def run(cmd: list[str]) -> tuple[list[str], int, str]:
        proc = subprocess.run(cmd, cwd=shadow, capture_output=True, text=True)
        return cmd, proc.returncode, proc.stderr

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failed = [(shlex.join(c), e) for c, rc, e in pool.map(run, jobs) if rc or e.strip()]
    assert not failed, failed[:3]

    exe = workdir / "check_targets"
    objects = sorted(str(p) for p in objdir.glob("*.o"))
    libs = ["-Wl,--start-group", str(build / "libqemuutil.a"), "-lrt", "-lm", "-pthread",
            *subprocess.run(["pkg-config", "--libs", "glib-2.0"], check=True,
                            capture_output=True, text=True).stdout.split(),
            "-Wl,--end-group"]
    stubs = workdir / "stubs.c"
    stubs.write_text("")
    for _ in range(2):
        link = ["cc", "-o", str(exe), *objects, str(stubs), *libs]
        proc = subprocess.run(link, capture_output=True, text=True)
        if proc.returncode == 0:
            return exe
        missing = sorted(set(re.findall(r"undefined reference to `(\w+)'", proc.stderr)))
        assert missing, proc.stderr[-3000:]
        stubs.write_text("#include <stdlib.h>\n" + "".join(
            f"void {name}(void);\nvoid {name}(void) {{ abort(); }}\n" for name in missing))
    raise AssertionError(proc.stderr[-3000:])


def run_check(exe: Path, *args: str) -> str:
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def defined_symbols(build: Path, symbols: set[str], workdir: Path) -> set[str]:
    """Which of *symbols* the preprocessor sees defined in a target-independent file of
    *build* after ``qemu/osdep.h`` (config-host.h and the headers: e.g. HAVE_CHARDEV_SERIAL)."""
    probe = workdir / "probe.c"
    probe.write_text('#include "qemu/osdep.h"\n' + "".join(
        f"#ifdef {s}\nqapic_defined_{s}\n#endif\n" for s in sorted(symbols)))
    argv = [a for a in _model_argv(build) if a not in ("-Werror",)]
    proc = subprocess.run([*argv, "-E", str(probe)], cwd=build, capture_output=True, text=True,
                          check=True)
    return set(re.findall(r"^qapic_defined_(\w+)$", proc.stdout, re.M))
