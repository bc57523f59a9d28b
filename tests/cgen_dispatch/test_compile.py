"""qapic's command, event, introspection and feature files compile cleanly in QEMU's build.

Each ``.c`` file is compiled with the exact command QEMU 10.0's own build (upstream's, from
tests/qemu) uses for the same file, plus ``-Werror``, with qapic's generated headers searched
first: the QEMU-wide files as libqemuutil compiles them, the per-target ones (introspection,
command registration, ``*-target`` modules) once per configured target with its
``config-target.h``, and the test schema's files as QEMU's unit tests compile them.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cgen_dispatch.test_outputs import our_files
from tests.qemu import QemuBuild

Out = Callable[[str], Path]


def _commands(build: Path) -> dict[str, list[list[str]]]:
    """Compile commands of upstream's build by generated file (``qapi/qapi-introspect.c``)."""
    found: dict[str, list[list[str]]] = {}
    for entry in json.loads((build / "compile_commands.json").read_text()):
        found.setdefault(entry["file"], []).append(shlex.split(entry["command"]))
    return found


def _strict(argv: list[str], source: Path, include: list[Path]) -> list[str]:
    """*argv* compiling *source* instead, checking only, warnings as errors, *include* first."""
    out: list[str] = [argv[0], *(f"-I{d}" for d in include)]
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg in ("-o", "-MQ", "-MF"):
            skip = True
        elif arg in ("-MD", "-c") or arg.endswith(".c"):
            pass
        else:
            out.append(arg)
    return [*out, "-Werror", "-fsyntax-only", str(source)]


def _compile_all(files: list[tuple[Path, list[list[str]]]], include: list[Path],
                 cwd: Path) -> list[str]:
    errors = []
    for source, commands in files:
        assert commands, f"no compile command for {source.name} in upstream's build"
        for argv in commands:
            proc = subprocess.run(_strict(argv, source, include), cwd=cwd,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                errors.append(f"{source}:\n{proc.stderr[-3000:]}")
    return errors


@pytest.fixture(scope="module")
def upstream_build(qemu_upstream: QemuBuild) -> Path:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    return qemu_upstream.build_dir


def test_system_schema_files_compile(upstream_build: Path, qapic_out: Out,
                                     tmp_path: Path) -> None:
    # As QEMU's build has them: under qapi/ in the build directory.
    gen = tmp_path / "qapi"
    shutil.copytree(qapic_out("system"), gen)
    commands = _commands(upstream_build)
    # qapi-features.c is generated but not compiled by QEMU 10.0: compile it as its neighbours.
    fallback = commands["qapi/qapi-commands.c"]
    files = [(gen / name, commands.get(f"qapi/{name}", fallback))
             for name in sorted(our_files(gen)) if name.endswith(".c")]
    assert len(files) > 80
    assert not _compile_all(files, [tmp_path, gen], upstream_build)


def test_test_schema_files_compile(upstream_build: Path, qapic_out: Out) -> None:
    gen = qapic_out("test-untraced")
    commands = _commands(upstream_build)
    files = [(gen / name, commands.get(f"tests/{name}", []))
             for name in sorted(our_files(gen)) if name.endswith(".c")]
    assert len(files) >= 10
    assert not _compile_all(files, [gen, gen / "include"], upstream_build)
