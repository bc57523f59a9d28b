"""Fixtures for the bindings' proofs against real QEMU.

- ``qemu_build`` and ``qemu_build_10_2`` (tests/qemu/fixtures.py): the suite's QEMU 10.0 and
  10.2.2 builds, cached under the qapic cache (a cold build takes minutes);
- ``qemu_binary(build, target)``: the ``qemu-system-TARGET`` of one of :data:`BUILDS`, the build
  made first when missing;
- ``debian_7_2(target)``: Debian 12's installed ``qemu-system-TARGET`` (QEMU 7.2, installed with
  apt-get when missing, as tests/live does);
- ``start_qemu(binary)``: a QEMU process (``-machine none -nodefaults -display none -S``) whose
  QMP monitor is one end of a ``socket.socketpair()``; returns the other end, connected.  The
  processes are ended when the test ends;
- :class:`Wiretap`: qemu.qmp's client keeping what went over the socket (set as a typed
  client's ``qmp`` before it connects), and :func:`as_json`: a decoded value encoded back.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Final

import pytest
from qemu.qmp import QMPClient
from qemu.qmp.message import Message

from tests.live.qemu_binaries import InstallError, binary, ensure_installed, version_of
from tests.qemu import SINGLE_TARGETS, TARGETS_10_2, QemuBuild
from tests.qemu.fixtures import qemu_build, qemu_build_10_2

__all__ = ["qemu_build", "qemu_build_10_2"]

#: The suite's builds of QEMU: name -> (scripts/qemu-build generator, QEMU source key).
#: "upstream" is built with upstream's own generator (per target); "single" with ``qapic
#: qemu-setup --single-binary`` (QAPI compiled once; for 10.2 with the conditions qapic carries
#: forward from 10.0, decided per binary at run time).
BUILDS: Final = {
    "10.0-upstream": ("upstream", "10.0"),
    "10.0-single": ("single", "10.0"),
    "10.2-upstream": ("upstream", "10.2"),
    "10.2-single": ("single", "10.2"),
}

#: The Debian 12 (QEMU 7.2) binaries the multi-release proof uses.
DEBIAN_TARGETS: Final = ("aarch64", "s390x", "x86_64")


def build_targets(build: str) -> tuple[str, ...]:
    """The qemu-system-X targets *build* has."""
    return SINGLE_TARGETS if BUILDS[build][1] == "10.0" else TARGETS_10_2


@pytest.fixture(scope="session")
def qemu_builds(qemu_build: Callable[[str], QemuBuild],
                qemu_build_10_2: Callable[[str], QemuBuild]) -> Callable[[str], QemuBuild]:
    """``qemu_builds(name)``: the build *name* of :data:`BUILDS`."""

    def get(name: str) -> QemuBuild:
        generator, qemu = BUILDS[name]
        return qemu_build(generator) if qemu == "10.0" else qemu_build_10_2(generator)

    return get


@pytest.fixture(scope="session")
def qemu_binary(qemu_builds: Callable[[str], QemuBuild]) -> Callable[[str, str], Path]:
    def get(build: str, target: str) -> Path:
        path = qemu_builds(build).system(target)
        assert path.is_file(), f"{build}: no {path.name}"
        return path

    return get


@pytest.fixture(scope="session")
def debian_7_2() -> Callable[[str], Path]:
    """``debian_7_2(target)``: Debian 12's ``/usr/bin/qemu-system-TARGET`` (QEMU 7.2)."""
    try:
        ensure_installed(list(DEBIAN_TARGETS))
    except InstallError as err:
        pytest.fail(f"Debian's QEMU 7.2 binaries unavailable: {err}", pytrace=False)
    for target in DEBIAN_TARGETS:
        version = version_of(target)
        assert version.startswith("QEMU emulator version 7.2."), (target, version)

    def get(target: str) -> Path:
        assert target in DEBIAN_TARGETS, target
        return binary(target)

    return get


BASE_ARGS: Final = ("-machine", "none", "-nodefaults", "-display", "none", "-S")


class QemuProcesses:
    """The QEMU processes a test started (ended by :meth:`close`)."""

    def __init__(self) -> None:
        self._running: list[tuple[Path, subprocess.Popen[bytes], IO[bytes]]] = []
        self._sockets: list[socket.socket] = []

    def start(self, program: Path) -> socket.socket:
        ours, theirs = socket.socketpair()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        fd = theirs.fileno()
        try:
            proc = subprocess.Popen(
                [str(program), *BASE_ARGS, "-chardev", f"socket,id=qmp,fd={fd}",
                 "-mon", "chardev=qmp,mode=control"],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr)
        except BaseException:
            ours.close()
            stderr.close()
            raise
        finally:
            theirs.close()
        self._running.append((program, proc, stderr))
        self._sockets.append(ours)
        return ours

    def stderr(self) -> str:
        """What the processes wrote to their stderr so far."""
        out = []
        for program, _proc, f in self._running:
            f.seek(0)
            text = f.read().decode(errors="replace")
            if text:
                out.append(f"{program.name}: {text}")
        return "\n".join(out)

    def close(self) -> None:
        """End the processes; what they wrote to stderr is printed (pytest shows it when the
        test failed)."""
        text = self.stderr()
        if text.strip():
            print(text)
        for _program, proc, f in self._running:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
            f.close()
        for sock in self._sockets:
            sock.close()            # already closed when the client disconnected
        self._running.clear()
        self._sockets.clear()


@pytest.fixture
def start_qemu() -> Iterator[Callable[[Path], socket.socket]]:
    """``start_qemu(binary)``: a new QEMU process; returns the connected end of its QMP
    socket (the greeting waits there; nothing has been said).  Ended with the test."""
    processes = QemuProcesses()
    yield processes.start
    processes.close()


class Wiretap(QMPClient):
    """qemu.qmp's client, keeping every message it writes to the socket and reads from it."""

    def __init__(self) -> None:
        super().__init__("qapic-bindings-test")
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

    def _do_send(self, msg: Message) -> None:
        self.sent.append(dict(msg))
        super()._do_send(msg)

    async def _do_recv(self) -> Message:
        msg = await super()._do_recv()
        self.received.append(dict(msg))
        return msg

    def last(self, command: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The last *command* sent and QEMU's reply to it, as they went over the socket."""
        sent = [m for m in self.sent if m.get("execute") == command]
        assert sent, f"{command} was never sent"
        replies = [m for m in self.received if "id" in m and m["id"] == sent[-1].get("id")]
        assert len(replies) == 1, (command, replies)
        return sent[-1], replies[0]


def as_json(value: Any, pkg: ModuleType, wire: ModuleType, release: str) -> Any:
    """The JSON of a decoded reply, encoded back by the package (``wire.encode``)."""
    if isinstance(value, list):
        return [as_json(v, pkg, wire, release) for v in value]
    if value is pkg.NULL:
        return None
    if hasattr(type(value), "_qapi_name"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # deprecated members of the reply
            return wire.encode(value, release=release)
    return value
