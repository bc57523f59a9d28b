"""Running the product under test: ``python -m qapic introspect ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class QapicFailed(AssertionError):
    pass


def introspect_argv(schema: Path, defines: Iterable[str] = (), target: str | None = None,
                    qemu_src: Path | None = None, unmask: bool = False,
                    lenient_docs: bool = False) -> list[str]:
    argv = ["introspect", str(schema)]
    for sym in sorted(set(defines)):
        argv += ["--define", sym]
    if target is not None:
        argv += ["--target", target]
    if qemu_src is not None:
        argv += ["--qemu-src", str(qemu_src)]
    if unmask:
        argv.append("--unmask")
    if lenient_docs:
        argv.append("--lenient-docs")
    return argv


def run_introspect(schema: Path, defines: Iterable[str] = (), target: str | None = None,
                   qemu_src: Path | None = None, unmask: bool = False,
                   lenient_docs: bool = False, timeout: float = 300) -> Any:
    """The JSON value ``qapic introspect`` prints for these options."""
    argv = [sys.executable, "-m", "qapic",
            *introspect_argv(schema, defines, target, qemu_src, unmask, lenient_docs)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    shown = " ".join(argv[1:])
    if proc.returncode != 0:
        raise QapicFailed(f"`{shown}` exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise QapicFailed(f"`{shown}` printed no JSON ({e}); stdout starts "
                          f"{proc.stdout[:300]!r}; stderr {proc.stderr[-1000:]!r}") from e
