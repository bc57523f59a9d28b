"""Shared by the frontend tests (and the oracle's): the QEMU schema test suite's cases and an
upstream dump."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import qemu_source

SUITE = "tests/qapi-schema"

# test-qapi.py run on a schema given on the command line: the upstream model dump (QEMU's own
# generator, run as a separate process, only to observe its output).
_UPSTREAM_DUMP = """
import importlib.util, sys
tree, fname = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree + '/scripts')
spec = importlib.util.spec_from_file_location('test_qapi', tree + '/tests/qapi-schema/test-qapi.py')
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
mod.test_frontend(fname)
"""


# Cases with a schema and up-to-date goldens that meson.build does not list.  (The tree also
# has event-args-if-unboxed, whose .err is stale: it predates the current wording and was
# written from the build directory.)
UNLISTED = ["doc-non-first-section", "enum-dict-no-name"]


def suite_cases(tree: Path) -> list[str]:
    """The case names of QEMU's schema suite: those meson.build lists, the intentionally
    missing schema, and :data:`UNLISTED`."""
    text = (tree / SUITE / "meson.build").read_text()
    block = text[text.index("schemas = ["):]
    block = block[:block.index("\n]")]
    cases = re.findall(r"'([a-z0-9-]+)\.json'", block)
    return [*cases, "missing-schema", *UNLISTED]


def upstream_dump(tree: Path, schema: Path) -> str:
    return subprocess.run([sys.executable, "-c", _UPSTREAM_DUMP, str(tree), str(schema)],
                          check=True, stdout=subprocess.PIPE, text=True).stdout


def tree_10_0() -> Path:
    return qemu_source("10.0")
