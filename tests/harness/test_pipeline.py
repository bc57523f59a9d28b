"""The harness build's own machinery and what ``qapic harness`` shows its user: the generated C
it compiles is exactly what ``qapic generate`` writes; its object cache recompiles what a schema
change reaches, by the compiler's own account of what each object includes (its ``-MD``
dependency file); the console script shows progress on a terminal only, builds what a partial
QEMU build lacks, and leaves no directory behind when it fails."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from qapic.conditions import SymbolClasses
from qapic.frontend import load_schema
from qapic.proof.harness.base import cache_dir
from qapic.proof.harness.build import HarnessOptions, build
from qapic.proof.harness.generation import qapic_files
from qapic.qemu.generate.single import PER_TARGET, GuardPolicy, SingleBinaryPolicy
from qapic.qemu_tree import read_targets_with_kvm
from tests.cli.helpers import QAPIC
from tests.qemu import QemuBuild
from tests.support import REPO, SYSTEM_SCHEMA, qemu_source

OUT = cache_dir() / "harness" / "object-cache"
MODULE = "oc-module.json"
#: A small module included after QEMU's schema, and the member its second version adds.
MODULE_TEXT = ("##\n# @OcPoint:\n#\n# @x: abscissa\n{doc}##\n"
               "{{ 'struct': 'OcPoint', 'data': {{ 'x': 'int'{member} }} }}\n\n"
               "##\n# @oc-where:\n#\n# Returns: the point\n##\n"
               "{{ 'command': 'oc-where', 'returns': 'OcPoint' }}\n")


def _version(member: str | None = None) -> str:
    """The module without the extra member, or with *member* (an ``int``)."""
    if member is None:
        return MODULE_TEXT.format(doc="", member="")
    return MODULE_TEXT.format(doc=f"#\n# @{member}: ordinate\n", member=f", '{member}': 'int'")


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
    main = _stage(source, OUT / "schema", _version())
    build(qemu_upstream.build_dir, OUT, HarnessOptions(schema=main, per_target=False))
    before = _texts(gen)

    # A member no earlier run added: the objects it reaches cannot be in the cache yet.
    _stage(source, OUT / "schema", _version(f"y{uuid.uuid4().hex[:12]}"))
    changed = build(qemu_upstream.build_dir, OUT, HarnessOptions(schema=main, per_target=False))
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
    _stage(source, OUT / "schema", _version())
    undone = build(qemu_upstream.build_dir, OUT, HarnessOptions(schema=main, per_target=False))
    assert undone.stats.compiled == 0, undone.stats.compiled_objects


# --- the console script -----------------------------------------------------------------------

def _harness(qemu_build: Path, out: Path, schema: Path, *,
             terminal: bool = False) -> tuple[int, str, str]:
    """``qapic harness`` (single harness only) as a user runs it; standard error on a
    terminal (a pseudo-terminal) or a pipe.  Returns the exit status, stdout and stderr."""
    argv = [str(QAPIC), "harness", "--qemu-build", str(qemu_build), "-o", str(out),
            "--schema", str(schema), "--no-per-target"]
    if not terminal:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        return proc.returncode, proc.stdout, proc.stderr
    master, slave = pty.openpty()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, text=True) as child:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:         # EIO: the child closed its side
                break
            if not data:
                break
            chunks.append(data)
        stdout = child.stdout.read() if child.stdout else ""
        status = child.wait(timeout=900)
    os.close(master)
    return status, stdout, b"".join(chunks).decode()


def test_progress_on_a_terminal_and_quiet_in_a_pipe(qemu_upstream: QemuBuild) -> None:
    main = _stage(qemu_upstream.source_dir, OUT / "schema", _version())
    status, stdout, screen = _harness(qemu_upstream.build_dir, OUT, main, terminal=True)
    assert status == 0, screen
    sources = len(list((OUT / "work" / "gen-single" / "qapi").glob("*.c"))) + 1  # harness.c
    print(screen.replace("\r", "\n")[-600:])
    assert re.search(rf"compiling the single harness code: {sources}/{sources}\b", screen)
    assert "linking the single harness: 1/1" in screen
    assert f"single harness built: {OUT.resolve() / 'qmp-harness'}" in screen
    assert json.loads(stdout)["single"] == str(OUT.resolve() / "qmp-harness")

    status, stdout, stderr = _harness(qemu_upstream.build_dir, OUT, main)
    assert (status, stderr) == (0, "")
    assert json.loads(stdout)["single"] == str(OUT.resolve() / "qmp-harness")


def test_a_failed_build_leaves_no_directory(qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ 'command': 'oc-bad', 'data': 'OcNowhere' }\n")
    out = tmp_path / "new" / "harness"
    status, stdout, stderr = _harness(qemu_upstream.build_dir, out, bad)
    assert status == 1 and stdout == ""
    assert re.search(rf"^{re.escape(str(bad))}:1: .*'OcNowhere'\n\Z", stderr, re.M), stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", ["harness", "fuzz"])
def test_a_bad_reference_schema_is_one_error(command: str, qemu_upstream: QemuBuild,
                                             tmp_path: Path) -> None:
    """--reference-schema naming no file, or a directory: one line naming it, nothing
    written."""
    out = tmp_path / "out"
    for given, message in ((tmp_path / "none.json", "no such file"),
                           (tmp_path, "is a directory, not a file holding a QAPI schema")):
        proc = subprocess.run([sys.executable, "-m", "qapic", command, "--qemu-build",
                               str(qemu_upstream.build_dir), "-o", str(out),
                               "--reference-schema", str(given)],
                              capture_output=True, text=True, timeout=120)
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr == f"qapic {command}: error: {given}: {message}\n"
        assert not out.exists()


def test_a_partial_qemu_build_gets_what_the_harness_links_with(
        qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    """A build directory where only libqemuutil.a was built: the objects QEMU links its QAPI
    unit test with are missing, and ninja (QEMU's build tool) makes them before the link."""
    real = qemu_upstream.build_dir.resolve()
    partial = tmp_path / "build"
    partial.mkdir()
    for name in ("compile_commands.json", "config-host.h", "meson-info"):
        src = real / name
        if src.is_dir():
            shutil.copytree(src, partial / name)
        else:
            shutil.copy2(src, partial / name)
    for name in ("libqemuutil.a", "libqemuutil.a.p"):   # a thin archive and its members
        (partial / name).symlink_to(real / name)
    line = re.search(r"^build tests/unit/test-qmp-cmds: c_LINKER [^|\n]*",
                     (real / "build.ninja").read_text(), re.M)
    assert line is not None
    objects = [o for o in line.group(0).split()[3:]
               if o.endswith(".o") and not o.startswith("tests/")]
    assert objects
    rules = ["rule c_LINKER", "  command = false", "rule cp", "  command = cp $in $out",
             line.group(0)]
    rules += [f"build {o}: cp {real / o}" for o in objects]
    (partial / "build.ninja").write_text("\n".join(rules) + "\n")

    main = _stage(qemu_upstream.source_dir, OUT / "schema", _version())
    status, stdout, stderr = _harness(partial, OUT, main)
    assert (status, stderr) == (0, "")
    assert all((partial / o).read_bytes() == (real / o).read_bytes() for o in objects)
    assert json.loads(stdout)["qemu_build"] == str(partial.resolve())
