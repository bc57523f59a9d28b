"""Linking a harness: QEMU's ``libqemuutil.a`` without QEMU's own generated QAPI code (ours is
linked instead) and the objects QEMU links its QAPI unit test with."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from qapic.proof.harness.base import run_tool
from qapic.proof.harness.builddir import QemuBuildDir, build_missing, support_objects

#: libqemuutil.a members the harness replaces: QEMU's own generated QAPI code (ours is linked
#: instead) and the monitor stubs (the harness has a monitor: it prints events).
REPLACED_MEMBERS = re.compile(r"(meson-generated_\.\._qapi_qapi-.*|stubs_monitor-core\.c)\.o$")


def archive(build: QemuBuildDir, work: Path) -> Path:
    """Our copy of libqemuutil.a without the members we replace (redone when it changed)."""
    src = build.path / "libqemuutil.a"
    dst = work / "libqemuutil-harness.a"
    stamp = work / "libqemuutil-harness.stamp"
    st = src.stat()
    ident = f"{src} {st.st_size} {st.st_mtime_ns}"
    if dst.exists() and stamp.exists() and stamp.read_text() == ident:
        return dst
    members = run_tool(["ar", "t", str(src)], f"listing {src}").split()
    keep = [m for m in members if not REPLACED_MEMBERS.search(m)]
    tmp = work / "libqemuutil-harness.a.tmp"
    tmp.unlink(missing_ok=True)
    with src.open("rb") as f:
        thin = f.read(8) == b"!<thin>\n"
    if thin:
        # Meson's thin archive: its members are the build directory's object files.
        paths = [str((src.parent / m).resolve()) for m in keep]
        run_tool(["ar", "rcs", str(tmp), *paths], f"making {tmp}")
    else:
        shutil.copyfile(src, tmp)
        drop = [m for m in members if REPLACED_MEMBERS.search(m)]
        for i in range(0, len(drop), 100):
            run_tool(["ar", "d", str(tmp), *drop[i:i + 100]], f"editing {tmp}")
    os.replace(tmp, dst)
    stamp.write_text(ident)
    return dst


def link_args() -> list[str]:
    glib = run_tool(["pkg-config", "--libs", "glib-2.0"], "asking pkg-config for glib").split()
    return ["-lrt", "-lm", "-pthread", *glib]


class Linker:
    """Links harnesses against one QEMU build directory, with *flags* (the sanitizers') on
    every link."""

    def __init__(self, build: QemuBuildDir, work: Path, flags: Sequence[str],
                 log: Callable[[str], None] = lambda _s: None) -> None:
        self.command = [*build.cflags[:1], *flags, "-Wl,--as-needed", "-Wl,--no-undefined",
                        "-pie", "-Wl,-z,relro", "-Wl,-z,now"]
        objects = support_objects(build)
        build_missing(build, objects, log)
        self.libs = [*objects, "-Wl,--start-group", str(archive(build, work)),
                     *link_args(), "-Wl,--end-group"]

    def link(self, exe: Path, objects: Sequence[Path]) -> Path:
        exe.parent.mkdir(parents=True, exist_ok=True)
        run_tool([*self.command, "-o", str(exe), *map(str, objects), *self.libs],
                 f"linking {exe}")
        return exe
