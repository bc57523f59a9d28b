"""``--conditions RELEASE``: a user names the conditions file qapic ships by its QEMU release
(``--conditions 10.2``), on every command that takes ``--conditions``, from a source checkout
and from a plain (non-editable) ``pip install``; a release qapic ships nothing for is a usage
error that says which releases it ships; ``--help`` says the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.cli import build_parser
from tests.cli.helpers import Run
from tests.support import REPO, SYSTEM_SCHEMA

SHIPPED = REPO / "qapic" / "carried" / "qemu-10.2.json"

#: What the shipped conditions give on 10.2.2 (10.2.2 without them: every target the same).
SEV = "command query-sev                     i386 x86_64"
SKEYS = "command dump-skeys                    s390x"


def test_targets_with_a_release(qapic: Run, qemu_10_2: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    proc = qapic("targets", system, "--conditions", "10.2")
    assert proc.returncode == 0, proc.stderr
    assert SEV in proc.stdout.splitlines() and SKEYS in proc.stdout.splitlines()
    # The series' micro release names the same file; so does its path.
    assert qapic("targets", system, "--conditions", "10.2.2").stdout == proc.stdout
    assert qapic("targets", system, "--conditions", SHIPPED).stdout == proc.stdout


def test_every_command_resolves_a_release(qapic: Run, qemu_10_2: Path,
                                          tmp_path: Path) -> None:
    system = qemu_10_2 / SYSTEM_SCHEMA
    assert qapic("check", system, "--conditions", "10.2").returncode == 0
    sev = [e for e in _json(qapic("introspect", system, "-t", "s390x", "--conditions", "10.2"))
           if e.get("name") == "query-sev"]
    assert sev == []
    removed = "  ! query-sev (in B: only on i386 and x86_64)"
    proc = qapic("diff", system, system, "--a-target", "x86_64", "--b-target", "s390x",
                 "--conditions", "10.2")
    assert proc.returncode == 1 and removed in proc.stdout.splitlines()
    proc = qapic("diff", system, system, "--a-target", "x86_64", "--b-target", "s390x",
                 "--b-conditions", "10.2")
    assert proc.returncode == 1 and removed in proc.stdout.splitlines()
    proc = qapic("docs", system, "-o", "ref", "--format", "rst", "--conditions", "10.2")
    assert proc.returncode == 0, proc.stderr
    assert "*Availability: only on i386 and x86_64*" in (
        tmp_path / "ref" / "qapi-reference.rst").read_text()
    proc = qapic("bindings", system, "-o", "pkg", "--conditions", "10.2")
    assert proc.returncode == 0, proc.stderr
    tables = "".join(p.read_text() for p in (tmp_path / "pkg").rglob("_r10_2.py"))
    assert "TARGET_S390X" in tables


@pytest.mark.parametrize(("argv", "option"), [
    (["harness", "--qemu-build", "b", "-o", "o"], "conditions"),
    (["fuzz", "--qemu-build", "b", "-o", "o"], "conditions"),
    (["generate", "s.json"], "conditions"),
    (["carry-conditions", "old.json", "new.json"], "old-conditions"),
])
def test_harness_fuzz_generate_parse_a_release(argv: list[str], option: str) -> None:
    dest = option.replace("-", "_")
    args = build_parser(argv[0]).parse_args([*argv, f"--{option}", "10.2"])
    assert Path(getattr(args, dest)) == SHIPPED
    args = build_parser(argv[0]).parse_args([*argv, f"--{option}", "my.json"])
    assert Path(getattr(args, dest)) == Path("my.json")


def test_bindings_resolves_each_value() -> None:
    args = build_parser("bindings").parse_args(
        ["bindings", "a.json", "b.json", "c.json", "-o", "o", "--conditions", "-",
         "--conditions", "10.2",
         "--conditions", "c.conditions"])
    assert args.condition_files == ["-", str(SHIPPED), "c.conditions"]


@pytest.mark.parametrize("argv", [
    ["check", "s.json"],
    ["targets", "s.json"],
    ["diff", "s.json", "s.json", "--a-"],
    ["bindings", "s.json", "-o", "out"],
    ["harness", "--qemu-build", "b", "-o", "o"],
])
def test_a_release_without_a_shipped_file(qapic: Run, schema: Path, argv: list[str]) -> None:
    option = "--conditions"
    if argv[-1] == "--a-":
        argv, option = argv[:-1], "--a-conditions"
    proc = qapic(*argv, option, "10.3")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"usage: qapic {argv[0]} ")
    assert proc.stderr.splitlines()[-1] == (
        f"qapic {argv[0]}: error: argument {option}: qapic ships no conditions file for QEMU "
        "10.3 (it ships one for 10.2; QEMU 10.0 and earlier have their target conditions in "
        "the schema); name a file instead (a file named like a release: ./10.3)")


def test_a_file_named_like_a_release(qapic: Run, schema: Path, tmp_path: Path) -> None:
    (tmp_path / "10.3").write_text("{ 'command': 'get-thing', 'if': 'CONFIG_VNC' }\n")
    proc = qapic("introspect", schema, "-D", "CONFIG_SPICE", "--conditions", "./10.3")
    assert proc.returncode == 0 and '"get-thing"' not in proc.stdout


@pytest.mark.parametrize("command", ["check", "introspect", "targets", "docs", "generate",
                                     "bindings", "diff", "harness", "fuzz",
                                     "carry-conditions"])
def test_help_names_the_shipped_releases(qapic: Run, command: str) -> None:
    text = " ".join(qapic(command, "--help").stdout.split())
    assert "FILE|RELEASE" in text
    assert "10.2" in text.split("FILE|RELEASE", 1)[1]
    assert "qapic/frontend/overlay.py" not in text


def test_readme_says_the_releases_and_the_format() -> None:
    readme = (REPO / "README.md").read_text()
    assert "qapic ships one for **QEMU 10.2**" in readme
    assert "#### Conditions files" in readme
    assert "--conditions qapic/carried/" not in readme
    shipped = sorted(p.stem for p in SHIPPED.parent.glob("qemu-*.json"))
    assert shipped == ["qemu-10.2"], "a new shipped file: say so in the README and this test"


def test_after_a_plain_pip_install(qemu_10_2: Path, tmp_path: Path) -> None:
    """A non-editable install (the files pip copies into site-packages, not this checkout)
    finds its shipped conditions by release, from any directory."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "qapic", src / "qapic",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(src)], check=True, timeout=600)
    shutil.rmtree(src)      # nothing of the source is left to find
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import qapic; print(qapic.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(venv)
    proc = subprocess.run([str(venv / "bin" / "qapic"), "targets", str(qemu_10_2 / SYSTEM_SCHEMA),
                           "--conditions", "10.2"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert SEV in proc.stdout.splitlines() and SKEYS in proc.stdout.splitlines()


def _json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    import json

    assert proc.returncode == 0, proc.stderr
    value = json.loads(proc.stdout)
    assert isinstance(value, list)
    return value
