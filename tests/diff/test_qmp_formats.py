"""``qapic diff`` reads the query-qmp-schema reply out of the files QMP people keep: libvirt's
``tests/qemucapabilitiesdata/*.replies`` (a stream of pretty-printed QMP messages separated by a
blank line; newer files interleave libvirt's requests, older ones hold the replies only), a QMP
capture ``{"greeting", "exchanges"}`` and a bare reply ``{"return": [...]}``.

The values are real: QEMU 10.0's query-qmp-schema for x86_64 and aarch64 from upstream's
generator.  Each format must give exactly what the plain value gives: the same verdict and the
same report (never an expected report written from qapic's output).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.diff.helpers import Introspect, write_value
from tests.diff.util import SAME, run_cli, run_text


def libvirt_replies(value: Any, with_requests: bool = True) -> str:
    """A ``.replies`` file as libvirt's capabilities probe writes it: each message
    pretty-printed with two-space indentation, messages separated by a blank line, replies
    tagged with libvirt's ids; before the schema and after it, the other probes' replies."""
    exchanges: list[tuple[str, Any]] = [
        ("qmp_capabilities", {}),
        ("query-version", {"qemu": {"micro": 0, "minor": 0, "major": 10}, "package": "v10.0.0"}),
        ("query-target", {"arch": "x86_64"}),
        ("query-qmp-schema", value),
        # A list reply of another shape (libvirt asks for these too).
        ("query-commands", [{"name": e["name"]} for e in value if e["meta-type"] == "command"]),
        ("qom-list-types", [{"name": "pc-q35-10.0-machine", "parent": "generic-pc-machine"}]),
    ]
    messages: list[Any] = []
    for n, (command, ret) in enumerate(exchanges, 1):
        ident = f"libvirt-{n}"
        if with_requests:
            messages.append({"execute": command, "id": ident})
        messages.append({"return": ret, "id": ident})
    return "".join(json.dumps(m, indent=2) + "\n\n" for m in messages)


def qmp_capture(value: Any) -> dict[str, Any]:
    """A capture as tests/qmp's runner records one: the greeting and, per request (its text),
    every message QEMU sent before the reply, events included."""
    return {
        "greeting": {"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 10},
                                         "package": ""}, "capabilities": ["oob"]}},
        "exchanges": [
            {"request": '{"execute":"qmp_capabilities"}', "replies": [{"return": {}}]},
            {"request": '{"execute":"query-qmp-schema","id":7}',
             "replies": [{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}},
                         {"return": value, "id": 7}]},
            {"request": '{"execute":"query-name"}', "replies": [{"return": {}}]},
        ],
    }


@pytest.fixture
def values(intro_10_0: Introspect, value_dir: Path) -> tuple[Path, Path]:
    return (write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64")),
            write_value(value_dir, "10.0-aarch64.json", intro_10_0("aarch64")))


def _formats(tmp_path: Path, value: Any, name: str) -> dict[str, Path]:
    files = {
        "replies": (f"caps_10.0.0_{name}.replies", libvirt_replies(value)),
        "replies-only": (f"caps_old_{name}.replies", libvirt_replies(value, with_requests=False)),
        "capture": (f"capture-{name}.json", json.dumps(qmp_capture(value))),
        "reply": (f"reply-{name}.json", json.dumps({"return": value, "id": "x"})),
    }
    out = {}
    for kind, (file, text) in files.items():
        (tmp_path / file).write_text(text)
        out[kind] = tmp_path / file
    return out


@pytest.mark.parametrize("kind", ["replies", "replies-only", "capture", "reply"])
def test_each_format_reads_the_schema_reply(intro_10_0: Introspect, values: tuple[Path, Path],
                                            tmp_path: Path, kind: str) -> None:
    x86, arm = values
    x86_file = _formats(tmp_path, intro_10_0("x86_64"), "x86_64")[kind]
    arm_file = _formats(tmp_path, intro_10_0("aarch64"), "aarch64")[kind]
    # The same interface in another file format: no change, in one line.
    assert run_text(x86, x86_file) == (0, SAME)
    assert run_text(x86_file, x86) == (0, SAME)
    # Two targets: exactly the report of the plain values (and there is one to give).
    status, plain = run_text(x86, arm)
    assert status == 1 and "Commands removed" in plain
    assert run_text(x86_file, arm_file) == (status, plain)


def test_libvirt_file_without_the_schema(tmp_path: Path, values: tuple[Path, Path]) -> None:
    text = libvirt_replies([{"name": "x", "meta-type": "builtin", "json-type": "int"}])
    # Cut the query-qmp-schema exchange out: what remains holds no schema.
    blocks = [b for b in text.split("\n\n") if b.strip()]
    kept = [b for b in blocks if '"libvirt-4"' not in b]
    (tmp_path / "no-schema.replies").write_text("\n\n".join(kept) + "\n\n")
    status, out = _error(tmp_path / "no-schema.replies", values[0])
    assert status == 2
    assert out == (f"{tmp_path / 'no-schema.replies'}: a stream of QMP messages (10 messages) "
                   "without a query-qmp-schema reply")
    # A request without its reply (a truncated file).
    cut = blocks[:blocks.index(next(b for b in blocks if "query-qmp-schema" in b)) + 1]
    (tmp_path / "cut.replies").write_text("\n\n".join(cut) + "\n\n")
    status, out = _error(tmp_path / "cut.replies", values[0])
    assert (status, out) == (2, f"{tmp_path / 'cut.replies'}: a stream of QMP messages with a "
                             "query-qmp-schema request but no reply to it")


def _error(a: Path, b: Path) -> tuple[int, str]:
    proc = run_cli("diff", a, b, module="qapic")
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    prefix = "qapic diff: error: "
    assert line.startswith(prefix)
    return proc.returncode, line[len(prefix):]
