"""``qapic diff`` with QAPI schema inputs, built for --target/--define (qapic's own frontend
and introspection), against the same diff between upstream's values (tests/oracle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.diff.helpers import BUILD, SYSTEM, Introspect, write_value
from tests.diff.util import names, run_cli, run_json
from tests.oracle.targets import target_symbols
from tests.oracle.upstream import UpstreamOracle

DEFINES = [arg for sym in sorted(BUILD) for arg in ("-D", sym)]


def _changes(out: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    return [(c["entity"], c["name"], c["where"], c["message"], c["breaking"])
            for c in out["changes"]]


def test_schema_for_two_targets(qemu_10_0: Path, intro_10_0: Introspect,
                                value_dir: Path) -> None:
    schema = qemu_10_0 / SYSTEM
    status, out = run_json(schema, schema, "--a-target", "x86_64", "--b-target", "aarch64",
                           *DEFINES)
    expected = run_json(write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64")),
                        write_value(value_dir, "10.0-aarch64.json", intro_10_0("aarch64")))
    assert status == expected[0] == 1
    assert _changes(out) == _changes(expected[1])
    assert "query-gic-capabilities" in {c["name"] for c in out["changes"]}


def test_schema_against_its_value(qemu_10_0: Path, intro_10_0: Introspect, value_dir: Path,
                                  oracle_10_0: UpstreamOracle) -> None:
    value = write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64"))
    status, out = run_json(qemu_10_0 / SYSTEM, value, "--target", "x86_64", *DEFINES)
    assert (status, out["changes"]) == (0, [])
    # Defines for one side only: B without CONFIG_VNC loses the VNC commands, as the oracle
    # says.
    no_vnc = BUILD - {"CONFIG_VNC"}
    status, out = run_json(qemu_10_0 / SYSTEM, qemu_10_0 / SYSTEM, "--target", "x86_64",
                           *[a for s in sorted(no_vnc) for a in ("--b-define", s)],
                           "--a-define", "CONFIG_VNC",
                           *[a for s in sorted(no_vnc) for a in ("--a-define", s)])
    without = oracle_10_0.introspect(qemu_10_0 / SYSTEM,
                                     no_vnc | target_symbols(qemu_10_0, "x86_64"))
    assert isinstance(without, list)
    gone = names(intro_10_0("x86_64"), "command") - {
        e["name"] for e in without if isinstance(e, dict) and e["meta-type"] == "command"}
    assert "query-vnc" in gone
    assert {c["name"] for c in out["changes"] if c["change"] == "command-removed"} == gone
    assert status == 1


def test_schema_10_0_vs_10_2(qemu_10_0: Path, qemu_10_2: Path, intro_10_0: Introspect,
                             intro_10_2: Introspect, value_dir: Path) -> None:
    status, out = run_json(qemu_10_0 / SYSTEM, qemu_10_2 / SYSTEM, "--target", "x86_64",
                           *DEFINES)
    expected = run_json(write_value(value_dir, "10.0-x86_64.json", intro_10_0("x86_64")),
                        write_value(value_dir, "10.2-x86_64.json", intro_10_2("x86_64")))
    assert status == expected[0]
    assert _changes(out) == _changes(expected[1])
    assert ("command", "query-gic-capabilities", "", "added", False) in _changes(out)


def test_bad_schema(tmp_path: Path, qemu_10_0: Path) -> None:
    bad = tmp_path / "bad-schema.json"
    bad.write_text("# broken\n{ 'command': 'x', 'data': { 'a': 'NoSuchType' } }\n")
    value = tmp_path / "v.json"
    value.write_text("[]")
    proc = run_cli(bad, value)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr
