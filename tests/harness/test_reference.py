"""Which generator wrote the per-target reference, and who chose it.

``qapic harness`` and ``qapic fuzz`` compare the single-binary harness with per-target
harnesses compiled from the QEMU source's own generator.  That generator takes no conditions
file, so ``--conditions`` without ``--reference-schema`` (the schema with the conditions written
in) is refused, unless qapic's own per-target output is asked for by name (``--reference
qapic``); either way ``harness-build.json``, ``report.json`` and the fuzzer's summary say which
generator wrote each side, and the generated files say the same (their first line names the
generator that wrote them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.proof.harness.base import cache_dir
from qapic.proof.harness.build import check_reference
from tests.harness.helpers import assert_clean, run_fuzz
from tests.qemu import QAPIC_MARK, UPSTREAM_MARK, QemuBuild

#: The harnesses of the run with qapic as the reference (objects cached by content and command).
OUT = cache_dir() / "harness" / "qapic-reference"
#: A conditions file that restates a condition QEMU 10.0's schema has: it changes nothing, so
#: the harnesses are those of the schema alone.
RESTATED = "{ 'command': 'query-sev', 'if': 'TARGET_I386' }\n"
REFUSAL = ("--conditions without --reference-schema: the per-target reference is upstream's "
           "generator, which takes no conditions file; give --reference-schema, the schema with "
           "the conditions written into its JSON, or --reference qapic to compare with qapic's "
           "own per-target output (not an independent reference)")


def _qapic(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _first_lines(gen: Path) -> dict[str, str]:
    return {p.name: p.open().readline() for p in sorted(gen.glob("qapi-*.[ch]"))}


@pytest.mark.parametrize("command", ["harness", "fuzz"])
@pytest.mark.parametrize("reference", [[], ["--reference", "upstream"]],
                         ids=["default", "upstream"])
def test_conditions_without_reference_schema_are_refused(
        command: str, reference: list[str], qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    """A usage error (status 2) that says what to give, before anything is built or written."""
    conditions = tmp_path / "c.json"
    conditions.write_text(RESTATED)
    out, harness_dir = tmp_path / "out", tmp_path / "harnesses"
    extra = ["--harness-dir", str(harness_dir)] if command == "fuzz" else []
    proc = _qapic(command, "--qemu-build", qemu_upstream.build_dir, "-o", out,
                  "--conditions", conditions, *reference, *extra)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.endswith(f"qapic {command}: error: {REFUSAL}\n"), proc.stderr
    assert proc.stderr.startswith("usage: ")
    assert not out.exists() and not harness_dir.exists()


@pytest.mark.parametrize("command", ["harness", "fuzz"])
def test_a_reference_schema_is_not_for_qapic(command: str, qemu_upstream: QemuBuild,
                                             tmp_path: Path) -> None:
    schema = qemu_upstream.source_dir / "qapi" / "qapi-schema.json"
    proc = _qapic(command, "--qemu-build", qemu_upstream.build_dir, "-o", tmp_path / "out",
                  "--reference", "qapic", "--reference-schema", schema)
    assert proc.returncode == 2
    assert proc.stderr.endswith(f"qapic {command}: error: a reference schema is for "
                                "upstream's generator, not with --reference qapic\n")


def test_no_per_target_side_needs_no_reference(tmp_path: Path) -> None:
    """Without per-target harnesses (``qapic harness --no-per-target``, the fuzzer's
    sanitized and coverage builds) there is no reference to refuse."""
    conditions = tmp_path / "c.json"
    assert check_reference(None, conditions, None, per_target=False) is None
    assert check_reference(None, None, None) == "upstream"
    assert check_reference("qapic", conditions, None) == "qapic"
    assert check_reference(None, conditions, tmp_path / "s.json") == "upstream"


def test_qapic_reference_when_asked(qemu_upstream: QemuBuild, tmp_path: Path) -> None:
    """``qapic fuzz --conditions C --reference qapic`` runs, and says so: report.json and
    harness-build.json name qapic as the per-target side's generator, with C, the summary
    prints it, and every generated file of that side has qapic's first line."""
    conditions = tmp_path / "c.json"
    conditions.write_text(RESTATED)
    out = tmp_path / "out"
    proc, report = run_fuzz("--qemu-build", qemu_upstream.build_dir, "-o", out,
                            "--conditions", conditions, "--reference", "qapic",
                            "--harness-dir", OUT, "--targets", "x86_64", "--requests", 200,
                            "--seed", 1, "--compat", "default")
    assert_clean(proc, report, 200)
    schema = str((qemu_upstream.source_dir / "qapi" / "qapi-schema.json").resolve())
    qapic_side = {"generator": "qapic", "schema": schema, "conditions": str(conditions),
                  "program": None}
    assert report["generators"] == {
        "single": {**qapic_side, "kind": "single-binary"},
        "per_target": {**qapic_side, "kind": "per-target"}}
    built = json.loads((OUT / "harness-build.json").read_text())
    assert built["generators"] == report["generators"]
    assert built["per_target_generator"] == "qapic"
    lines = proc.stdout.splitlines()
    assert lines[:2] == [
        f"single harness: qapic's single-binary output on {schema} with {conditions}",
        "per-target harnesses (the reference): qapic's per-target output on "
        f"{schema} with {conditions}"]
    reference = _first_lines(OUT / "work" / "gen-target" / "qapi")
    assert len(reference) > 300
    assert [n for n, line in reference.items() if QAPIC_MARK not in line] == []
    assert [n for n, line in reference.items() if UPSTREAM_MARK in line] == []
