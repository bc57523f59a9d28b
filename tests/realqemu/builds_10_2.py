"""QEMU 10.2.2 builds for the single-binary proofs (tests/qemu's builds of ``--qemu 10.2``).

- ``upstream-10.2``: upstream's own generator, per-target behaviour of upstream 10.2 (every
  binary lists every target's commands);
- ``single-10.2``: ``qapic qemu-setup --single-binary``: QAPI compiled once, with the conditions
  qapic carries forward from 10.0 decided at run time per binary.

Both are configured alike with the targets of :data:`TARGETS_10_2`.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from tests.qemu import TARGETS_10_2, build

__all__ = ["TARGETS_10_2", "build_10_2", "compile_argv", "compiled_symbols"]


def build_10_2(kind: str) -> Path:
    """The build directory of ``upstream-10.2`` (*kind* "upstream") or ``single-10.2``."""
    if kind not in ("upstream", "single"):
        raise ValueError(kind)
    return build(kind, qemu="10.2").build_dir


_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)", re.M)


def compile_argv(entry: dict[str, str]) -> list[str]:
    """A ``compile_commands.json`` entry's compiler command without its input, output and
    dependency-file arguments (run it from ``entry["directory"]``)."""
    out: list[str] = []
    skip = False
    for w in shlex.split(entry["command"]):
        if skip:
            skip = False
        elif w in ("-o", "-MF", "-MQ", "-MT"):
            skip = True
        elif w not in ("-c", "-MD", "-MMD", entry["file"]):
            out.append(w)
    return out


def compiled_symbols(build_dir: Path, source: str, target: str) -> frozenset[str]:
    """The macros defined when *source* (a path relative to the build directory, as in
    ``compile_commands.json``) is compiled, as the compiler itself reports them (``-dM -E``),
    plus what ``TARGET``'s ``<target>-softmmu-config-target.h`` defines: the symbols a per-target
    build of that file would see."""
    entries = json.loads((build_dir / "compile_commands.json").read_text())
    entry = next(e for e in entries if e["file"].endswith(source))
    proc = subprocess.run([*compile_argv(entry), "-dM", "-E", entry["file"]],
                          cwd=entry["directory"], capture_output=True, text=True, check=True)
    names = set(_DEFINE.findall(proc.stdout))
    header = build_dir / f"{target}-softmmu-config-target.h"
    names |= set(_DEFINE.findall(header.read_text()))
    return frozenset(names)
