"""``qapic generate`` as a command: options as qapi-gen.py's, errors, and how it writes files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.qemu.generate.common import GenContext
from qapic.qemu.generate.output import OutputSet
from tests.cgen.helpers import files, run_qapic, run_upstream
from tests.cgen_dispatch.csource import code
from tests.support import REPO, qemu_source

SCHEMA = """\
{ 'enum': 'Colour', 'data': [ 'red', { 'name': 'green', 'if': 'CONFIG_GREEN' } ] }
{ 'struct': 'Paint', 'data': { 'colour': 'Colour', '*litres': 'int', '*brand': 'str' } }
{ 'command': 'mix', 'data': { 'a': 'Paint', 'b': 'Paint' }, 'returns': 'Paint' }
{ 'event': 'SPILT', 'data': { 'paint': 'Paint' } }
"""


def _schema(tmp_path: Path, text: str = SCHEMA) -> Path:
    path = tmp_path / "paint.json"
    path.write_text(text)
    return path


def _mtimes(root: Path) -> dict[str, int]:
    return {name: (root / name).stat().st_mtime_ns for name in files(root)}


def test_help_lists_qapi_gen_options() -> None:
    proc = subprocess.run([sys.executable, "-m", "qapic", "generate", "--help"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    for option in ("--builtins", "--output-dir", "--prefix", "--unmask-non-abi-names",
                   "--backend", "--suppress-tracing", "-b", "-o", "-p", "-u", "-B"):
        assert option in proc.stdout


def test_same_files_as_upstream_for_a_small_schema(tmp_path: Path, qemu_10_0: Path) -> None:
    schema = _schema(tmp_path)
    run_upstream(qemu_10_0, schema, tmp_path / "up", "-p", "paint-")
    assert run_qapic(schema, tmp_path / "ours", "-p", "paint-").returncode == 0
    assert files(tmp_path / "ours") == files(tmp_path / "up")


def test_unchanged_files_keep_their_timestamps(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    out = tmp_path / "out"
    assert run_qapic(schema, out).returncode == 0
    old = {name: ns - 10**9 for name, ns in _mtimes(out).items()}
    for name, ns in old.items():
        os.utime(out / name, ns=(ns, ns))
    # Same schema: nothing rewritten.
    assert run_qapic(schema, out).returncode == 0
    assert _mtimes(out) == old
    # A change to the enum only: the types files change, the command files do not.
    _schema(tmp_path, SCHEMA.replace("'red'", "'red', 'blue'"))
    assert run_qapic(schema, out).returncode == 0
    new = _mtimes(out)
    changed = {name for name in old if new[name] != old[name]}
    assert {"qapi-types.h", "qapi-types.c"} <= changed
    assert "qapi-visit.h" not in changed
    assert "qapi-commands.h" not in changed
    assert "BLUE" in (out / "qapi-types.h").read_text()


def test_a_schema_error_writes_nothing(tmp_path: Path) -> None:
    schema = _schema(tmp_path, SCHEMA + "{ 'struct': 'Bad', 'data': { 'x': 'Nowhere' } }\n")
    out = tmp_path / "out"
    proc = run_qapic(schema, out)
    assert proc.returncode == 1
    assert "paint.json:5" in proc.stderr and "Nowhere" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_schema_error_leaves_old_output_alone(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    out = tmp_path / "out"
    assert run_qapic(schema, out).returncode == 0
    before = {name: (out / name).read_bytes() for name in files(out)}
    _schema(tmp_path, SCHEMA.replace("'Paint' }", "'Pain' }", 1))
    assert run_qapic(schema, out).returncode == 1
    assert {name: (out / name).read_bytes() for name in files(out)} == before


@pytest.mark.parametrize("backend", ["nonsense", "qapi.backend.NoSuchBackend", "c.x"])
def test_unknown_backend_is_one_clear_error(tmp_path: Path, backend: str) -> None:
    proc = run_qapic(_schema(tmp_path), tmp_path / "out", "-B", backend)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: qapic generate ")
    assert proc.stderr.splitlines()[-1] == (f"qapic generate: error: unknown backend '{backend}' "
                                            "(known: c, qapi.backend.QAPICBackend)")
    assert not (tmp_path / "out").exists()


def test_upstream_default_backend_name_is_accepted(tmp_path: Path) -> None:
    proc = run_qapic(_schema(tmp_path), tmp_path / "out", "-B", "qapi.backend.QAPICBackend")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "qapi-types.h").exists()


def test_funny_prefix_rejected_like_qapi_gen(tmp_path: Path, qemu_10_0: Path) -> None:
    schema = _schema(tmp_path)
    proc = run_qapic(schema, tmp_path / "out", "-p", "1x")
    up = subprocess.run([sys.executable, str(qemu_10_0 / "scripts" / "qapi-gen.py"),
                         "-o", str(tmp_path / "up"), "-p", "1x", str(schema)],
                        capture_output=True, text=True)
    # qapi-gen.py exits 1; qapic's usage errors all exit 2 (see the README's table).
    assert (proc.returncode, up.returncode) == (2, 1)
    assert "funny character '1' in argument of --prefix" in up.stderr
    assert proc.stderr.splitlines()[-1] == ("qapic generate: error: funny character '1' in "
                                            "argument of --prefix")
    assert not (tmp_path / "out").exists()


def test_write_all_is_all_or_nothing(tmp_path: Path) -> None:
    out = OutputSet(GenContext(), "x.json")
    out.c_file("a.c", "A").body.line("int a;")
    out.c_file("sub/b.c", "B").body.line("int b;")
    blocker = tmp_path / "out"
    blocker.mkdir()
    (blocker / "sub").write_text("a file where a directory must go")
    with pytest.raises(OSError):
        out.write_all(blocker)
    # a.c was written to a temporary file first; the failure removed it and renamed nothing.
    assert sorted(p.name for p in blocker.iterdir()) == ["sub"]


def test_write_all_reports_what_it_wrote(tmp_path: Path) -> None:
    out = OutputSet(GenContext(), "x.json")
    out.h_file("a.h", "A").body.line("int a;")
    out.c_file("../elsewhere.c", "E").body.line("int e;")
    assert out.write_all(tmp_path / "o") == ["a.h"]
    assert out.write_all(tmp_path / "o") == []
    assert not (tmp_path / "elsewhere.c").exists()
    text = (tmp_path / "o" / "a.h").read_text()
    assert text.startswith("/* AUTOMATICALLY GENERATED by qapic")
    assert "#ifndef A_H\n#define A_H\n" in text and text.endswith("#endif /* A_H */\n")


@pytest.mark.parametrize(("option", "release"), [([], "10.0"), (["--qemu-version", "10.2"], "10.2"),
                                                 (["--qemu-version", "10.0.13"], "10.0")])
def test_qemu_version_selects_the_release_followed(option: list[str], release: str,
                                                   tmp_path: Path) -> None:
    # A schema outside any QEMU tree: 10.0's structure unless --qemu-version names another;
    # the oracle is that release's own generator on the same schema.
    schema = _schema(tmp_path)
    run_upstream(qemu_source(release), schema, tmp_path / "upstream")
    proc = run_qapic(schema, tmp_path / "qapic", *option)
    assert proc.returncode == 0, proc.stderr
    name = "qapi-commands.c"
    assert code((tmp_path / "qapic" / name).read_text()) == \
        code((tmp_path / "upstream" / name).read_text())


@pytest.mark.parametrize("value", ["10", "ten.two", "10.2-rc1", ""])
def test_bad_qemu_version(value: str, tmp_path: Path) -> None:
    proc = run_qapic(_schema(tmp_path), tmp_path / "out", "--qemu-version", value)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == ("qapic generate: error: --qemu-version: not a QEMU "
                                            f"version (MAJOR.MINOR): {value!r}")
    assert not (tmp_path / "out").exists()
