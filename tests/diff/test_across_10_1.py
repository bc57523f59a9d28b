"""``qapic diff`` across QEMU 10.1, which removed the target conditions from its schema: what
only another target had shows up as added (or, the other way round, removed).  Where the other
side is a schema with conditions, each such command and event says where that side has it
(``+ query-sev (in A: only on i386 and x86_64)``), apart from the genuinely new ones; and the
header names each side's release and target when the input says them (a schema's tree and
--target, a ``.replies`` file's query-version and query-target)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.diff.helpers import BUILD, SYSTEM, Introspect, libvirt_replies
from tests.diff.util import run_cli

DEFINES = [arg for sym in sorted(BUILD) for arg in ("-D", sym)]


def _version(tree: Path) -> str:
    return (tree / "VERSION").read_text().strip()


def test_schemas_10_0_and_10_2_on_s390x(qemu_10_0: Path, qemu_10_2: Path) -> None:
    old, new = qemu_10_0 / SYSTEM, qemu_10_2 / SYSTEM
    proc = run_cli("diff", old, new, "-t", "s390x", module="qapic")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[:3] == [f"A: {old} (QEMU {_version(qemu_10_0)}, s390x)",
                         f"B: {new} (QEMU {_version(qemu_10_2)}, s390x)", ""]
    added = lines[lines.index(next(ln for ln in lines if ln.startswith("Commands added"))):]
    # Another target's commands, and where A has them.
    for line in ("  + query-sev (in A: only on i386 and x86_64)",
                 "  + rtc-reset-reinjection (in A: only on i386 and x86_64)",
                 "  + query-gic-capabilities (in A: only on aarch64 and arm)",
                 "  + set-cpu-topology (in A: only on s390x, in a build with CONFIG_KVM)"):
        assert line in added
    # Commands new in 10.1 or 10.2: no mark, nothing of A's to say.
    assert "  + query-accelerators" in added
    assert "  + x-accel-stats" in added
    # The same in JSON.
    proc = run_cli("diff", "--json", old, new, "-t", "s390x", module="qapic")
    out = json.loads(proc.stdout)
    assert out["builds"] == {
        "a": {"release": _version(qemu_10_0), "target": "s390x", "defined": [],
              "defined-as": None},
        "b": {"release": _version(qemu_10_2), "target": "s390x", "defined": [],
              "defined-as": None}}
    by_name = {c["name"]: c for c in out["changes"] if c["change"] == "command-added"}
    assert by_name["query-sev"]["elsewhere"] == "in A: only on i386 and x86_64"
    assert "elsewhere" not in by_name["query-accelerators"]


def test_libvirt_10_2_replies_against_the_10_0_schema(qemu_10_0: Path, intro_10_2: Introspect,
                                                      tmp_path: Path) -> None:
    """libvirt's view: a 10.2 binary's replies (every target's commands) against the schema
    of 10.0, which has its conditions: what 10.0 had only elsewhere says so."""
    replies = tmp_path / "caps_10.2.0_s390x.replies"
    replies.write_text(libvirt_replies(intro_10_2("s390x"), arch="s390x", version=(10, 2, 0)))
    schema = qemu_10_0 / SYSTEM
    proc = run_cli("diff", replies, schema, "-t", "s390x", *DEFINES, module="qapic")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[:3] == [f"A: {replies} (QEMU 10.2.0, s390x)",
                         f"B: {schema} (QEMU {_version(qemu_10_0)}, s390x)", ""]
    assert "  ! query-sev (in B: only on i386 and x86_64)" in lines
    assert "  ! dump-skeys" not in {ln.split(" (")[0] for ln in lines}    # s390x has it
    # 10.0 never had query-accelerators: removed, and nothing to say about it.
    assert "  ! query-accelerators" in lines


def test_values_say_nothing_without_their_build(intro_10_0: Introspect, tmp_path: Path) -> None:
    """Bare query-qmp-schema values carry no release or target: no header."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(intro_10_0("x86_64")))
    b.write_text(json.dumps(intro_10_0("aarch64")))
    proc = run_cli("diff", a, b, module="qapic")
    assert proc.returncode == 1 and proc.stdout.startswith("Commands removed")
    assert "(in " not in proc.stdout


def test_help_and_readme_say_so() -> None:
    from tests.support import REPO

    help_text = " ".join(run_cli("diff", "--help", module="qapic").stdout.split())
    assert "'+ query-sev (in A: only on i386 and x86_64)'" in help_text
    assert "release and target" in help_text
    readme = (REPO / "README.md").read_text()
    assert "  + query-sev (in A: only on i386 and x86_64)\n" in readme

