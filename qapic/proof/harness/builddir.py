"""Reading a configured and built QEMU build directory: the flags QEMU compiles its QAPI code
with, its source tree, its configuration and the objects its QAPI unit test links with."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qapic.conditions import TargetTable
from qapic.proof.harness.base import HarnessError
from qapic.qemu_tree import read_targets_with_kvm


@dataclass
class QemuBuildDir:
    path: Path
    source: Path
    cflags: list[str]           # a target-independent QAPI file's flags, paths absolute
    defines: frozenset[str]     # macros config-host.h defines

    @classmethod
    def read(cls, path: Path) -> QemuBuildDir:
        path = path.resolve()
        for f in ("compile_commands.json", "config-host.h", "libqemuutil.a"):
            if not (path / f).exists():
                raise HarnessError(f"{path} is not a built QEMU build directory (no {f})")
        entries = json.loads((path / "compile_commands.json").read_text())
        entry = next((e for e in entries if e["file"].endswith("qapi/qapi-types-error.c")
                      and "libqemuutil" in e.get("output", e["command"])), None)
        if entry is None:
            raise HarnessError(f"{path}/compile_commands.json: no libqemuutil qapi-types-error.c")
        cflags = _portable_flags(shlex.split(entry["command"]), Path(entry["directory"]))
        source = None
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            # meson records the source tree; QEMU 10.2's build directory has a configs/
            # of its own, so the include flags alone can mislead.
            info = json.loads((path / "meson-info" / "meson-info.json").read_text())
            source = Path(info["directories"]["source"])
        for i, word in enumerate(cflags):
            if source is not None:
                break
            if word == "-iquote" and (Path(cflags[i + 1]) / "configs" / "targets").is_dir() \
                    and Path(cflags[i + 1]).resolve() != path:
                source = Path(cflags[i + 1])
        if source is None:
            raise HarnessError(f"{path}: cannot find the QEMU source tree in the compile flags")
        text = (path / "config-host.h").read_text()
        defines = frozenset(re.findall(r"^#define\s+(\w+)", text, re.M))
        return cls(path, source, cflags, defines)

    def target_table(self) -> TargetTable:
        """Every target of the source tree, CONFIG_KVM by QEMU's rule for this host: the table
        ``qapic generate --single-binary --targets-from SOURCE`` compiles in."""
        return read_targets_with_kvm(self.source)


def _portable_flags(words: list[str], directory: Path) -> list[str]:
    """The compiler and its flags: no output, dependency or input options, paths absolute, no
    object directory of libqemuutil's own."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in ("-MQ", "-MF", "-o"):
            i += 1
            continue
        if w in ("-MD", "-c") or w.endswith(".c"):
            continue
        opt = next((o for o in ("-isystem", "-iquote", "-I") if w.startswith(o)), None)
        if opt is None:
            out.append(w)
            continue
        if w == opt:
            value = words[i]
            i += 1
        else:
            value = w[len(opt):]
        if value.endswith("libqemuutil.a.p"):
            continue
        out += [opt, str((directory / value).resolve())]
    return out


def support_objects(build: QemuBuildDir) -> list[str]:
    """The objects besides libqemuutil.a that QEMU links its QAPI unit test test-qmp-cmds
    with (QOM and the event-loop base, which libqemuutil's thread-context needs)."""
    text = (build.path / "build.ninja").read_text()
    m = re.search(r"^build tests/unit/test-qmp-cmds: c_LINKER ([^|\n]*)", text, re.M)
    if m is None:
        raise HarnessError(f"{build.path}/build.ninja: no link rule for tests/unit/test-qmp-cmds")
    objs = [o for o in m.group(1).split() if o.endswith(".o") and not o.startswith("tests/")]
    return [str(build.path / o) for o in objs]


def build_missing(build: QemuBuildDir, objects: list[str],
                  log: Callable[[str], None] = lambda _s: None) -> None:
    """Build those of *objects* (paths in the build directory) that a partial build has not
    built yet, with ninja, as QEMU's own build would; a failure names the command to run."""
    missing = [os.path.relpath(o, build.path) for o in objects if not os.path.exists(o)]
    if not missing:
        return
    ninja = shutil.which("ninja") or shutil.which("ninja-build")
    cmd = [ninja or "ninja", "-C", str(build.path), *missing]
    if ninja is None:
        raise HarnessError(f"{build.path}: {len(missing)} objects the harness links with are "
                           f"not built, and no ninja was found to build them: run "
                           f"{shlex.join(cmd)}")
    log(f"building {len(missing)} objects of the QEMU build that the harness links with: "
        f"{shlex.join(cmd)}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError(f"{shlex.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")


def build_defines(qemu_build: Path) -> frozenset[str]:
    """The macros the build directory's config-host.h defines (the build-time symbols)."""
    return QemuBuildDir.read(qemu_build).defines
