"""Bindings packages generated for the tests, each under an import name of its own so that
several can be imported into one test process.

``package(KIND)`` runs ``python -m qapic bindings`` (a subprocess, as a user runs it) once per
session into a temporary directory, puts that directory on ``sys.path`` and returns the
directory and the package's name.  The kinds:

- ``10.0``: QEMU 10.0.13's schema (the last release with target conditions);
- ``10.2``: QEMU 10.2.2's schema with the shipped conditions (``qapic/carried/qemu-10.2.json``);
- ``10.2-upstream``: QEMU 10.2.2's schema as upstream ships it (no target conditions);
- ``7.2``: QEMU 7.2's schema (doc comments of its time: ``--lenient-docs``);
- ``all``: 7.2, 10.0 and 10.2 (with the shipped conditions) in one package;
- ``test``: QEMU's own ``tests/qapi-schema/qapi-schema-test.json``.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Final

from tests.support import qemu_source

REPO: Final = Path(__file__).resolve().parent.parent.parent
CARRIED_10_2: Final = REPO / "qapic" / "carried" / "qemu-10.2.json"
KINDS: Final = ("10.0", "10.2", "10.2-upstream", "7.2", "all", "test")

_lock = threading.Lock()
_made: dict[str, tuple[Path, str]] = {}
_root = Path(tempfile.mkdtemp(prefix="qapic-bindings-"))


def schema(key: str) -> Path:
    return qemu_source(key) / "qapi" / "qapi-schema.json"


def arguments(kind: str) -> list[str]:
    """The command line of ``qapic bindings`` for *kind* (without -o and --package)."""
    if kind == "10.0":
        return [str(schema("10.0"))]
    if kind == "10.2":
        return [str(schema("10.2")), "--conditions", str(CARRIED_10_2)]
    if kind == "10.2-upstream":
        return [str(schema("10.2"))]
    if kind == "7.2":
        return ["--lenient-docs", str(schema("7.2"))]
    if kind == "all":
        return ["--lenient-docs", str(schema("7.2")), str(schema("10.0")), str(schema("10.2")),
                "--conditions", "-", "--conditions", "-", "--conditions", str(CARRIED_10_2)]
    if kind == "test":
        return [str(qemu_source("10.0") / "tests" / "qapi-schema" / "qapi-schema-test.json")]
    raise ValueError(kind)


def package_name(kind: str) -> str:
    return "qmp_" + kind.replace(".", "_").replace("-", "_")


def package(kind: str) -> tuple[Path, str]:
    """The output directory and import name of the package of *kind* (generated once)."""
    with _lock:
        if kind not in _made:
            assert kind in KINDS, kind
            out = _root / kind
            name = package_name(kind)
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-m", "qapic", "bindings", *arguments(kind),
                            "-o", str(out), "--package", name], check=True)
            print(f"qapic bindings {kind}: {time.monotonic() - t0:.2f} s")
            if str(out) not in sys.path:
                sys.path.insert(0, str(out))
            _made[kind] = (out, name)
        return _made[kind]


def mutant(kind: str, name: str, path: str, old: str, new: str) -> str:
    """A copy of the package of *kind* under the import name *name*, with *old* replaced by
    *new* in its file *path* (a planted fault); returns the kind to ``load`` it by."""
    import shutil

    out, base = package(kind)
    dest = _root / f"mutant-{name}"
    with _lock:
        if name not in _made:
            shutil.copytree(out / base, dest / name)
            target = dest / name / path
            text = target.read_text()
            assert text.count(old) >= 1, (path, old)
            target.write_text(text.replace(old, new))
            sys.path.insert(0, str(dest))
            _made[name] = (dest, name)
    return name


def load(kind: str, module: str = "") -> ModuleType:
    """The package of *kind* (or its *module*: ``types``, ``wire``, ``client``), imported."""
    _out, name = package(kind)
    return importlib.import_module(f"{name}.{module}" if module else name)
