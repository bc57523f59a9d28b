"""pytest fixtures (import them into a conftest.py to use them): QEMU 10.2.2's schema with qapic's
shipped conditions written into a copy of its JSON (tests/carry/rewrite.py, no qapic involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.carry.rewrite import write_into_copy
from tests.support import REPO

SHIPPED_10_2 = REPO / "qapic" / "carried" / "qemu-10.2.json"


@pytest.fixture(scope="session")
def schema_10_2_with_conditions(qemu_10_2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of 10.2.2's qapi/ with the shipped conditions written into its JSON."""
    dest = tmp_path_factory.mktemp("carried-10.2") / "qapi"
    return write_into_copy(qemu_10_2 / "qapi", SHIPPED_10_2, dest)
