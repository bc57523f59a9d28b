"""``qapic diff`` on a schema whose doc comments follow an older QEMU's rules (7.2): doc comments
do not matter to a diff, so it is read as ``--lenient-docs`` reads it, with a word on stderr;
the interface rules stay strict."""

from __future__ import annotations

from pathlib import Path

from tests.diff.util import run_cli
from tests.support import SYSTEM_SCHEMA


def test_7_2_against_10_0_needs_no_flag(qemu_7_2: Path, qemu_10_0: Path) -> None:
    old, new = qemu_7_2 / SYSTEM_SCHEMA, qemu_10_0 / SYSTEM_SCHEMA
    plain = run_cli("diff", old, new, module="qapic")
    lenient = run_cli("diff", "--lenient-docs", old, new, module="qapic")
    assert plain.returncode == lenient.returncode == 1      # 10.0 lost some of 7.2's
    assert plain.stdout == lenient.stdout and "Commands added" in plain.stdout
    assert lenient.stderr == ""
    assert plain.stderr.splitlines() == [
        f"qapic diff: warning: {old}: its doc comments follow an older QEMU's rules (e.g. 7.2); "
        "read as with --lenient-docs, since a diff does not depend on them"]


def test_interface_errors_stay_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("##\n# Text\n# = Heading after text (7.2's rules)\n##\n\n"
                   "##\n# @x:\n##\n{ 'command': 'x', 'data': { 'a': 'Nope' } }\n")
    proc = run_cli("diff", bad, bad, module="qapic")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == (
        f"qapic diff: error: {bad}:9: parameter 'a' uses unknown type 'Nope'")
