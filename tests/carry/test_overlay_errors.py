"""Conditions files: every mistake is one error located in the conditions file, exit 1; a
derivation whose carried conditions hide a type that a visible item uses is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

SCHEMA = """\
{ 'enum': 'Color', 'data': [ 'red', { 'name': 'blue', 'features': [ 'unstable' ] } ] }
{ 'struct': 'Point', 'data': { 'x': 'int', '*y': 'int' }, 'features': [ 'fancy' ] }
{ 'union': 'Shape', 'base': { 'kind': 'Color', '*label': 'str' }, 'discriminator': 'kind',
  'data': { 'red': 'Point' } }
{ 'command': 'draw', 'data': { 'shape': 'Shape' }, 'returns': 'Point' }
{ 'event': 'DRAWN', 'data': 'Point', 'boxed': true }
"""


def _qapic(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", *argv], cwd=REPO,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.json"
    path.write_text(SCHEMA)
    return path


GOOD = """\
# a comment
{ 'enum': 'Color', 'data': { 'blue': { 'if': 'TARGET_ARM',
                                       'features': { 'unstable': { 'if': 'TARGET_ARM' } } } } }
{ 'struct': 'Point', 'data': { 'y': { 'if': 'TARGET_S390X' } },
  'features': { 'fancy': { 'if': 'TARGET_I386' } } }
{ 'union': 'Shape', 'base': { 'label': { 'if': 'CONFIG_KVM' } } }
{ 'command': 'draw', 'if': { 'any': [ 'TARGET_ARM', 'TARGET_I386' ] } }
"""

BAD = [
    # (conditions file, line of the error, words in the message)
    ("{ 'command': 'paint', 'if': 'TARGET_ARM' }\n", 1, "no definition 'paint'"),
    ("\n{ 'struct': 'draw', 'if': 'TARGET_ARM' }\n", 2, "is a command in the schema"),
    ("{ 'struct': 'Point', 'data': { 'z': { 'if': 'X' } } }\n", 1, "no member 'z'"),
    ("{ 'struct': 'Point', 'data': { '*y': { 'if': 'X' } } }\n", 1, "without '*'"),
    ("{ 'enum': 'Color', 'data': { 'green': { 'if': 'X' } } }\n", 1, "no value 'green'"),
    ("{ 'union': 'Shape', 'data': { 'blue': { 'if': 'X' } } }\n", 1, "no branch 'blue'"),
    ("{ 'struct': 'Point', 'features': { 'unstable': { 'if': 'X' } } }\n", 1,
     "no feature 'unstable'"),
    ("{ 'command': 'draw', 'if': 'not an identifier' }\n", 1, "not a valid identifier"),
    ("{ 'command': 'draw', 'if': { 'every': [ 'X' ] } }\n", 1, "'every'"),
    ("{ 'command': 'draw', 'returns': 'int' }\n", 1, "unknown key 'returns'"),
    ("{ 'command': 'draw' }\n", 1, "adds nothing"),
    ("{ 'event': 'DRAWN', 'data': { 'x': { 'if': 'X' } } }\n", 1, "no member 'x'"),
    ("{ 'command': 'draw', 'if': 'A' }\n{ 'command': 'draw', 'if': 'B' }\n", 2,
     "already at line 1"),
    ("{ 'include': 'schema.json' }\n", 1, "cannot include"),
    ("{ 'command': 'draw', 'if': 'A' \n", 1, "expected"),
]


def test_a_good_file_applies(schema: Path, tmp_path: Path) -> None:
    cond = tmp_path / "good.json"
    cond.write_text(GOOD)
    proc = _qapic("check", str(schema), "--conditions", str(cond), "--qemu-src",
                  str(_any_tree()))
    assert (proc.returncode, proc.stderr) == (0, "")


def _any_tree() -> Path:
    from tests.support import qemu_source
    return qemu_source("10.2")


@pytest.mark.parametrize("text,line,words", BAD, ids=[b[2] for b in BAD])
def test_bad_file_one_located_error(schema: Path, tmp_path: Path, text: str, line: int,
                                    words: str) -> None:
    cond = tmp_path / "bad.json"
    cond.write_text(text)
    proc = _qapic("introspect", str(schema), "--conditions", str(cond))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    # QEMU's form: an optional "FILE: In command 'x':" line, then the located message (which
    # may go on over a further line, as QEMU's "Valid keys are ..." does)
    located = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"{cond}:")
               and not ln.startswith(f"{cond}: In ")]
    assert len(located) == 1, proc.stderr
    assert located[0].startswith((f"{cond}:{line}:", f"{cond}:{line} ")), proc.stderr
    assert words in located[0], proc.stderr


def test_missing_conditions_file(schema: Path, tmp_path: Path) -> None:
    proc = _qapic("generate", "-o", str(tmp_path / "out"), str(schema),
                  "--conditions", str(tmp_path / "nope.json"))
    assert proc.returncode == 1
    assert proc.stderr == f"qapic generate: error: {tmp_path / 'nope.json'}: no such file\n"
    assert not (tmp_path / "out").exists()


def test_a_carried_condition_hiding_a_used_type_is_a_conflict(tmp_path: Path) -> None:
    # OLD had Point and draw on ARM only; NEW added an unconditional command that returns
    # Point.  Carrying Point's condition would hide it on every other target while 'measure'
    # is still visible there: the derivation must say so and exit 1.
    old, new = tmp_path / "old" / "s.json", tmp_path / "new" / "s.json"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text("{ 'struct': 'Point', 'data': { 'x': 'int' }, 'if': 'TARGET_ARM' }\n"
                   "{ 'command': 'draw', 'returns': 'Point', 'if': 'TARGET_ARM' }\n")
    new.write_text("{ 'struct': 'Point', 'data': { 'x': 'int' } }\n"
                   "{ 'command': 'draw', 'returns': 'Point' }\n"
                   "{ 'command': 'measure', 'returns': 'Point' }\n")
    out = tmp_path / "carried.json"
    proc = _qapic("carry-conditions", str(old), str(new), "-o", str(out),
                  "--qemu-src", str(_any_tree()))
    assert proc.returncode == 1, proc.stderr
    assert "command 'measure': its return type refers to 'Point', which is hidden on" \
        in proc.stderr
    assert "x86_64" in proc.stderr and "aarch64" not in proc.stderr.split("hidden on")[1]
    text = out.read_text()
    assert "{ 'struct': 'Point', 'if': 'TARGET_ARM' }" in text
    assert "{ 'command': 'draw', 'if': 'TARGET_ARM' }" in text
    check = _qapic("check", str(new), "--conditions", str(out), "--qemu-src", str(_any_tree()))
    assert check.returncode == 1 and "'measure'" in check.stderr


def test_items_that_cannot_be_carried_are_listed(tmp_path: Path) -> None:
    old, new = tmp_path / "old" / "s.json", tmp_path / "new" / "s.json"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text("{ 'command': 'gone', 'if': 'TARGET_ARM' }\n"
                   "{ 'struct': 'Kind', 'data': { 'a': 'int' }, 'if': 'TARGET_ARM' }\n"
                   "{ 'command': 'args', 'data': { 'x': { 'type': 'int', 'if': 'TARGET_PPC' } } }\n"
                   "{ 'command': 'kept', 'if': 'CONFIG_SPICE' }\n")
    new.write_text("{ 'enum': 'Kind', 'data': [ 'a' ] }\n"
                   "{ 'struct': 'Args', 'data': { 'x': 'int' } }\n"
                   "{ 'command': 'args', 'data': 'Args' }\n"
                   "{ 'command': 'kept' }\n")
    proc = _qapic("carry-conditions", str(old), str(new), "--qemu-src", str(_any_tree()))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 4, proc.stderr
    assert "s.json:1: command 'gone': NEW has no definition 'gone'" in lines[0]
    assert "s.json:2: struct 'Kind': 'Kind' is a enum in NEW" in lines[1]
    assert "member 'x' of command 'args'" in lines[2] and "changed shape" in lines[2]
    # NEW's enum 'Kind' and struct 'Args' are new since OLD: listed for review
    assert lines[3] == ("qapic carry-conditions: note: 2 items are new since OLD and carry no "
                        "condition; the file lists them for review")
    assert "#   enum 'Kind'\n#   struct 'Args'\n" in proc.stdout
    # a build-time condition is not carried
    assert "'kept'" not in proc.stdout
