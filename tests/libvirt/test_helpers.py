"""The pure helpers of probe.py: normalisation, flag sets, tables, differences."""

from __future__ import annotations

from pathlib import Path

from tests.libvirt.probe import Probe, differences, differing_flags, flag_table, normalise

CACHE = """<qemuCaps>
  <emulator>/some/build/qemu-system-x86_64</emulator>
  <qemuctime>1796054637</qemuctime>
  <selfvers>9000000</selfvers>
  <flag name='a'/>
  <flag name='b'/>
  <version>10000013</version>
</qemuCaps>
"""
DOMCAPS = "<domainCapabilities><path>/some/build/qemu-system-x86_64</path><arch>x86_64</arch>" \
          "</domainCapabilities>"


def probe(cache: str, domcaps: str = DOMCAPS) -> Probe:
    return Probe(Path("/some/build/qemu-system-x86_64"), cache, domcaps, 0.0)


def test_normalise_keeps_order_and_the_rest() -> None:
    assert normalise(CACHE, ["emulator", "qemuctime", "selfvers"]).splitlines() == [
        "<qemuCaps>", '  <flag name="a" />', '  <flag name="b" />',
        "  <version>10000013</version>", "</qemuCaps>"]


def test_probe_from_another_path_and_time_is_the_same() -> None:
    other = CACHE.replace("/some/build", "/elsewhere").replace("1796054637", "1796054999")
    assert probe(other).cache == probe(CACHE).cache
    assert differences(probe(other, DOMCAPS.replace("/some/build", "/x")), probe(CACHE)) is None


def test_differences_name_the_flags() -> None:
    fewer = probe(CACHE.replace("<flag name='b'/>", ""))
    assert fewer.flags == {"a"} and probe(CACHE).flags == {"a", "b"}
    report = differences(fewer, probe(CACHE), "x", "y")
    assert report is not None
    assert "flags only for x: []; only for y: ['b']" in report
    other_version = probe(CACHE.replace("10000013", "10002002"))
    report = differences(other_version, probe(CACHE))
    assert report is not None and "-  <version>10002002</version>" in report


def test_flag_table() -> None:
    columns = {"t1\nA": {"a", "b"}, "t1\nB": {"a"}, "t2": {"a", "c"}}
    assert differing_flags(columns) == ["b", "c"]
    assert flag_table(columns).splitlines() == [
        "      t1  t1",
        "flag  A   B   t2",
        "----  --  --  --",
        "b     x   -   -",
        "c     -   -   x",
    ]
    assert flag_table(columns, ["a"]).splitlines()[-1] == "a     x   x   x"
    assert flag_table({"p": set(), "q": set()}).splitlines()[-1] == "(no flag differs)"
