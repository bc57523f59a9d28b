"""Generated files of both generators for the schemas these tests use, made once per session.

``upstream_out(case)`` runs the own ``scripts/qapi-gen.py`` of the case's QEMU tree (10.0 or
10.2: the oracle, as a subprocess); ``qapic_out(case)`` runs ``python -m qapic generate`` with the
same options on the same schema.  Both return the output directory.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import REPO, qemu_source

#: case -> (schema path inside the QEMU tree, options), as QEMU's meson runs the generator.
_SCHEMAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "system": ("qapi/qapi-schema.json", ("-b",)),
    "test": ("tests/qapi-schema/qapi-schema-test.json", ("-p", "test-")),
    "test-untraced": ("tests/qapi-schema/qapi-schema-test.json",
                      ("-p", "test-", "--suppress-tracing")),
    "storage-daemon": ("storage-daemon/qapi/qapi-schema.json", ()),
    "guest-agent": ("qga/qapi-schema.json", ("-p", "qga-", "--suppress-tracing")),
}
#: The QEMU trees (keys of scripts/qemu-versions) whose schemas and generator are compared: a
#: case NAME is QEMU 10.0's, NAME-10.2 the same schema and options in QEMU 10.2.2.
VERSIONS = ("10.0", "10.2")
#: case -> (QEMU version key, schema path inside its tree, options).
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    name if version == "10.0" else f"{name}-{version}": (version, schema, options)
    for version in VERSIONS for name, (schema, options) in _SCHEMAS.items()
}


def _generate(argv: list[str], outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([*argv, "-o", str(outdir)], capture_output=True, text=True,
                          cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return outdir


def _outputs(argv: Callable[[Path, Path], list[str]]) -> Iterator[Callable[[str], Path]]:
    """``get(case)``: the output directory of ``argv(tree, schema)`` with the case's options."""
    with tempfile.TemporaryDirectory(prefix="qapic-cgen-") as tmp:
        made: dict[str, Path] = {}

        def get(case: str) -> Path:
            if case not in made:
                version, schema, options = CASES[case]
                tree = qemu_source(version)
                made[case] = _generate([*argv(tree, tree / schema), *options], Path(tmp) / case)
            return made[case]

        yield get


@pytest.fixture(scope="session")
def upstream_out() -> Iterator[Callable[[str], Path]]:
    yield from _outputs(lambda tree, schema: [sys.executable,
                                              str(tree / "scripts" / "qapi-gen.py"), str(schema)])


@pytest.fixture(scope="session")
def qapic_out() -> Iterator[Callable[[str], Path]]:
    # No --qemu-version: qapic follows the release of the tree that holds the schema.
    yield from _outputs(lambda tree, schema: [sys.executable, "-m", "qapic", "generate",
                                              str(schema)])
