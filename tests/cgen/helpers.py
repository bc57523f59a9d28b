"""Shared by the C backend tests: the schemas compared (QEMU's, with the options QEMU's build
uses), running upstream's qapi-gen.py (the oracle) and ``qapic generate`` on them."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO


@dataclass(frozen=True)
class Case:
    """A schema of QEMU's tree and the qapi-gen.py options QEMU's build uses for it."""

    schema: str
    options: tuple[str, ...]
    version: str = "10.0"     # a key of scripts/qemu-versions


CASES = {
    # qapi/meson.build: the system emulator's schema, with the built-in types.
    "qemu": Case("qapi/qapi-schema.json", ("-b",)),
    # tests/meson.build: the unit tests' schema.
    "test": Case("tests/qapi-schema/qapi-schema-test.json",
                 ("-b", "-p", "test-", "--suppress-tracing")),
    # Language parity with a newer QEMU (no TARGET_ conditions left, new constructs).
    "qemu-10.2": Case("qapi/qapi-schema.json", ("-b",), "10.2"),
    "test-10.2": Case("tests/qapi-schema/qapi-schema-test.json",
                      ("-b", "-p", "test-", "--suppress-tracing"), "10.2"),
}


@dataclass(frozen=True)
class Generated:
    case: str
    upstream: Path
    qapic: Path


def run_upstream(tree: Path, schema: Path, outdir: Path, *options: str) -> None:
    subprocess.run([sys.executable, str(tree / "scripts" / "qapi-gen.py"), "-o", str(outdir),
                    *options, str(schema)], check=True, capture_output=True, text=True)


def run_qapic(schema: Path, outdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qapic", "generate", "-o", str(outdir),
                           *options, str(schema)], cwd=REPO, capture_output=True, text=True)


#: Which backend module writes a generated file, by the kind in its name.
KINDS = (
    ("qapi-builtin-types", "types"), ("qapi-types", "types"),
    ("qapi-builtin-visit", "visit"), ("qapi-visit", "visit"),
    ("qapi-init-commands", "commands"), ("qapi-commands", "commands"),
    ("qapi-emit-events", "events"), ("qapi-events", "events"),
    ("qapi-introspect", "introspect_c"), ("qapi-features", "features"),
)


def backend_of(fname: str) -> str:
    base = fname.rsplit("/", 1)[-1]
    for kind, backend in KINDS:
        if kind in base:
            return backend
    raise ValueError(f"no backend writes {fname}")


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
