"""A schema outside any QEMU tree where the command needs its targets: a usage error (exit 2,
after the command's usage, naming the option that gives a tree), as the README's table says; a
broken schema there is reported as the schema error, which wins over the tree problem; ``docs``
documents such a schema without targets only when its conditions name none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Run
from tests.support import REPO

BROKEN = "{ 'command': 'x', 'data': { 'a': 'Nope' } }\n"
TARGETED = "{ 'command': 'query-sev', 'if': 'TARGET_I386' }\n"


@pytest.mark.parametrize(("argv", "status"), [
    (["introspect", "S", "-t", "x86_64"], 1),
    (["targets", "S"], 1),
    (["carry-conditions", "S", "S"], 1),
    (["docs", "S", "-o", "out"], 1),
    (["check", "S", "--conditions", "c.json"], 1),
    (["diff", "S", "S", "-t", "x86_64"], 2),
    (["generate", "--single-binary", "-o", "out", "S"], 1),
])
def test_the_schema_error_wins(qapic: Run, tmp_path: Path, argv: list[str],
                               status: int) -> None:
    (tmp_path / "bad.json").write_text(BROKEN)
    (tmp_path / "c.json").write_text("{ 'command': 'x', 'if': 'TARGET_ARM' }\n")
    proc = qapic(*["bad.json" if a == "S" else a for a in argv])
    assert proc.returncode == status
    assert "QEMU source tree" not in proc.stderr
    assert "bad.json:1: parameter 'a' uses unknown type 'Nope'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_docs_outside_a_tree(qapic: Run, schema: Path, tmp_path: Path) -> None:
    # No condition names a target: documented as it is.
    assert qapic("docs", schema, "-o", "plain").returncode == 0
    # Conditions that name targets need a tree to say where they exist.
    (tmp_path / "t.json").write_text(TARGETED)
    proc = qapic("docs", "t.json", "-o", "out")
    assert proc.returncode == 2 and proc.stderr.startswith("usage: qapic docs ")
    assert proc.stderr.splitlines()[-1] == (
        "qapic docs: error: t.json is not inside a QEMU source tree, and its conditions name "
        "targets (TARGET_I386): name one with --qemu-src DIR")
    assert not (tmp_path / "out").exists()


def test_docs_names_the_targets_from_the_tree_given(qapic: Run, qemu_10_0: Path,
                                                    tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(TARGETED)
    proc = qapic("docs", "t.json", "-o", "out", "--format", "rst", "--qemu-src", qemu_10_0)
    assert (proc.returncode, proc.stderr) == (0, "")
    text = (tmp_path / "out" / "qapi-reference.rst").read_text()
    assert "*Availability: only on i386 and x86_64*" in text
    assert "TARGET_I386" not in text


def test_readme_table_says_usage() -> None:
    """The README's exit status table puts 'no QEMU tree' where the commands put it."""
    readme = (REPO / "README.md").read_text()
    row1 = next(line for line in readme.splitlines() if line.startswith("| 1 |"))
    row2 = next(line for line in readme.splitlines() if line.startswith("| 2 |"))
    assert "no QEMU tree" not in row1
    assert "no QEMU tree" in row2 and "--qemu-src" in row2
