"""A planted fault for the libvirt tests: a QEMU whose QMP interface lacks some commands.

Used as libvirt's emulator binary (through a small shell wrapper that ``probe.filtered_emulator``
writes)::

    python3 qmp_filter.py --qemu REAL_QEMU [--drop COMMAND]... -- QEMU-ARGS...

libvirt probes a binary by running it with ``-qmp unix:PATH,server=on,wait=off -pidfile FILE
-daemonize`` and then talking QMP on PATH. This program takes QEMU's place: it listens on PATH
itself, runs the real QEMU (not daemonized, killed with this process) with its QMP socket
elsewhere, writes its own pid to FILE, and relays QMP in both directions, removing each dropped
command from the replies to ``query-commands`` and ``query-qmp-schema``. Everything else libvirt
sees comes from the real binary unchanged; with no ``--drop`` libvirt must record exactly what it
records for the real binary (the tests check that control too).

Standard library only: libvirt runs it with a cleared environment.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _split_args(args: list[str]) -> tuple[str, str, list[str]]:
    """(QMP socket path, pid file, the other arguments) of libvirt's probe command line."""
    monitor = pidfile = None
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "-qmp":
            spec = next(it)
            if not spec.startswith("unix:"):
                raise SystemExit(f"qmp_filter: unsupported -qmp {spec}")
            monitor = spec[len("unix:"):].split(",")[0]
        elif arg == "-pidfile":
            pidfile = next(it)
        elif arg != "-daemonize":
            rest.append(arg)
    if monitor is None or pidfile is None:
        raise SystemExit("qmp_filter: expected -qmp unix:PATH,... and -pidfile FILE")
    return monitor, pidfile, rest


def _filter_reply(command: str, reply: dict[str, Any], drop: set[str]) -> dict[str, Any]:
    ret = reply.get("return")
    if not isinstance(ret, list):
        return reply
    if command == "query-commands":
        reply["return"] = [c for c in ret if c.get("name") not in drop]
    elif command == "query-qmp-schema":
        reply["return"] = [e for e in ret
                           if not (e.get("meta-type") == "command" and e.get("name") in drop)]
    return reply


def _relay(client: socket.socket, qemu: socket.socket, drop: set[str]) -> None:
    """Relay JSON lines until either side closes; filter the replies of the tracked commands."""
    pending: dict[str, str] = {}     # request id -> command name
    buffers = {client: b"", qemu: b""}
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ)
    sel.register(qemu, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data = sock.recv(1 << 16)
            if not data:
                return
            buffers[sock] += data
            *lines, buffers[sock] = buffers[sock].split(b"\n")
            for raw in lines:
                line = raw.rstrip(b"\r")
                if sock is client:
                    try:
                        msg = json.loads(line)
                        if isinstance(msg, dict) and "id" in msg:
                            pending[json.dumps(msg["id"])] = str(msg.get("execute"))
                    except ValueError:
                        pass
                    qemu.sendall(line + b"\n")
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    client.sendall(line + b"\n")
                    continue
                if isinstance(msg, dict) and "id" in msg:
                    command = pending.pop(json.dumps(msg["id"]), "")
                    msg = _filter_reply(command, msg, drop)
                    line = json.dumps(msg).encode()
                client.sendall(line + b"\r\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--drop", action="append", default=[])
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    monitor, pidfile, rest = _split_args(args)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(monitor)
    listener.listen(1)
    pid = os.fork()
    if pid:
        # The foreground process returns like 'qemu -daemonize' does, once the monitor listens.
        with open(pidfile, "w") as f:
            f.write(f"{pid}\n")
        return 0
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with tempfile.TemporaryDirectory(prefix="qmp-filter-") as tmp:
        inner = os.path.join(tmp, "qmp.sock")
        qemu_proc = subprocess.Popen(
            [opts.qemu, *rest, "-qmp", f"unix:{inner},server=on,wait=off"],
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 30
        qemu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                qemu.connect(inner)
                break
            except OSError:
                if qemu_proc.poll() is not None or time.monotonic() > deadline:
                    return 1
                time.sleep(0.02)
        client, _ = listener.accept()
        try:
            _relay(client, qemu, set(opts.drop))
        finally:
            qemu_proc.kill()
            qemu_proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
