"""A damaged ``.replies`` file (truncated, a brace or a comma missing) is reported where the
damage is: the message's number, the line it starts on and the line where its JSON goes wrong,
not at the next message ('Extra data at line 6 column 1')."""

from __future__ import annotations

import json
from pathlib import Path

from tests.diff.helpers import libvirt_replies
from tests.diff.util import run_cli

VALUE = [{"name": "str", "meta-type": "builtin", "json-type": "string"},
         {"name": "0", "meta-type": "object", "members": []},
         {"name": "x", "meta-type": "command", "arg-type": "0", "ret-type": "0"}]


def _error(path: Path) -> str:
    proc = run_cli("diff", path, path, module="qapic")
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("qapic diff: error: ")
    return line.removeprefix("qapic diff: error: ")


def _blocks(text: str) -> list[str]:
    return text.split("\n\n")


def _first_line(blocks: list[str], index: int) -> int:
    """The line block *index* starts on (blocks joined by one blank line)."""
    return sum(b.count("\n") + 2 for b in blocks[:index]) + 1


def test_a_message_without_its_closing_brace(tmp_path: Path) -> None:
    blocks = _blocks(libvirt_replies(VALUE))
    # Message 4: the reply to query-version; its last line is the closing brace.
    assert blocks[3].endswith("\n}") and '"qemu"' in blocks[3]
    blocks[3] = blocks[3][:-2]
    path = tmp_path / "caps.replies"
    path.write_text("\n\n".join(blocks))
    start = _first_line(blocks, 3)
    last = blocks[3].split("\n")[-1]
    end = start + blocks[3].count("\n")
    assert _error(path) == (f"{path}: message 4 (line {start}) is not complete JSON: it ends "
                            f"at line {end} column {len(last)} without closing all its braces")


def test_a_truncated_file(tmp_path: Path) -> None:
    text = libvirt_replies(VALUE)
    blocks = _blocks(text)
    cut = text.index('"meta-type": "object"')           # inside message 8, the schema reply
    path = tmp_path / "caps.replies"
    path.write_text(text[:cut])
    start = _first_line(blocks, 7)
    assert '"name": "str"' in blocks[7]
    message = _error(path)
    assert message.startswith(f"{path}: message 8 (line {start}) is not ")
    assert f"at line {text[:cut].rstrip().count(chr(10)) + 1} column" in message


def test_a_missing_comma(tmp_path: Path) -> None:
    blocks = _blocks(libvirt_replies(VALUE))
    assert blocks[1] == '{\n  "return": {},\n  "id": "libvirt-1"\n}'
    blocks[1] = '{\n  "return": {}\n  "id": "libvirt-1"\n}'
    path = tmp_path / "caps.replies"
    path.write_text("\n\n".join(blocks))
    start = _first_line(blocks, 1)
    assert _error(path) == (f"{path}: message 2 (line {start}) is not JSON: Expecting ',' "
                            f"delimiter at line {start + 2} column 3")


def test_one_message_per_line(tmp_path: Path) -> None:
    """Written one per line, a message without its closing brace is reported on its own
    line, not on the next message's."""
    lines = [json.dumps(m) for m in
             (json.loads(b) for b in _blocks(libvirt_replies(VALUE)) if b.strip())]
    lines[2] = lines[2][:-1]
    path = tmp_path / "capture.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert _error(path) == (f"{path}: message 3 (line 3) is not complete JSON: it ends at "
                            f"line 3 column {len(lines[2])} without closing all its braces")


def test_an_intact_file_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "caps.replies"
    path.write_text(libvirt_replies(VALUE))
    proc = run_cli("diff", path, path, module="qapic")
    assert proc.returncode == 0 and proc.stdout.endswith(
        "No change: B has the same commands, events and types as A.\n")
