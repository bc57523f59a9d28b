"""Fixtures: QEMU 10.0 built with upstream's generator, and the harnesses built against it."""

from __future__ import annotations

import json
import time

import pytest

from qapic.proof.harness.build import HarnessOptions, Result, build
from tests.harness.helpers import OUT, OUT_SANITIZED, SANITIZED_PER_TARGET, SANITIZERS
from tests.oracle.fixtures import oracle_10_0
from tests.qemu import QemuBuild
from tests.qemu.fixtures import qemu_build, qemu_upstream

__all__ = ["harnesses", "oracle_10_0", "qemu_build", "qemu_upstream", "sanitized_harnesses"]

@pytest.fixture(scope="session")
def harnesses(qemu_upstream: QemuBuild) -> Result:
    """Per-target harnesses for every target (from upstream's generator) and the single one."""
    t0 = time.monotonic()
    result = build(qemu_upstream.build_dir, OUT)
    report = json.loads((OUT / "harness-build.json").read_text())
    print(f"harness build: {time.monotonic() - t0:.1f} s, {report['compiles']} compiles, "
          f"{report['cache_hits']} cached, {report['seconds']}")
    return result


@pytest.fixture(scope="session")
def sanitized_harnesses(qemu_upstream: QemuBuild) -> Result:
    """The single harness and the per-target ones of SANITIZED_PER_TARGET, built with
    ``-fsanitize=address,undefined``.  The per-target ones are qapic's drop-in output (the code
    under test; the normal per-target harnesses their replies are compared with are
    upstream's)."""
    t0 = time.monotonic()
    result = build(qemu_upstream.build_dir, OUT_SANITIZED, HarnessOptions(
        SANITIZED_PER_TARGET, sanitize=SANITIZERS, reference="qapic"))
    report = json.loads((OUT_SANITIZED / "harness-build.json").read_text())
    print(f"sanitized harness build: {time.monotonic() - t0:.1f} s, {report['compiles']} "
          f"compiles, {report['cache_hits']} cached, {report['seconds']}")
    return result

