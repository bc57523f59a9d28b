"""Bad input: one line on stderr naming the file, exit status 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.diff.util import SAME, run_cli

GOOD: list[dict[str, Any]] = [{"name": "str", "meta-type": "builtin", "json-type": "string"},
        {"name": "0", "meta-type": "object", "members": []},
        {"name": "x", "meta-type": "command", "arg-type": "0", "ret-type": "0"}]

BAD_TEXT: dict[str, bytes] = {
    "empty": b"",
    "not-json": b"this is not JSON\n",
    "truncated": json.dumps(GOOD).encode()[:-5],
    "binary": bytes(range(256)),
    "number": b"42",
    "string": b'"query-qmp-schema"',
    "object": b'{"QMP": {"version": {}}}',
    "reply-not-a-list": b'{"return": {}}',
    "error-reply": b'{"error": {"class": "CommandNotFound", "desc": "no such command"}}',
    "list-of-numbers": b"[1, 2, 3]",
    "no-meta-type": b'[{"name": "x"}]',
    "bad-meta-type": b'[{"name": "x", "meta-type": "struct"}]',
    "dangling-type": json.dumps([{"name": "x", "meta-type": "command", "arg-type": "0",
                                  "ret-type": "0"}]).encode(),
    "duplicate": json.dumps([*GOOD, {**GOOD[0], "json-type": "int"}]).encode(),
    "bad-members": json.dumps([*GOOD[:2], {"name": "1", "meta-type": "object",
                                           "members": "none"}]).encode(),
    "variants-without-tag": json.dumps([*GOOD, {"name": "1", "meta-type": "object", "members": [],
                                                "variants": [{"case": "a", "type": "0"}]}]
                                       ).encode(),
    "deep": b"[" * 100000,
}


def _check(proc_stderr: str, returncode: int, name: str) -> None:
    assert returncode == 2, proc_stderr
    lines = proc_stderr.splitlines()
    assert len(lines) == 1, proc_stderr
    assert name in lines[0]
    assert "Traceback" not in proc_stderr


def _check_usage(proc_stderr: str, returncode: int, name: str) -> None:
    """A command-line mistake: the usage first, as every command gives it, then one line."""
    assert returncode == 2, proc_stderr
    assert proc_stderr.startswith("usage: qapic diff "), proc_stderr
    last = proc_stderr.splitlines()[-1]
    assert last.startswith("qapic diff: error: ") and name in last
    assert "Traceback" not in proc_stderr


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD))
    return path


@pytest.mark.parametrize("case", list(BAD_TEXT))
@pytest.mark.parametrize("side", ["a", "b"])
def test_bad_file(tmp_path: Path, good: Path, case: str, side: str) -> None:
    bad = tmp_path / f"{case}.json"
    bad.write_bytes(BAD_TEXT[case])
    argv = (bad, good) if side == "a" else (good, bad)
    proc = run_cli(*argv)
    _check(proc.stderr, proc.returncode, str(bad))
    assert proc.stdout == ""


def test_missing_file(tmp_path: Path, good: Path) -> None:
    missing = tmp_path / "no-such-file.json"
    proc = run_cli(good, missing)
    _check(proc.stderr, proc.returncode, str(missing))
    assert "no such file" in proc.stderr


def test_directory(tmp_path: Path, good: Path) -> None:
    proc = run_cli(tmp_path, good)
    _check(proc.stderr, proc.returncode, str(tmp_path))


def test_build_options_on_values(tmp_path: Path, good: Path) -> None:
    proc = run_cli(good, good, "--b-target", "x86_64")
    _check_usage(proc.stderr, proc.returncode, str(good))
    proc = run_cli(good, good, "--target", "x86_64")
    _check_usage(proc.stderr, proc.returncode, str(good))


def test_unknown_target(qemu_10_0: Path, good: Path) -> None:
    schema = qemu_10_0 / "qapi" / "qapi-schema.json"
    proc = run_cli(schema, good, "--a-target", "no-such-arch")
    _check_usage(proc.stderr, proc.returncode, str(schema))
    assert "unknown target 'no-such-arch'" in proc.stderr
    assert "x86_64" in proc.stderr            # the known ones are listed


def test_schema_outside_a_tree(tmp_path: Path, good: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text("# a schema\n{ 'command': 'x' }\n")
    proc = run_cli(schema, good, "--target", "x86_64")
    _check_usage(proc.stderr, proc.returncode, str(schema))


def test_through_qapic_cli(tmp_path: Path, good: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    proc = run_cli("diff", good, bad, module="qapic")
    _check(proc.stderr, proc.returncode, str(bad))
    proc = run_cli("diff", good, good, module="qapic")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, SAME, "")
