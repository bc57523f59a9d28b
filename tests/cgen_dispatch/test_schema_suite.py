"""Every schema of QEMU 10.0's schema test suite that upstream's generator accepts: qapic writes
the same command, event, introspection and feature files, declaring and defining the same, and
its introspection has the same value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cgen_dispatch.csource import declarations, external_definitions
from tests.cgen_dispatch.test_outputs import our_files
from tests.oracle.upstream import evaluate, parse_qlit, symbols
from tests.support import REPO, qemu_source


def _valid_schemas() -> list[str]:
    suite = qemu_source("10.0") / "tests" / "qapi-schema"
    return sorted(p.name for p in suite.glob("*.json")
                  if not (p.with_suffix(".err").exists()
                          and p.with_suffix(".err").read_text().strip()))


@pytest.mark.parametrize_from("name", _valid_schemas)
def test_suite_schema(name: str, qemu_10_0: Path, tmp_path: Path) -> None:
    schema = qemu_10_0 / "tests" / "qapi-schema" / name
    up, ours = tmp_path / "upstream", tmp_path / "qapic"
    proc = subprocess.run([sys.executable, str(qemu_10_0 / "scripts" / "qapi-gen.py"),
                           "-o", str(up), str(schema)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"upstream's generator rejects it: {proc.stderr.strip()[-200:]}")
    proc = subprocess.run([sys.executable, "-m", "qapic", "generate", "-o", str(ours),
                           str(schema)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert our_files(ours) == our_files(up)
    for file in sorted(our_files(up)):
        if file.endswith(".h"):
            assert declarations((ours / file).read_text()) == \
                declarations((up / file).read_text()), file
        elif file.endswith(".c") and "introspect" not in file:
            assert external_definitions((ours / file).read_text()) == \
                external_definitions((up / file).read_text()), file
    expected = parse_qlit((up / "qapi-introspect.c").read_text())
    got = parse_qlit((ours / "qapi-introspect.c").read_text())
    for defined in (set(), symbols(expected)):
        assert evaluate(got, defined) == evaluate(expected, defined)
