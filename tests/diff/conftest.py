"""Fixtures for ``qapic diff``: query-qmp-schema values from upstream's generator (the oracle),
written to files the way a client would capture them from a QEMU binary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.diff.helpers import BUILD, SYSTEM, Introspect
from tests.oracle.fixtures import oracle_7_2, oracle_10_0, oracle_10_2
from tests.oracle.targets import target_symbols
from tests.oracle.upstream import UpstreamOracle

__all__ = ["oracle_7_2", "oracle_10_0", "oracle_10_2"]


def _maker(tree: Path, oracle: UpstreamOracle) -> Introspect:
    cache: dict[tuple[str, bool], Any] = {}

    def make(target: str, unmask: bool = False) -> Any:
        key = (target, unmask)
        if key not in cache:
            cache[key] = oracle.introspect(tree / SYSTEM, BUILD | target_symbols(tree, target),
                                           unmask=unmask)
        return cache[key]
    return make


@pytest.fixture(scope="session")
def intro_10_0(qemu_10_0: Path, oracle_10_0: UpstreamOracle) -> Introspect:
    """``intro_10_0(target, unmask=False)``: QEMU 10.0's query-qmp-schema for that target."""
    return _maker(qemu_10_0, oracle_10_0)


@pytest.fixture(scope="session")
def intro_10_2(qemu_10_2: Path, oracle_10_2: UpstreamOracle) -> Introspect:
    return _maker(qemu_10_2, oracle_10_2)


@pytest.fixture(scope="session")
def value_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("diff-values")
