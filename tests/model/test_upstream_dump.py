"""The whole model of QEMU's real schemas equals what QEMU's own frontend builds.

QEMU's schema test driver (``tests/qapi-schema/test-qapi.py``, run as a subprocess from the
downloaded tree) dumps its model of a schema: every entity with members, conditions, features,
then every doc block.  qapic's dump of the same schema must be identical, line for line.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qapic.frontend import load_schema
from qapic.frontend.dump import dump

SCHEMAS = ["qapi/qapi-schema.json", "qga/qapi-schema.json", "storage-daemon/qapi/qapi-schema.json"]


def upstream_dump(tree: Path, schema: str, tmp: Path) -> str:
    """Run upstream's test-qapi.py in update mode on a copy of the schema's tree part."""
    top = schema.split("/")[0]
    shutil.copytree(tree / top, tmp / top, ignore=shutil.ignore_patterns("*.c", "*.h", "*.py"))
    if top == "storage-daemon":     # it includes ../../qapi/*.json
        shutil.copytree(tree / "qapi", tmp / "qapi", dirs_exist_ok=True)
    copy = tmp / schema
    env = dict(os.environ, PYTHONPATH=str(tree / "scripts"), PYTHONIOENCODING="utf-8")
    subprocess.run([sys.executable, str(tree / "tests/qapi-schema/test-qapi.py"), "-u", str(copy)],
                   env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    err = copy.with_suffix(".err").read_text(encoding="utf-8")
    assert err == "", f"upstream rejected {schema}: {err}"
    return copy.with_suffix(".out").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", ["10.0", "10.2"])
@pytest.mark.parametrize("schema", SCHEMAS)
def test_dump_equals_upstream(key: str, schema: str, tmp_path: Path,
                              qemu_10_0: Path, qemu_10_2: Path) -> None:
    tree = qemu_10_0 if key == "10.0" else qemu_10_2
    expected = upstream_dump(tree, schema, tmp_path)
    actual = dump(load_schema(str(tmp_path / schema)))
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                    "upstream", "qapic", lineterm="", n=2)
        pytest.fail("\n".join(list(diff)[:60]))
