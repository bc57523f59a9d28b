"""Session fixtures for the upstream oracles; conftests import them by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oracle.upstream import UpstreamOracle, shared_oracle


@pytest.fixture(scope="session")
def oracle_10_0(qemu_10_0: Path) -> UpstreamOracle:
    return shared_oracle(qemu_10_0)


@pytest.fixture(scope="session")
def oracle_10_2(qemu_10_2: Path) -> UpstreamOracle:
    return shared_oracle(qemu_10_2)


@pytest.fixture(scope="session")
def oracle_7_2(qemu_7_2: Path) -> UpstreamOracle:
    return shared_oracle(qemu_7_2)
