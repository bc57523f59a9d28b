"""QEMU's QAPI unit-test programs, built with each generator, pass: all of their test cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.qemu import GENERATORS, QemuBuild, run_unit_tests

#: Test cases per program in QEMU 10.0.13, counted from upstream's build (TAP "ok" lines). A
#: build by another generator runs the same test sources, so it must pass exactly these.
EXPECTED_CASES = {
    "test-clone-visitor": 7,
    "test-forward-visitor": 7,
    "test-opts-visitor": 33,
    "test-qapi-util": 2,
    "test-qmp-cmds": 10,
    "test-qmp-event": 6,
    "test-qobject-input-visitor": 42,
    "test-qobject-output-visitor": 16,
    "test-string-input-visitor": 8,
    "test-string-output-visitor": 14,
    "test-visitor-serialization": 156,
}

#: Filled by the test below, printed at the end of the session by conftest.py.
CASE_COUNTS: dict[str, dict[str, int]] = {}


@pytest.mark.parametrize("generator", GENERATORS)
def test_qapi_unit_tests_pass(generator: str,
                              qemu_build: Callable[[str], QemuBuild]) -> None:
    counts, failures = run_unit_tests(qemu_build(generator))
    CASE_COUNTS[generator] = counts
    assert not failures, "\n\n".join(failures)
    assert counts == EXPECTED_CASES
    assert sum(counts.values()) == 301
