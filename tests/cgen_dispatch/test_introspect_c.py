"""qapic's ``qapi-introspect.c``, compiled in effect for a build, equals upstream's (10.0, 10.2).

Both files are read by the oracle's QLit reader and evaluated with the preprocessor symbols a
build defines (tests/oracle/upstream.py); the symbol sets are those of real builds: every
softmmu target of QEMU 10.0, with KVM, with a distribution's configuration, on Windows, and the
guest agent's and storage daemon's schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.introspect.test_against_upstream import (
    ACCEL_KVM,
    DISTRO,
    EVERYTHING,
    NONE,
    QGA_LINUX,
    QGA_WINDOWS,
    TARGETS_10_0,
    WINDOWS,
)
from tests.oracle.targets import target_symbols
from tests.oracle.upstream import Node, evaluate, parse_qlit, symbols

Out = Callable[[str], Path]


def _trees(case: str, prefix: str, upstream_out: Out, qapic_out: Out) -> tuple[Node, Node]:
    name = f"{prefix}qapi-introspect.c"
    var = f"{prefix.replace('-', '_')}qmp_schema_qlit"
    return (parse_qlit((upstream_out(case) / name).read_text(), var),
            parse_qlit((qapic_out(case) / name).read_text(), var))


@pytest.mark.parametrize("target", TARGETS_10_0)
def test_every_target(target: str, qemu_10_0: Path, upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("system", "", upstream_out, qapic_out)
    for config in (NONE, ACCEL_KVM, DISTRO):
        defined = config | target_symbols(qemu_10_0, target)
        assert evaluate(got, defined) == evaluate(expected, defined), sorted(config)


@pytest.mark.parametrize("config", [WINDOWS, EVERYTHING], ids=["windows", "everything"])
def test_other_hosts(config: frozenset[str], qemu_10_0: Path, upstream_out: Out,
                     qapic_out: Out) -> None:
    expected, got = _trees("system", "", upstream_out, qapic_out)
    for target in ("x86_64", "aarch64", "s390x"):
        defined = config | target_symbols(qemu_10_0, target)
        assert evaluate(got, defined) == evaluate(expected, defined)


def test_same_symbols_tested(upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("system", "", upstream_out, qapic_out)
    assert symbols(got) == symbols(expected)


@pytest.mark.parametrize("config", [NONE, QGA_LINUX, QGA_WINDOWS], ids=["none", "linux", "win"])
def test_guest_agent(config: frozenset[str], upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("guest-agent", "qga-", upstream_out, qapic_out)
    assert evaluate(got, config) == evaluate(expected, config)


def test_storage_daemon(upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("storage-daemon", "", upstream_out, qapic_out)
    for config in (NONE, DISTRO):
        assert evaluate(got, config) == evaluate(expected, config)


def test_qapi_schema_test(upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("test", "test-", upstream_out, qapic_out)
    syms = symbols(expected)
    assert symbols(got) == syms
    for defined in (set(), syms, {"TEST_IF_STRUCT", "TEST_IF_EVT"}, {"TEST_IF_FEATURE_1"}):
        assert evaluate(got, defined) == evaluate(expected, defined)


# QEMU 10.2.2: its schema has no target condition left; every symbol upstream's file tests.
@pytest.mark.parametrize("config", [NONE, ACCEL_KVM, DISTRO, WINDOWS, EVERYTHING],
                         ids=["none", "kvm", "distro", "windows", "everything"])
def test_qemu_10_2(config: frozenset[str], upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees("system-10.2", "", upstream_out, qapic_out)
    assert symbols(got) == symbols(expected)
    assert evaluate(got, config) == evaluate(expected, config)


@pytest.mark.parametrize(("case", "prefix", "configs"), [
    ("guest-agent-10.2", "qga-", (NONE, QGA_LINUX, QGA_WINDOWS)),
    ("storage-daemon-10.2", "", (NONE, DISTRO)),
    ("test-10.2", "test-", (NONE, frozenset({"TEST_IF_STRUCT", "TEST_IF_EVT"}))),
])
def test_other_schemas_10_2(case: str, prefix: str, configs: tuple[frozenset[str], ...],
                            upstream_out: Out, qapic_out: Out) -> None:
    expected, got = _trees(case, prefix, upstream_out, qapic_out)
    assert symbols(got) == symbols(expected)
    for config in (*configs, frozenset(symbols(expected))):
        assert evaluate(got, config) == evaluate(expected, config)
