"""Generated files of both generators for the schemas these tests use, made once per session.

``upstream_out(case)`` runs QEMU 10.0's own ``scripts/qapi-gen.py`` (the oracle, as a
subprocess); ``qapic_out(case)`` runs ``python -m qapic generate`` with the same options.  Both
return the output directory.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

#: case -> (schema path inside the QEMU tree, options), as QEMU's meson runs the generator.
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "system": ("qapi/qapi-schema.json", ("-b",)),
    "test": ("tests/qapi-schema/qapi-schema-test.json", ("-p", "test-")),
    "test-untraced": ("tests/qapi-schema/qapi-schema-test.json",
                      ("-p", "test-", "--suppress-tracing")),
    "storage-daemon": ("storage-daemon/qapi/qapi-schema.json", ()),
    "guest-agent": ("qga/qapi-schema.json", ("-p", "qga-", "--suppress-tracing")),
}


def _generate(argv: list[str], outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([*argv, "-o", str(outdir)], capture_output=True, text=True,
                          cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return outdir


def _outputs(tree: Path, argv: Callable[[Path], list[str]]) -> Iterator[Callable[[str], Path]]:
    with tempfile.TemporaryDirectory(prefix="qapic-cgen-") as tmp:
        made: dict[str, Path] = {}

        def get(case: str) -> Path:
            if case not in made:
                schema, options = CASES[case]
                made[case] = _generate([*argv(tree / schema), *options], Path(tmp) / case)
            return made[case]

        yield get


@pytest.fixture(scope="session")
def upstream_out(qemu_10_0: Path) -> Iterator[Callable[[str], Path]]:
    generator = qemu_10_0 / "scripts" / "qapi-gen.py"
    yield from _outputs(qemu_10_0, lambda schema: [sys.executable, str(generator), str(schema)])


@pytest.fixture(scope="session")
def qapic_out(qemu_10_0: Path) -> Iterator[Callable[[str], Path]]:
    yield from _outputs(qemu_10_0,
                        lambda schema: [sys.executable, "-m", "qapic", "generate", str(schema)])
