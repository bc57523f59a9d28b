"""libvirt as a real client of QEMU binaries: a private libvirtd, its probes, their comparison.

``Libvirtd(root)`` runs Debian 12's ``libvirtd`` as root (``qemu:///system``, QEMU run as root)
with a private configuration: in a mount namespace of its own (``unshare --mount``), directories
under *root* are bind-mounted over the paths the system daemon uses (``/etc/libvirt``,
``/var/cache/libvirt``, ``/var/lib/libvirt``, ``/var/log/libvirt``, ``/run/libvirt``), so the
daemon behaves exactly as the system one — same driver, same probe code, same cache format — while
the machine's own libvirt configuration, cache and sockets (if any) are neither read nor written.
The only trace left on the machine is the empty mount points created when missing. virsh talks
to it as ``qemu:///system`` with the ``socket`` parameter pointing at the private socket.

``Libvirtd.probe(binary, arch=...)`` makes libvirt probe a binary as in production (``virsh
domcapabilities --emulatorbin BIN --virttype qemu --arch ARCH [--machine M]``; without ``--arch``
libvirt assumes the host's architecture and refuses other targets' binaries: ``libvirt_arch``
names it for a QEMU target) and returns what it recorded (``Probe``): its capabilities cache file
(``/var/cache/libvirt/qemu/capabilities/<sha256 of the binary's path>.xml``) and the
``domcapabilities`` output, raw and normalised (``CACHE_DROPPED`` and ``DOMCAPS_DROPPED`` list
what normalisation removes and why), and the set of capability flags (``<flag name=.../>``).
A probe takes a few seconds; the same arguments are probed once per daemon.

``flag_table(columns)`` renders flags x binaries as text for the test output; ``differing_flags``
picks the rows whose value differs between columns.

Typical use (see ``tests/libvirt/fixtures.py`` for the session fixture that starts and stops the
daemon)::

    a, b = libvirtd.probe(build_a / "qemu-system-x86_64"), libvirtd.probe(build_b / "...")
    assert a.cache == b.cache, unified_diff(a.cache, b.cache, "a", "b")
    print(flag_table({"a": a.flags, "b": b.flags}))
"""

from __future__ import annotations

import difflib
import hashlib
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent.parent
LIBVIRT_SETUP: Final = REPO / "scripts" / "libvirt-setup"
QMP_FILTER: Final = Path(__file__).resolve().parent / "qmp_filter.py"
LIBVIRTD: Final = "/usr/sbin/libvirtd"
VIRSH: Final = "virsh"

#: Children of ``<qemuCaps>`` (libvirt's capabilities cache) that normalisation removes. They
#: say where and when a binary was probed, not what libvirt concluded about it: libvirt keeps
#: them to decide whether the cached probe is still valid.
CACHE_DROPPED: Final[Mapping[str, str]] = {
    "emulator": "the binary's path (each build lives in its own directory)",
    "qemuctime": "the binary's ctime (when it was built or copied)",
    "qemumoddirmtime": "the mtime of QEMU's module directory on this machine",
    "selfctime": "the ctime of libvirtd itself",
    "selfvers": "libvirt's own version, not the binary's",
    "microcodeVersion": "the host CPU's microcode (same for every binary probed on one machine)",
    "hostCPUSignature": "the host CPU's vendor/family/model (ditto)",
    "kernelVersion": "the host kernel's version and build time (ditto)",
}
#: Children of ``<domainCapabilities>`` (``virsh domcapabilities``) that normalisation removes.
DOMCAPS_DROPPED: Final[Mapping[str, str]] = {
    "path": "the binary's path (each build lives in its own directory)",
}

_MOUNTS: Final = (("etc", "/etc/libvirt"), ("cache", "/var/cache/libvirt"),
                  ("lib", "/var/lib/libvirt"), ("log", "/var/log/libvirt"),
                  ("run", "/run/libvirt"))

_LIBVIRTD_CONF: Final = """\
# Private libvirtd for qapic's tests: only this root-owned socket, no authentication.
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
unix_sock_admin_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
"""

# Run QEMU as root: no libvirt-qemu permissions on the build directories needed.
_QEMU_CONF: Final = """\
user = "root"
group = "root"
"""

# Runs inside the new mount namespace (mount propagation private: nothing leaks out).
_NAMESPACE_SCRIPT: Final = """\
set -e
root=$1; shift
while [ $# -gt 0 ]; do
    mkdir -p "$2"
    mount --bind "$root/$1" "$2"
    shift 2
done
exec {libvirtd} --config /etc/libvirt/libvirtd.conf --pid-file /run/libvirt/libvirtd.pid
"""


class LibvirtError(Exception):
    """libvirt could not be installed, started or asked; the message has the details."""


def ensure_installed() -> None:
    """Install libvirt when missing (scripts/libvirt-setup); raise LibvirtError if that fails."""
    proc = subprocess.run([str(LIBVIRT_SETUP)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LibvirtError(f"scripts/libvirt-setup failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")


def _element_text(xml: str, tag: str) -> str | None:
    node = ET.fromstring(xml).find(tag)
    return None if node is None else (node.text or "")


def normalise(xml: str, dropped: Iterable[str]) -> str:
    """*xml* without the top-level children named in *dropped*, re-indented."""
    root = ET.fromstring(xml)
    names = set(dropped)
    for child in list(root):
        if child.tag in names:
            root.remove(child)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def cache_flags(xml: str) -> frozenset[str]:
    """The capability flags (``<flag name=.../>``) of a capabilities cache file."""
    return frozenset(f.attrib["name"] for f in ET.fromstring(xml).iter("flag"))


@dataclass(frozen=True)
class Probe:
    """What libvirt recorded for one binary: raw and normalised."""

    binary: Path
    cache_raw: str
    domcaps_raw: str
    seconds: float

    @cached_property
    def cache(self) -> str:
        """The capabilities cache without ``CACHE_DROPPED``."""
        return normalise(self.cache_raw, CACHE_DROPPED)

    @cached_property
    def domcaps(self) -> str:
        """``virsh domcapabilities`` without ``DOMCAPS_DROPPED``."""
        return normalise(self.domcaps_raw, DOMCAPS_DROPPED)

    @cached_property
    def flags(self) -> frozenset[str]:
        return cache_flags(self.cache_raw)

    def save(self, directory: Path, label: str) -> None:
        """Write the normalised XML as LABEL.caps.xml and LABEL.domcaps.xml (for inspection)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{label}.caps.xml").write_text(self.cache)
        (directory / f"{label}.domcaps.xml").write_text(self.domcaps)


class Libvirtd:
    """A private libvirtd running as root under *root* (see the module docstring).

    ``start()`` waits until the QEMU driver answers; ``stop()`` ends the daemon by its pid and
    kills (and reports) any process still left in its mount namespace. Use it as a context
    manager, or through the session fixture ``libvirtd`` of ``tests/libvirt/fixtures.py``.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None
        self._namespace: str | None = None
        self._probes: dict[tuple[str, str | None, str | None, str], Probe] = {}
        #: Processes that were still running in the daemon's namespace after it stopped.
        self.leftovers: list[str] = []

    @property
    def socket(self) -> Path:
        return self.root / "run" / "libvirt-sock"

    @property
    def uri(self) -> str:
        return f"qemu:///system?socket={self.socket}"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache" / "qemu" / "capabilities"

    def log(self, tail: int = 4000) -> str:
        """The end of the daemon's log and of its stdout/stderr."""
        parts = []
        for path in (self.root / "daemon.out", self.root / "log" / "libvirtd.log"):
            if path.exists():
                parts.append(f"--- {path.name}:\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def start(self, timeout: float = 60) -> None:
        if self.proc is not None:
            raise LibvirtError("libvirtd already started")
        for sub, _ in _MOUNTS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "etc" / "libvirtd.conf").write_text(_LIBVIRTD_CONF)
        (self.root / "etc" / "qemu.conf").write_text(_QEMU_CONF)
        mounts = [part for pair in _MOUNTS for part in pair]
        script = _NAMESPACE_SCRIPT.format(libvirtd=LIBVIRTD)
        with open(self.root / "daemon.out", "wb") as out:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--",
                 "/bin/sh", "-c", script, "sh", str(self.root), *mounts],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.proc.poll() is not None:
                    raise LibvirtError(f"libvirtd exited ({self.proc.returncode}) while "
                                       f"starting:\n{self.log()}")
                if self.socket.exists():
                    # The socket exists before the drivers are initialised; this waits for
                    # them and fails when the QEMU driver did not come up.
                    check = subprocess.run([VIRSH, "-c", self.uri, "uri"],
                                           capture_output=True, text=True, timeout=timeout)
                    if check.returncode == 0:
                        break
                if time.monotonic() > deadline:
                    raise LibvirtError(f"libvirtd did not answer within {timeout} s:\n"
                                       f"{self.log()}")
                time.sleep(0.1)
            self._namespace = os.readlink(f"/proc/{self.proc.pid}/ns/mnt")
            if self._namespace == os.readlink("/proc/self/ns/mnt"):
                raise LibvirtError("libvirtd is not in a mount namespace of its own")
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL) by its pid; kill what it left running."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._namespace is not None:
            for pid in pids_in_namespace(self._namespace):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    continue
                words = cmdline.replace(b"\0", b" ").decode(errors="replace")
                self.leftovers.append(f"{pid}: {words}")

    def __enter__(self) -> Libvirtd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def virsh(self, *args: str, timeout: float = 300) -> str:
        """The stdout of ``virsh -c URI ARGS``; LibvirtError with the daemon's log if it fails."""
        if self.proc is None:
            raise LibvirtError("libvirtd is not running")
        proc = subprocess.run([VIRSH, "-c", self.uri, *args], capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise LibvirtError(f"virsh {' '.join(args)} failed ({proc.returncode}): "
                               f"{proc.stderr.strip()}\n{self.log()}")
        return proc.stdout

    def cache_file(self, binary: Path) -> Path:
        """The capabilities cache file libvirt wrote for *binary* (found by its <emulator>)."""
        for path in sorted(self.cache_dir.glob("*.xml")):
            if _element_text(path.read_text(), "emulator") == str(binary):
                return path
        raise LibvirtError(f"no capabilities cache for {binary} in {self.cache_dir}")

    def probe(self, binary: Path | str, *, arch: str | None = None, machine: str | None = None,
              virttype: str = "qemu") -> Probe:
        """Make libvirt probe *binary* as in production and return what it recorded.

        *arch* and *machine* go to ``virsh domcapabilities`` (default: libvirt's choice for the
        binary). The result is kept: probing the same arguments again returns it.
        """
        path = Path(os.path.abspath(binary))
        key = (str(path), arch, machine, virttype)
        if key in self._probes:
            return self._probes[key]
        args = ["domcapabilities", "--emulatorbin", str(path), "--virttype", virttype]
        if arch:
            args += ["--arch", arch]
        if machine:
            args += ["--machine", machine]
        start = time.monotonic()
        domcaps = self.virsh(*args)
        seconds = time.monotonic() - start
        result = Probe(path, self.cache_file(path).read_text(), domcaps, seconds)
        self._probes[key] = result
        return result


#: libvirt's name of a QEMU target's architecture, where it is not the target's name
#: (libvirt's ``virArch`` names; ``virsh domcapabilities`` assumes the host's without ``--arch``).
_LIBVIRT_ARCH: Final[Mapping[str, str]] = {
    "arm": "armv7l", "i386": "i686",
}


def libvirt_arch(target: str) -> str:
    """libvirt's architecture name for QEMU's softmmu *target* (``qemu-system-TARGET``)."""
    return _LIBVIRT_ARCH.get(target, target)


def flags_from_commands(libvirtd: Libvirtd, binary: Path, commands: Collection[str],
                        directory: Path, *, arch: str | None = None) -> frozenset[str]:
    """The flags libvirt derives from *commands* on *binary*: measured, not assumed, as the
    flags that disappear when the same binary is probed with those commands removed from its
    QMP interface (``filtered_emulator``)."""
    full = libvirtd.probe(binary, arch=arch)
    without = libvirtd.probe(filtered_emulator(directory, binary, commands), arch=arch)
    return full.flags - without.flags


def pids_in_namespace(namespace: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "ns" / "mnt") == namespace:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def filtered_emulator(directory: Path, qemu: Path, drop: Collection[str]) -> Path:
    """An emulator for libvirt that is *qemu* with the commands *drop* missing from its QMP
    interface (``qmp_filter.py``); with *drop* empty, a relay that must change nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\0".join([str(qemu), *sorted(drop)]).encode()).hexdigest()
    wrapper = directory / f"{qemu.name}-filtered-{digest[:16]}"
    drops = " ".join(f"--drop '{c}'" for c in sorted(drop))
    wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{QMP_FILTER}' --qemu '{qemu}' "
                       f"{drops} -- \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def differing_flags(columns: Mapping[str, Collection[str]]) -> list[str]:
    """The flags that some columns have and others have not, sorted."""
    sets = [frozenset(v) for v in columns.values()]
    if not sets:
        return []
    return sorted(frozenset().union(*sets) - sets[0].intersection(*sets[1:]))


def flag_table(columns: Mapping[str, Collection[str]], rows: Iterable[str] | None = None) -> str:
    """A text table, one row per flag (default: ``differing_flags``), one column per label:
    ``x`` where that column's binary has the flag, ``-`` where it has not. A label with line
    breaks makes a header of several lines (e.g. ``"x86_64\nsingle"``)."""
    names = list(rows) if rows is not None else differing_flags(columns)
    labels = list(columns)
    heads = [label.split("\n") for label in labels]
    depth = max([1, *(len(h) for h in heads)])
    heads = [[""] * (depth - len(h)) + h for h in heads]
    width = max([len("flag"), *(len(n) for n in names)])
    widths = [max(len(part) for part in h) for h in heads]

    def line(first: str, cells: Iterable[str]) -> str:
        return "  ".join([f"{first:<{width}}", *(f"{c:^{w}}" for c, w in zip(cells, widths,
                                                                            strict=True))]).rstrip()

    lines = [line("flag" if i == depth - 1 else "", (h[i] for h in heads)) for i in range(depth)]
    lines.append(line("-" * width, ("-" * w for w in widths)))
    lines += [line(name, ("x" if name in columns[lab] else "-" for lab in labels))
              for name in names]
    if not names:
        lines.append("(no flag differs)")
    return "\n".join(lines)


def differences(a: Probe, b: Probe, a_name: str = "a", b_name: str = "b") -> str | None:
    """None when libvirt recorded the same for *a* and *b* (normalised capabilities cache and
    domcapabilities), else what differs: the flags, then the diffs of the XML."""
    parts = []
    if a.flags != b.flags:
        parts.append(f"flags only for {a_name}: {sorted(a.flags - b.flags)}; "
                     f"only for {b_name}: {sorted(b.flags - a.flags)}")
    if a.cache != b.cache:
        parts.append("capabilities cache:\n"
                     + unified_diff(a.cache, b.cache, a_name, b_name))
    if a.domcaps != b.domcaps:
        parts.append("domcapabilities:\n" + unified_diff(a.domcaps, b.domcaps, a_name, b_name))
    return "\n".join(parts) or None


def unified_diff(a: str, b: str, a_name: str, b_name: str, limit: int = 200) -> str:
    """The first *limit* lines of a unified diff of two normalised XML texts."""
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), a_name, b_name,
                                      lineterm=""))
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more
