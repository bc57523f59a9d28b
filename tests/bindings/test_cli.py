"""``qapic bindings`` as a user meets it: one located error for bad input and nothing written,
unchanged files keep their timestamps, and ``pip install DIR`` gives an importable package whose
metadata says what the client needs."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.bindings.packages import schema
from tests.support import qemu_source


def _qapic(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_unchanged_files_keep_their_timestamps(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _qapic("bindings", schema("10.0"), "-o", out).returncode == 0
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) >= 9
    old = {p: p.stat().st_mtime_ns for p in files}
    # A file set to an old time stays at it: its content is the same, so it is not written.
    os.utime(files[0], ns=(1, 1))
    old[files[0]] = 1
    assert _qapic("bindings", schema("10.0"), "-o", out).returncode == 0
    assert {p: p.stat().st_mtime_ns for p in files} == old


@pytest.mark.parametrize(("argv", "status", "message"), [
    (["--package", "my-pkg"], 2, "qapic bindings: error: --package 'my-pkg' is not a Python "
                                 "identifier"),
    (["--package", "class"], 2, "qapic bindings: error: --package 'class' is not a Python "
                                "identifier"),
    (["--conditions", "-", "--conditions", "-"], 2,
     "qapic bindings: error: 2 --conditions for 1 schemas: give one per schema ('-' for "
     "none)"),
])
def test_usage_mistakes(tmp_path: Path, argv: list[str], status: int, message: str) -> None:
    proc = _qapic("bindings", schema("10.0"), "-o", tmp_path / "out", *argv)
    assert (proc.returncode, proc.stdout) == (status, "")
    assert proc.stderr.splitlines()[-1] == message
    assert not (tmp_path / "out").exists()


def test_two_schemas_of_one_release(tmp_path: Path) -> None:
    proc = _qapic("bindings", schema("10.0"), schema("10.0"), "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == ("qapic bindings: error: two schemas of the same "
                                            "release (10.0, 10.0): give one schema per release")
    assert not (tmp_path / "out").exists()


def test_an_old_schema_without_lenient_docs(tmp_path: Path) -> None:
    proc = _qapic("bindings", schema("7.2"), "-o", tmp_path / "out")
    assert proc.returncode == 1
    first, note = proc.stderr.splitlines()
    assert first.endswith("qapi-schema.json:32:1: '=' heading must come first in a comment "
                          "block")
    assert note.startswith("qapic bindings: note: --lenient-docs accepts this schema")
    assert not (tmp_path / "out").exists()


def test_a_schema_error_is_located_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "qemu" / "qapi" / "bad.json"
    tree = qemu_source("10.0")
    # A QEMU tree of one file: its configs and VERSION, and a schema with an error in it.
    (tmp_path / "qemu").mkdir()
    (tmp_path / "qemu" / "configs").symlink_to(tree / "configs")
    (tmp_path / "qemu" / "VERSION").write_text("10.0.13\n")
    bad.parent.mkdir()
    bad.write_text("{ 'command': 'x', 'data': { 'a': 'nosuch' } }\n")
    proc = _qapic("bindings", bad, "-o", tmp_path / "out")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.splitlines() == [
        f"{bad}: In command 'x':",
        f"{bad}:1: parameter 'a' uses unknown type 'nosuch'"]
    assert not (tmp_path / "out").exists()


def test_a_schema_outside_a_qemu_tree(tmp_path: Path) -> None:
    lone = tmp_path / "s.json"
    lone.write_text("{ 'command': 'x' }\n")
    proc = _qapic("bindings", lone, "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"qapic bindings: error: {lone} is not inside a QEMU source tree (its release and "
        "targets are read from it)")


def test_pip_install_gives_an_importable_package(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _qapic("bindings", schema("10.0"), "-o", out, "--package", "qmp_pip").returncode == 0
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    py = env_dir / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q",
                          "--no-deps", str(out)], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    # The types and the wire layer without qemu.qmp (not installed in this environment).
    code = ("import qmp_pip, qmp_pip.wire as w; "
            "print(qmp_pip.exists('query-sev', target='s390x'), "
            "w.encode_arguments('block_resize', {'node_name': 'n', 'size': 1}))")
    run = subprocess.run([str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.stdout == "False {'node-name': 'n', 'size': 1}\n", run.stderr
    meta = subprocess.run([str(py), "-c", "import importlib.metadata as m; "
                           "print(m.requires('qmp-pip'))"], capture_output=True, text=True)
    assert meta.stdout.strip() == "['qemu.qmp>=0.0.3; extra == \"client\"']", meta.stderr
    typed = subprocess.run([str(py), "-c", "import importlib.resources as r; "
                            "print(r.files('qmp_pip').joinpath('py.typed').is_file())"],
                           capture_output=True, text=True)
    assert typed.stdout == "True\n"
