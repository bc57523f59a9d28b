"""QEMU 10.2.2 builds for the single-binary proofs (scripts/qemu-build --qemu 10.2, cached).

- ``upstream-10.2``: upstream's own generator, per-target behaviour of upstream 10.2 (every
  binary lists every target's commands);
- ``single-10.2``: ``qapic qemu-setup --single-binary``: QAPI compiled once, with the conditions
  qapic carries forward from 10.0 decided at run time per binary.

Both are configured alike with the targets of :data:`TARGETS_10_2`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import REPO
from tests.qemu import QEMU_BUILD

TARGETS_10_2 = ("aarch64", "s390x", "x86_64")

_lock = threading.Lock()
_done: dict[str, Path] = {}


def build_10_2(kind: str) -> Path:
    """The build directory of ``upstream-10.2`` (*kind* "upstream") or ``single-10.2``."""
    with _lock:
        if kind in _done:
            return _done[kind]
        cmd = [str(QEMU_BUILD), "--qemu", "10.2",
               "--targets", ",".join(f"{t}-softmmu" for t in TARGETS_10_2)]
        if kind == "single":
            setup = shlex.join([sys.executable, "-m", "qapic", "qemu-setup", "--single-binary",
                                "."])
            cmd += ["--name", "single-10.2", "--prepare", setup,
                    "--generator-source", str(REPO / "qapic")]
        elif kind != "upstream":
            raise ValueError(kind)
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                    f"{os.environ.get('PATH', '')}")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n"
                               f"{proc.stderr[-6000:]}")
        _done[kind] = Path(proc.stdout.strip().splitlines()[-1])
        return _done[kind]


_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)", re.M)


def compiled_symbols(build_dir: Path, source: str, target: str) -> frozenset[str]:
    """The macros defined when *source* (a path relative to the build directory, as in
    ``compile_commands.json``) is compiled, as the compiler itself reports them (``-dM -E``),
    plus what ``TARGET``'s ``<target>-softmmu-config-target.h`` defines: the symbols a per-target
    build of that file would see."""
    entries = json.loads((build_dir / "compile_commands.json").read_text())
    entry = next(e for e in entries if e["file"].endswith(source))
    words = shlex.split(entry["command"])
    out: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if w in ("-o", "-MF", "-MQ", "-MT"):
            skip = True
            continue
        if w in ("-c", "-MD", "-MMD") or w == entry["file"]:
            continue
        out.append(w)
    proc = subprocess.run([*out, "-dM", "-E", entry["file"]], cwd=entry["directory"],
                          capture_output=True, text=True, check=True)
    names = set(_DEFINE.findall(proc.stdout))
    header = build_dir / f"{target}-softmmu-config-target.h"
    names |= set(_DEFINE.findall(header.read_text()))
    return frozenset(names)
