"""Help texts say what the commands do: ``docs --help`` shows its examples one a line;
``harness``/``fuzz --help`` name every release they build against (10.0 and 10.2); the header of
a conditions file ``carry-conditions`` writes names the two releases, not
'qapi/qapi-schema.json' twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Run
from tests.support import SYSTEM_SCHEMA


def test_docs_examples_one_a_line(qapic: Run) -> None:
    lines = qapic("docs", "--help").stdout.splitlines()
    examples = lines[lines.index("Examples:") + 1:][:3]
    assert examples == [
        "  qapic docs qapi/qapi-schema.json -o build/qmp-ref",
        "  qapic docs qapi/qapi-schema.json -o out --target x86_64 --define CONFIG_SPICE",
        "  qapic docs qapi/qapi-schema.json -o out --format html,rst"]


@pytest.mark.parametrize("command", ["harness", "fuzz"])
def test_build_directory_of_either_release(qapic: Run, command: str) -> None:
    text = " ".join(qapic(command, "--help").stdout.split())
    assert "QEMU 10.0 build directory" not in text
    assert "a configured and built QEMU build directory (QEMU 10.0 or 10.2)" in text


def test_carried_file_names_the_releases(qapic: Run, qemu_10_0: Path, qemu_10_2: Path) -> None:
    proc = qapic("carry-conditions", qemu_10_0 / SYSTEM_SCHEMA, qemu_10_2 / SYSTEM_SCHEMA)
    old = (qemu_10_0 / "VERSION").read_text().strip()
    new = (qemu_10_2 / "VERSION").read_text().strip()
    assert proc.stdout.splitlines()[:5] == [
        "# Conditions carried by qapic carry-conditions",
        f"#   from QEMU {old} (qapi/qapi-schema.json)",
        f"#   to   QEMU {new} (qapi/qapi-schema.json)",
        "# run-time symbols: TARGET_*,CONFIG_KVM",
        "# Format: see qapic's README, 'Conditions files'"]


def test_carried_file_outside_a_tree(qapic: Run, qemu_10_0: Path, tmp_path: Path) -> None:
    (tmp_path / "new.json").write_text("{ 'command': 'query-sev' }\n")
    proc = qapic("carry-conditions", qemu_10_0 / SYSTEM_SCHEMA, "new.json",
                 "--qemu-src", qemu_10_0)
    assert proc.stdout.splitlines()[2] == "#   to   new.json"
