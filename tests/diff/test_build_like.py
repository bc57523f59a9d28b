"""A capture (or libvirt's ``.replies``) against a schema given without ``--define``: the
schema is built as the capture shows its build was (the target its query-target names, the
build-time symbols that bring the schema closest to it), and the header says so; otherwise
every symbol of the capture's build (``CONFIG_LINUX``, ``CONFIG_POSIX``, ...) reads as a
breaking change.  ``--define`` given: exactly that build, as before."""

from __future__ import annotations

import json
from pathlib import Path

from tests.diff.helpers import BUILD, SYSTEM, Introspect, libvirt_replies, write_value
from tests.diff.util import run_cli

#: BUILD's symbols that QEMU 10.2's schema mentions (CONFIG_KVM it does not).
SHOWN = "CONFIG_LINUX CONFIG_POSIX CONFIG_SPICE CONFIG_TCG CONFIG_VNC"


def _replies(tmp_path: Path, value: object, version: tuple[int, int, int]) -> Path:
    path = tmp_path / "caps_{}.{}.{}_s390x.replies".format(*version)
    path.write_text(libvirt_replies(value, arch="s390x", version=version))
    return path


def test_same_release(qemu_10_2: Path, intro_10_2: Introspect, tmp_path: Path) -> None:
    schema = qemu_10_2 / SYSTEM
    caps = _replies(tmp_path, intro_10_2("s390x"), (10, 2, 0))
    version = (qemu_10_2 / "VERSION").read_text().strip()
    proc = run_cli("diff", caps, schema, module="qapic")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"A: {caps} (QEMU 10.2.0, s390x)",
        f"B: {schema} (QEMU {version}, s390x as A's query-target says; defined as A shows: "
        f"{SHOWN} (-D chooses))",
        "",
        "No change: B has the same commands, events and types as A."]
    # Either way round; in JSON too.
    proc = run_cli("diff", "--json", schema, caps, module="qapic")
    out = json.loads(proc.stdout)
    assert (proc.returncode, out["counts"]["total"]) == (0, 0)
    assert out["builds"]["a"] == {"release": version, "target": "s390x",
                                  "defined": SHOWN.split(), "defined-as": "B"}


def test_without_it(qemu_10_2: Path, intro_10_2: Introspect, tmp_path: Path) -> None:
    """What it spares: with the build given (-D, --target), exactly that build."""
    schema = qemu_10_2 / SYSTEM
    caps = _replies(tmp_path, intro_10_2("s390x"), (10, 2, 0))
    proc = run_cli("diff", caps, schema, "-t", "s390x", "-D", "CONFIG_TCG", module="qapic")
    assert proc.returncode == 1
    assert "defined as" not in proc.stdout
    assert "breaking: B is not compatible with A." in proc.stdout


def test_across_releases(qemu_10_2: Path, intro_10_0: Introspect, intro_10_2: Introspect,
                         tmp_path: Path) -> None:
    """10.0's replies against 10.2's schema: the changes are those between the two releases'
    values built alike (upstream's generator, the same build), no symbol noise."""
    caps = _replies(tmp_path, intro_10_0("s390x"), (10, 0, 0))
    proc = run_cli("diff", "--json", caps, qemu_10_2 / SYSTEM, module="qapic")
    value_10_2 = write_value(tmp_path, "10.2-s390x.json", intro_10_2("s390x"))
    expected = run_cli("diff", "--json", caps, value_10_2, module="qapic")
    out, want = json.loads(proc.stdout), json.loads(expected.stdout)
    assert proc.returncode == expected.returncode
    key = [(c["name"], c["where"], c["message"]) for c in out["changes"]]
    assert key == [(c["name"], c["where"], c["message"]) for c in want["changes"]]
    assert out["builds"]["b"]["defined"] == sorted(BUILD - {"CONFIG_KVM"})


def test_help_and_readme_say_so() -> None:
    from tests.support import REPO

    help_text = " ".join(run_cli("diff", "--help", module="qapic").stdout.split())
    assert ("A QAPI schema given without --define against a query-qmp-schema value is built "
            "as that value's build was") in help_text
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "A capture or `.replies` file against a schema given without `-D` builds" in readme
