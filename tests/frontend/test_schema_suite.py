"""QEMU 10.0's schema test suite: same decision, same error text, same model dump."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from qapic.frontend import QAPIError, load_schema
from qapic.frontend.dump import dump
from tests.frontend.suite import SUITE, suite_cases, tree_10_0


@functools.cache
def cases() -> list[str]:
    return suite_cases(tree_10_0())


def test_case_count() -> None:
    # 206 listed in meson.build, the missing schema, and 2 unlisted cases with goldens.
    assert len(cases()) == 209


@pytest.mark.parametrize_from("case", cases)
def test_case(case: str, qemu_10_0: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = qemu_10_0 / SUITE
    expected_err = (suite / f"{case}.err").read_text()
    expected_out = (suite / f"{case}.out").read_text()
    # test-qapi.py strips the directory from the error text; running in it does the same.
    monkeypatch.chdir(suite)
    try:
        schema = load_schema(f"{case}.json")
    except QAPIError as err:
        assert expected_err, f"rejected: {err}"
        assert str(err) + "\n" == expected_err
        return
    assert not expected_err, "accepted, but QEMU rejects it"
    assert dump(schema) == expected_out


def test_error_text_with_directory(qemu_10_0: Path) -> None:
    """Without chdir, error text names files as given (test-qapi.py strips that prefix)."""
    suite = qemu_10_0 / SUITE
    with pytest.raises(QAPIError) as exc:
        load_schema(suite / "include-cycle.json")
    expected = (suite / "include-cycle.err").read_text()
    assert str(exc.value) + "\n" == expected.replace("include-", f"{suite}/include-")
