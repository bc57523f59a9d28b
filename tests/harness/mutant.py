"""Planted faults in a built single-binary harness: some of its generated files replaced by
edited copies, compiled with the harness build's own flags (plus *flags*, e.g. the sanitizer
flags of a sanitized build) and linked as the build links the harness."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from qapic.proof.harness.builddir import QemuBuildDir, support_objects
from qapic.proof.harness.linking import link_args


def relink_single(out: Path, qemu_build: Path, sources: Mapping[str, str], workdir: Path,
                  flags: Sequence[str] = ()) -> Path:
    """The single harness built into *out*, with each generated file named in *sources*
    (``qapi-visit-foo.c``) replaced by the text given; returns the new executable."""
    qb = QemuBuildDir.read(qemu_build)
    root = out / "work" / "gen-single"
    inc = ["-iquote", str(root), "-iquote", str(out / "work" / "c"), "-I", str(root / "qapi")]
    objdir = out / "work" / "obj-single"
    objs = {p.name: str(p) for p in sorted(objdir.glob("*.o"))}
    workdir.mkdir(parents=True, exist_ok=True)
    for fname, text in sources.items():
        assert fname + ".o" in objs, f"{fname}: not a file of the single harness"
        src = workdir / fname
        src.write_text(text)
        obj = workdir / (fname + ".o")
        _run([qb.cflags[0], *inc, *qb.cflags[1:], *flags, "-c", str(src), "-o", str(obj)])
        objs[fname + ".o"] = str(obj)
    exe = workdir / "qemu-system-mutant"
    _run([qb.cflags[0], *flags, "-pie", "-o", str(exe), *objs.values(), *support_objects(qb),
          "-Wl,--start-group", str(out / "work" / "libqemuutil-harness.a"), *link_args(),
          "-Wl,--end-group"])
    return exe


def generated(out: Path, fname: str) -> str:
    """The text of a generated file of the single harness built into *out*."""
    return (out / "work" / "gen-single" / "qapi" / fname).read_text()


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)[:1000]}\n{proc.stderr[-4000:]}"
