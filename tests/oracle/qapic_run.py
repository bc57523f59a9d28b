"""Running the product under test: ``python -m qapic introspect ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

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
    shown = "python " + " ".join(argv[1:])
    if proc.returncode != 0:
        raise QapicFailed(f"`{shown}` exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise QapicFailed(f"`{shown}` printed no JSON ({e}); stdout starts "
                          f"{proc.stdout[:300]!r}; stderr {proc.stderr[-1000:]!r}") from e


class Prefetch:
    """Results of *run(key)* for the keys a test session selected, computed up front on a small
    thread pool (qapic runs in subprocesses, so the pool keeps the cores busy)."""

    def __init__(self, run: Callable[[str], Any], keys: Iterable[str],
                 workers: int | None = None) -> None:
        self.run = run
        n = workers or max(1, min(4, os.cpu_count() or 1))
        self.pool = ThreadPoolExecutor(max_workers=n)
        self.futures: dict[str, Future[Any]] = {}
        for key in keys:
            self._submit(key)

    def _submit(self, key: str) -> Future[Any]:
        if key not in self.futures:
            self.futures[key] = self.pool.submit(self.run, key)
        return self.futures[key]

    def result(self, key: str) -> Any:
        return self._submit(key).result()

    def close(self) -> None:
        for f in self.futures.values():
            f.cancel()
        self.pool.shutdown(wait=True)


def selected_params(request: pytest.FixtureRequest, name: str) -> list[str]:
    """The values of parameter *name* of this module's tests selected in this session."""
    return [str(spec.params[name]) for item in request.session.items
            if getattr(item, "module", None) is request.module
            and (spec := getattr(item, "callspec", None)) is not None and name in spec.params]
