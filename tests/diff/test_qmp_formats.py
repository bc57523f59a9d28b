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

from tests.diff.helpers import Introspect, libvirt_replies, qmp_capture, write_value
from tests.diff.util import SAME, run_cli, run_text


@pytest.fixture
def values(intro_10_0: Introspect, value_dir: Path) -> tuple[Path, Path]:
    return (write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64")),
            write_value(value_dir, "10.0-aarch64.json", intro_10_0("aarch64")))


def _formats(tmp_path: Path, value: Any, name: str) -> dict[str, Path]:
    files = {
        "replies": (f"caps_10.0.0_{name}.replies", libvirt_replies(value, arch=name)),
        "replies-only": (f"caps_old_{name}.replies",
                         libvirt_replies(value, with_requests=False, arch=name)),
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
    # Two targets: exactly the report of the plain values (and there is one to give), after
    # a header naming the release and target each file says (query-version and query-target
    # in libvirt's files; the greeting's version in a capture; nothing in a bare reply).
    status, plain = run_text(x86, arm)
    assert status == 1 and "Commands removed" in plain
    assert not plain.startswith("A: ")
    status_files, text = run_text(x86_file, arm_file)
    assert status_files == status
    says = {"replies": (" (QEMU 10.0.0, x86_64)", " (QEMU 10.0.0, aarch64)"),
            "replies-only": (" (QEMU 10.0.0, x86_64)", " (QEMU 10.0.0, aarch64)"),
            "capture": (" (QEMU 10.0.0)", " (QEMU 10.0.0)")}
    if kind in says:
        head = [f"A: {x86_file}{says[kind][0]}", f"B: {arm_file}{says[kind][1]}", ""]
        assert text.splitlines()[:3] == head
        text = "".join(text.splitlines(keepends=True)[3:])
    assert text == plain


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
