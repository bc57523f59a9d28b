"""QEMU 10.2.2's QAPI unit-test programs pass with qapic's generated C exactly as with upstream's:
the same test cases, every one passing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.qemu import UNIT_TESTS, QemuBuild, UnitResult, run_unit_test
from tests.qemu.test_unit_tests import EXPECTED_CASES

#: Test cases per program in QEMU 10.2.2, counted from upstream's 10.2.2 build (TAP "ok"
#: lines): the same numbers as 10.0.13's.
EXPECTED_CASES_10_2 = dict(EXPECTED_CASES)

Builds = Callable[[str], QemuBuild]
_results: dict[str, dict[str, UnitResult]] = {}


def _run_all(generator: str, qemu_build_10_2: Builds) -> dict[str, UnitResult]:
    if generator not in _results:
        qemu = qemu_build_10_2(generator)
        _results[generator] = {name: run_unit_test(qemu, name) for name in UNIT_TESTS}
    return _results[generator]


@pytest.mark.parametrize("generator", ["upstream", "qapic"])
def test_qapi_unit_tests_pass(generator: str, qemu_build_10_2: Builds) -> None:
    results = _run_all(generator, qemu_build_10_2)
    failures = [f"{r.name}: exit {r.returncode}, failed {list(r.failed)}, skipped "
                f"{list(r.skipped)}\n{r.output[-3000:]}"
                for r in results.values() if not r.ok or r.skipped]
    assert not failures, "\n\n".join(failures)
    counts = {name: len(r.passed) for name, r in results.items()}
    assert counts == EXPECTED_CASES_10_2
    print(f"QEMU 10.2.2 QAPI unit tests ({generator} generator): {sum(counts.values())} test "
          f"cases passed in {len(counts)} programs")


def test_same_cases_as_upstream(qemu_build_10_2: Builds) -> None:
    upstream = _run_all("upstream", qemu_build_10_2)
    qapic = _run_all("qapic", qemu_build_10_2)
    for name in UNIT_TESTS:
        assert (qapic[name].passed, qapic[name].failed, qapic[name].skipped) == \
            (upstream[name].passed, upstream[name].failed, upstream[name].skipped), name
