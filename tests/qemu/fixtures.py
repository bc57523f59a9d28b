"""pytest fixtures for QEMU builds; import them into a conftest.py to use them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.qemu import QemuBuild, build


@pytest.fixture(scope="session")
def qemu_build() -> Callable[[str], QemuBuild]:
    """``qemu_build(generator)``: QEMU 10.0 built with *generator* ("upstream" or "qapic").

    The first call per generator runs scripts/qemu-build (a cold build takes minutes; a cached
    one seconds). A build that fails fails the calling test.
    """
    return build


@pytest.fixture(scope="session")
def qemu_upstream(qemu_build: Callable[[str], QemuBuild]) -> QemuBuild:
    """The baseline: QEMU 10.0 built with upstream's own generator."""
    return qemu_build("upstream")


@pytest.fixture(scope="session")
def qemu_build_10_2() -> Callable[[str], QemuBuild]:
    """``qemu_build_10_2(generator)``: QEMU 10.2.2 built with *generator* ("upstream", "qapic"
    or "single"), targets ``TARGETS_10_2``, as ``scripts/qemu-build --qemu 10.2 --name
    GENERATOR-10.2``. Cached like :func:`qemu_build`."""

    def get(generator: str) -> QemuBuild:
        return build(generator, qemu="10.2")

    return get
