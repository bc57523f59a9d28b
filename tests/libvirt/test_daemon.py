"""The libvirt machinery itself (``probe.py``), on Debian 12's QEMU 7.2 qemu-system-x86_64:
libvirt really probes, privately; normalisation drops exactly what ``CACHE_DROPPED`` and
``DOMCAPS_DROPPED`` list; stopping the daemon leaves nothing running."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.libvirt.probe import (
    CACHE_DROPPED,
    DOMCAPS_DROPPED,
    Libvirtd,
    Probe,
    libvirt_arch,
    pids_in_namespace,
)
from tests.live.qemu_binaries import binary, ensure_installed

SYSTEM_DIRS = ("/etc/libvirt", "/var/cache/libvirt", "/var/lib/libvirt", "/var/log/libvirt",
               "/run/libvirt")


@pytest.fixture(scope="module")
def qemu_72() -> Path:
    ensure_installed(["x86_64"])
    return binary("x86_64")


@pytest.fixture(scope="module")
def probe_72(libvirtd: Libvirtd, qemu_72: Path) -> Probe:
    return libvirtd.probe(qemu_72, arch=libvirt_arch("x86_64"))


def _children(xml: str) -> list[str]:
    return [child.tag for child in ET.fromstring(xml)]


def test_libvirt_probed_the_binary(probe_72: Probe, qemu_72: Path, libvirtd: Libvirtd) -> None:
    raw = ET.fromstring(probe_72.cache_raw)
    assert raw.findtext("emulator") == str(qemu_72)
    assert raw.findtext("arch") == "x86_64"
    # libvirt encodes QEMU's version as major * 1000000 + minor * 1000 + micro.
    assert raw.findtext("version", "").startswith("7002")
    assert raw.findall("machine") and probe_72.flags
    assert ET.fromstring(probe_72.domcaps_raw).findtext("path") == str(qemu_72)
    # The cache file is named after the binary's path, as libvirt's file cache names it.
    digest = hashlib.sha256(str(qemu_72).encode()).hexdigest()
    assert libvirtd.cache_file(qemu_72) == libvirtd.cache_dir / f"{digest}.xml"


def test_normalised_cache_drops_exactly_the_listed(probe_72: Probe, qemu_72: Path) -> None:
    raw = _children(probe_72.cache_raw)
    for tag in CACHE_DROPPED:
        assert raw.count(tag) == 1, f"libvirt's cache has {raw.count(tag)} <{tag}>"
    assert _children(probe_72.cache) == [t for t in raw if t not in CACHE_DROPPED]
    assert str(qemu_72) not in probe_72.cache
    assert str(int(os.stat(qemu_72).st_ctime)) not in probe_72.cache
    assert ET.fromstring(probe_72.cache).findall("flag") and probe_72.flags == frozenset(
        f.attrib["name"] for f in ET.fromstring(probe_72.cache).iter("flag"))


def test_normalised_domcaps_drops_exactly_the_listed(probe_72: Probe, qemu_72: Path) -> None:
    raw = _children(probe_72.domcaps_raw)
    for tag in DOMCAPS_DROPPED:
        assert raw.count(tag) == 1, f"domcapabilities has {raw.count(tag)} <{tag}>"
    assert _children(probe_72.domcaps) == [t for t in raw if t not in DOMCAPS_DROPPED]
    assert str(qemu_72) not in probe_72.domcaps


def _machine_state() -> dict[str, tuple[int, int]]:
    """(size, mtime) of everything under the system daemon's libvirt directories."""
    state = {}
    for top in SYSTEM_DIRS:
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                state[os.path.join(dirpath, name)] = (st.st_size, st.st_mtime_ns)
    return state


def test_private_daemon_leaves_no_trace(libvirtd: Libvirtd, qemu_72: Path,
                                        tmp_path: Path) -> None:
    """A daemon of its own: start, probe, stop. Nothing of the machine's libvirt directories
    changed (the session daemon has created the empty mount points already), and no process
    of its mount namespace is left."""
    before = _machine_state()
    daemon = Libvirtd(tmp_path / "d")
    with daemon:
        assert daemon.proc is not None
        pid = daemon.proc.pid
        namespace = os.readlink(f"/proc/{pid}/ns/mnt")
        assert namespace != os.readlink("/proc/self/ns/mnt")
        probe = daemon.probe(qemu_72, arch="x86_64")
        assert daemon.cache_file(qemu_72).is_relative_to(tmp_path)
        assert pid in pids_in_namespace(namespace)
    assert probe.flags
    assert daemon.proc is None and daemon.leftovers == []
    assert pids_in_namespace(namespace) == []
    assert _machine_state() == before


def test_stop_reports_a_leftover(tmp_path: Path) -> None:
    """Planted fault: a process left in the daemon's mount namespace is found, killed and
    reported by stop() (the session fixture fails its teardown on any)."""
    daemon = Libvirtd(tmp_path / "d")
    with daemon:
        assert daemon.proc is not None
        stray = subprocess.Popen(["nsenter", "-t", str(daemon.proc.pid), "-m", "--",
                                  "sleep", "600"])
        try:
            deadline = time.monotonic() + 10
            while os.readlink(f"/proc/{stray.pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt"):
                assert time.monotonic() < deadline, "nsenter did not enter the namespace"
                time.sleep(0.05)
        except BaseException:
            stray.kill()
            raise
    assert stray.wait(10) == -signal.SIGKILL
    assert len(daemon.leftovers) == 1 and "sleep 600" in daemon.leftovers[0]
