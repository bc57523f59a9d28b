"""scripts/qemu-build regenerates the QAPI files exactly when the generator changed; a build
name belongs to one QEMU version.

Uses a build of its own (``--name regen-check``) where only the two QAPI code-generation steps
are built (QEMU's schema and the test schema), with a wrapper generator that logs each call and
runs upstream's script. Cold: a tree copy and a configure (about half a minute); then seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.qemu import QEMU_BUILD

NAME = "regen-check"
#: One generated file of each qapi-gen.py call QEMU's build makes for these targets.
OUTPUTS = ("qapi/qapi-builtin-types.h", "tests/test-qapi-types.h")

WRAPPER = """#!/usr/bin/env python3
# A generator that logs its calls and runs upstream's. Variant: {variant}
import os
import sys

with open({log!r}, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
upstream = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qapi-gen-upstream.py")
os.execv(sys.executable, [sys.executable, upstream, *sys.argv[1:]])
"""


def _build(*args: str) -> Path:
    proc = subprocess.run([str(QEMU_BUILD), "--name", NAME, *args, *OUTPUTS],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return Path(proc.stdout.strip().splitlines()[-1])


def _calls(log: Path) -> list[str]:
    """The generator calls logged since the last look (and forget them)."""
    calls = log.read_text().splitlines() if log.exists() else []
    log.write_text("")
    return sorted(calls)

#: Upstream's generator behind a wrapper that only runs it.
PLAIN = """#!/usr/bin/env python3
import os
import sys

upstream = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qapi-gen-upstream.py")
os.execv(sys.executable, [sys.executable, upstream, *sys.argv[1:]])
"""



def test_generator_change_regenerates(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    v1, v2 = tmp_path / "gen-v1.py", tmp_path / "gen-v2.py"
    v1.write_text(WRAPPER.format(variant=1, log=str(log)))
    v2.write_text(WRAPPER.format(variant=2, log=str(log)))
    v1.chmod(0o755)
    v2.chmod(0o755)

    build = _build("--generator", str(v1))
    src = build.parent / "src"
    assert (src / "scripts" / "qapi-gen-upstream.py").exists()
    assert (src / "scripts" / "qapi-gen.py").read_text() == v1.read_text()
    first = _calls(log)
    # This session's wrapper differs from any earlier one (the log path): both steps ran.
    assert len(first) == 2
    assert any(" -p test- " in c for c in first)
    assert all((build / o).exists() for o in OUTPUTS)

    # Same generator: nothing to do.
    _build("--generator", str(v1))
    assert _calls(log) == []

    # Another generator: both steps run again, with the arguments QEMU's meson gives.
    _build("--generator", str(v2))
    calls = _calls(log)
    assert len(calls) == 2
    assert calls == first

    # A prepare step that rewrites the generator with the same content does not regenerate...
    same = "cp scripts/qapi-gen.py /tmp/qapi-gen.$$ && cp /tmp/qapi-gen.$$ scripts/qapi-gen.py"
    _build("--generator", str(v2), "--prepare", same + " && rm /tmp/qapi-gen.$$")
    assert _calls(log) == []
    # ... one that installs another generator does.
    _build("--prepare", f"cp {v1} scripts/qapi-gen.py")
    assert len(_calls(log)) == 2

    # --generator-source: a change in what the generator reads at run time regenerates.
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "module.py").write_text("X = 1\n")
    _build("--generator", str(v1), "--generator-source", str(lib))
    _calls(log)  # the first time records the sources' state (and may regenerate)
    _build("--generator", str(v1), "--generator-source", str(lib))
    assert _calls(log) == []
    (lib / "module.py").write_text("X = 2\n")
    _build("--generator", str(v1), "--generator-source", str(lib))
    assert len(_calls(log)) == 2


def _cache() -> Path:
    if env := os.environ.get("QAPIC_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qapic"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(QEMU_BUILD), *args], capture_output=True, text=True)


def test_a_name_keeps_its_qemu_version() -> None:
    # A NAME built from one QEMU is never overwritten by a build of another: a clear error.
    top = _cache() / "qemu-build" / "key-check"
    shutil.rmtree(top, ignore_errors=True)
    top.mkdir(parents=True)
    # As a build made before --qemu existed records it: a pristine path, no "qemu" file (10.0).
    (top / "pristine").write_text("qemu-10.0.x\n")
    proc = _run("--qemu", "10.2", "--name", "key-check", "qapi/qapi-builtin-types.h")
    assert proc.returncode == 2, proc.stderr
    assert "'key-check' is a build of QEMU 10.0, not 10.2" in proc.stderr
    assert sorted(p.name for p in top.iterdir()) == [".lock", "pristine"]

    (top / "qemu").write_text("10.2\n")
    proc = _run("--name", "key-check", "qapi/qapi-builtin-types.h")
    assert proc.returncode == 2, proc.stderr
    assert "'key-check' is a build of QEMU 10.2, not 10.0" in proc.stderr
    shutil.rmtree(top)


def test_bad_qemu_key_and_reserved_names() -> None:
    proc = _run("--qemu", "7.2")
    assert proc.returncode == 2
    assert "--qemu '7.2' is not supported" in proc.stderr
    # upstream-10.2 is the name of upstream's 10.2 build, as upstream is 10.0's.
    proc = _run("--qemu", "10.2", "--prepare", "true")
    assert proc.returncode == 2
    assert "the name 'upstream-10.2' is reserved" in proc.stderr
    proc = _run("--prepare", "true")
    assert proc.returncode == 2
    assert "the name 'upstream' is reserved" in proc.stderr


def test_a_test_build_target_needs_a_device_set() -> None:
    # Test builds select their boards per target (scripts/test-devices): a target without a
    # device set is refused before anything is copied or configured.
    top = _cache() / "qemu-build" / "devices-check"
    shutil.rmtree(top, ignore_errors=True)
    proc = _run("--name", "devices-check", "--targets", "x86_64-softmmu,or1k-softmmu")
    assert proc.returncode == 2, proc.stderr
    assert "no test device set for or1k-softmmu (scripts/test-devices/10.0/or1k.mak)" in proc.stderr
    assert not top.exists()


def _ccache_hits(ccache_dir: Path) -> int:
    out = subprocess.run(["ccache", "--print-stats"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, CCACHE_DIR=str(ccache_dir))).stdout
    stats = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    return int(stats["direct_cache_hit"]) + int(stats["preprocessed_cache_hit"])


def test_compiles_through_ccache(tmp_path: Path) -> None:
    # QEMU's build calls its compiler by a bare name; the script puts ccache's links first in
    # PATH. An object compiled again from the same inputs must come from ccache's cache.
    generator = tmp_path / "gen.py"     # upstream's, without the logging of the test above
    generator.write_text(PLAIN)
    generator.chmod(0o755)
    obj = "libqemuutil.a.p/util_cutils.c.o"
    build = _build("--generator", str(generator), obj)
    (build / obj).unlink()
    ccache_dir = _cache() / "ccache"
    before = _ccache_hits(ccache_dir)
    _build("--generator", str(generator), obj)
    assert (build / obj).is_file()
    assert _ccache_hits(ccache_dir) > before
