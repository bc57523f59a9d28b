"""Fixtures for ``qapic docs``: the reference generated for QEMU 10.0's schema, and its parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from qapic.frontend import Schema, load_schema
from tests.docs.helpers import main
from tests.docs.htmltree import HtmlTree
from tests.support import SYSTEM_SCHEMA


@pytest.fixture(scope="session")
def schema_10_0(qemu_10_0: Path) -> Schema:
    return load_schema(qemu_10_0 / SYSTEM_SCHEMA)


@pytest.fixture(scope="session")
def reference_10_0(qemu_10_0: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML and rST reference of QEMU 10.0's schema, for every target."""
    out = tmp_path_factory.mktemp("docs") / "ref"
    assert main([str(qemu_10_0 / SYSTEM_SCHEMA), "-o", str(out), "--format", "html,rst"]) == 0
    return out


@pytest.fixture(scope="session")
def tree_10_0(reference_10_0: Path) -> HtmlTree:
    return HtmlTree.parse((reference_10_0 / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_10_2(qemu_10_2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML reference of QEMU 10.2's schema, for every target."""
    out = tmp_path_factory.mktemp("docs") / "ref-10.2"
    assert main([str(qemu_10_2 / SYSTEM_SCHEMA), "-o", str(out)]) == 0
    return out
