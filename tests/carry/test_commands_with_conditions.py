"""``--conditions`` on diff and docs: what a QEMU or libvirt developer sees of 10.2 + conditions.

The expectations come from QEMU 10.0.13's schema (where the conditions were written) and from
upstream 10.2.2's schema without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.carry.fixtures import SHIPPED_10_2
from tests.support import REPO

TARGET_ONLY = {"query-sev", "rtc-reset-reinjection", "query-sgx", "xen-event-list",
               "query-gic-capabilities"}


def _qapic(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", *argv], cwd=REPO,
                          capture_output=True, text=True, check=False)


def _added_commands(diff: Any) -> set[str]:
    return {c["name"] for c in diff["changes"]
            if c["entity"] == "command" and c["change"] == "command-added"}


def test_diff_10_0_to_10_2_on_s390x(qemu_10_0: Path, qemu_10_2: Path) -> None:
    old = str(qemu_10_0 / "qapi/qapi-schema.json")
    new = str(qemu_10_2 / "qapi/qapi-schema.json")
    plain = _qapic("diff", old, new, "--target", "s390x", "--json")
    carried = _qapic("diff", old, new, "--target", "s390x", "--json",
                     "--b-conditions", str(SHIPPED_10_2))
    assert plain.returncode in (0, 1) and carried.returncode in (0, 1), carried.stderr
    # Upstream 10.2 gives s390x the x86 and ARM commands; with the conditions it does not.
    assert _added_commands(json.loads(plain.stdout)) >= TARGET_ONLY
    assert not TARGET_ONLY & _added_commands(json.loads(carried.stdout))


def test_docs_tell_where_a_carried_item_exists(qemu_10_2: Path, tmp_path: Path) -> None:
    schema = str(qemu_10_2 / "qapi/qapi-schema.json")
    out = tmp_path / "docs"
    proc = _qapic("docs", schema, "--conditions", str(SHIPPED_10_2), "--format", "rst",
                  "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    text = (out / "qapi-reference.rst").read_text()
    section = text.split("``query-sev`` (command)", 1)[1][:400]
    assert "only on i386 and x86_64" in section
    dump = text.split("``dump-skeys`` (command)", 1)[1][:400]
    assert "only on s390x" in dump
    plain = tmp_path / "plain"
    assert _qapic("docs", schema, "--format", "rst", "-o", str(plain)).returncode == 0
    assert "only on i386" not in (plain / "qapi-reference.rst").read_text()
