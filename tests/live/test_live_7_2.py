"""``qapic introspect`` against real QEMU 7.2 binaries (Debian 12's qemu-system-* packages).

Two comparisons per target, both against what the binary's ``query-qmp-schema`` returns:

* ``test_config_matches_live``: QEMU 7.2's *own* generator (``scripts/qapi-gen.py`` of the 7.2
  tree, run as a subprocess and its introspection evaluated) with Debian's symbol set
  (debian-7.2-amd64.config) plus the target's TARGET_* symbols.  This proves the symbol set
  without involving qapic.
* ``test_qapic_matches_live``: ``qapic introspect <7.2>/qapi/qapi-schema.json --lenient-docs
  --target T --define ...`` with the same set.

Debian applies the 7.2.x stable updates (v7.2.1 ... v7.2.22) as patches over the 7.2.0 tarball
that ``scripts/qemu-source 7.2`` unpacks; those touch only doc comments in qapi/*.json, so the
unpatched schema yields the binaries' introspection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import debian_config
from tests.live.qemu_binaries import LIVE_TARGETS, VERSION_7_2, LiveSchema, live_schema
from tests.oracle.diff import describe
from tests.oracle.qapic_run import Prefetch, QapicFailed, run_introspect, selected_params
from tests.oracle.targets import softmmu_targets, target_symbols
from tests.oracle.upstream import UpstreamOracle

pytestmark = pytest.mark.live

SCHEMA = "qapi/qapi-schema.json"


@pytest.fixture(scope="session")
def live_schemas(live_installed: list[str]) -> dict[str, LiveSchema]:
    """query-qmp-schema of every installed qemu-system-<target> (from the cache when the
    binary's version is unchanged).  Each binary must be Debian's QEMU 7.2 (any Debian revision
    of it): its ``--version`` says so, and so does its QMP greeting."""
    out = {t: live_schema(t, "7.2") for t in live_installed}
    wrong = {t: s.version for t, s in out.items()
             if not VERSION_7_2.fullmatch(s.version) or s.qemu[:2] != (7, 2)}
    if wrong:
        pytest.fail(f"the installed binaries are not Debian's QEMU 7.2 (1:7.2+dfsg-*; "
                    f"scripts/qemu-72-binaries installs them): {wrong}", pytrace=False)
    return out


def _live(live_schemas: dict[str, LiveSchema], target: str) -> list[Any]:
    return live_schemas[target].schema


def _defines(target: str) -> frozenset[str]:
    return debian_config.symbols_for(target)


@pytest.mark.parametrize("target", LIVE_TARGETS)
def test_config_matches_live(target: str, live_schemas: dict[str, LiveSchema],
                             oracle_7_2: UpstreamOracle, qemu_7_2: Path) -> None:
    live = _live(live_schemas, target)
    expected = oracle_7_2.introspect(qemu_7_2 / SCHEMA,
                                     _defines(target) | target_symbols(qemu_7_2, target))
    if expected != live:
        pytest.fail(f"7.2's qapi-gen.py with debian-7.2-amd64.config differs from "
                    f"qemu-system-{target} ({live_schemas[target].version}):\n"
                    + describe(live, expected), pytrace=False)


@pytest.fixture(scope="module")
def qapic_results(request: pytest.FixtureRequest, qemu_7_2: Path) -> Iterator[Prefetch]:
    def run(target: str) -> Any:
        return run_introspect(qemu_7_2 / SCHEMA, defines=_defines(target), target=target,
                              qemu_src=qemu_7_2, lenient_docs=True)

    prefetch = Prefetch(run, selected_params(request, "qtarget"))
    yield prefetch
    prefetch.close()


@pytest.mark.parametrize("qtarget", LIVE_TARGETS)
def test_qapic_matches_live(qtarget: str, live_schemas: dict[str, LiveSchema],
                            qapic_results: Prefetch) -> None:
    live = _live(live_schemas, qtarget)
    failure = None
    try:
        actual = qapic_results.result(qtarget)
    except QapicFailed as err:
        failure = str(err)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    if actual != live:
        pytest.fail(f"qapic introspect differs from qemu-system-{qtarget} "
                    f"({live_schemas[qtarget].version}):\n" + describe(live, actual),
                    pytrace=False)


def test_live_targets_are_7_2s(qemu_7_2: Path) -> None:
    assert softmmu_targets(qemu_7_2) == LIVE_TARGETS


def test_config_file() -> None:
    conf = debian_config.load()
    assert conf["CONFIG_KVM"] == frozenset({"x86_64", "i386"})
    assert conf["CONFIG_LINUX"] is None
    assert all(s.startswith(("CONFIG_", "HAVE_")) for s in conf)
    assert "CONFIG_KVM" in _defines("x86_64")
    assert "CONFIG_KVM" not in _defines("aarch64")


def test_config_symbols_are_pinned_down(oracle_7_2: UpstreamOracle, qemu_7_2: Path) -> None:
    """Every CONFIG_*/HAVE_* symbol 7.2's schema tests changes the x86_64 schema when flipped,
    so the live comparison decides each one (the set is not just one of many that match); and
    the file lists nothing else but CONFIG_KVM (which 7.2's schema does not test)."""
    schema = qemu_7_2 / SCHEMA
    tested = {s for s in oracle_7_2.symbols(schema) if not s.startswith("TARGET_")}
    listed = set(debian_config.load())
    assert listed - tested == {"CONFIG_KVM"}
    base = _defines("x86_64") | target_symbols(qemu_7_2, "x86_64")
    value = oracle_7_2.introspect(schema, base)
    inert = [s for s in sorted(tested)
             if oracle_7_2.introspect(schema, base ^ {s}) == value]
    assert inert == [], f"flipping these changes nothing on x86_64: {inert}"


@pytest.fixture(scope="module")
def debian_files(qemu_7_2: Path) -> dict[str, str]:
    tarball = debian_config.debian_tarball(qemu_7_2)
    assert tarball is not None, "no qemu_*.debian.tar.* beside the 7.2 tree (scripts/qemu-source)"
    return debian_config.read_debian_files(tarball)


def test_config_file_agrees_with_debian_rules(debian_files: dict[str, str]) -> None:
    """The configure flags the data file's comments cite are those debian/rules passes for
    linux-amd64, Debian builds every 7.2 target, and it disables none of the 'auto' features
    the data file counts on (its only --disable flags are the ones below)."""
    flags = debian_config.configure_flags(debian_files["debian/control"], "linux-amd64")
    claimed = debian_config.claimed_flags()
    assert claimed, "no 'rules: --flag' comments found"
    assert {s: f for s, f in claimed.items() if f not in flags} == {}
    rules = debian_files["debian/rules"]
    assert "extract-config-opts" in rules
    m = re.search(r"^system_targets = \\\n(.*?)\n\n", rules, re.M | re.S)
    assert m is not None
    assert sorted(m.group(1).replace("\\", " ").split()) == LIVE_TARGETS
    main_build = rules[rules.index("common_configure_opts ="):rules.index("build-qemu:")]
    disabled = set(re.findall(r"--disable-[\w-]+", main_build)) | \
        {f for f in flags if f.startswith("--disable-")}
    assert disabled == {"--disable-install-blobs", "--disable-strip", "--disable-user",
                        "--disable-xen"}
