"""Talking QMP to a harness: requests pipelined in batches, each followed by a sync request.

A batch is written by a thread while the replies are read (neither side's pipe can fill up and
block the other).  Everything the harness writes between a request and the sync reply after it
is that request's answer, so a request answered by nothing, by several errors or by events is
recorded exactly.  A harness that dies is a *crash* at the request whose sync reply is missing
(its exit status and the end of its stderr recorded); one that does not answer within the
timeout is a *hang*.  Either way the harness is restarted for the rest of the batch.

Starting a harness (its greeting and the capabilities negotiation) has a bound of its own,
*start_timeout*: a harness slow to start on a loaded machine is not a hang, and the request
timeout can be short.  How each process ended is kept (:meth:`Harness.reports`): a sanitizer's
report, in a process that died at a request or at the end, is a report of the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from qapic.proof.fuzz.request import wire

SYNC = b'{"execute":"query-name","id":"qapic-fuzz-sync-%d"}\n'
_SYNC_RE = re.compile(rb'^\{"return": .*"id": "qapic-fuzz-sync-(\d+)"\}$')
_TIMESTAMP = re.compile(rb'"timestamp": \{"seconds": -?\d+, "microseconds": -?\d+\}')
BASE_ARGS = ("-machine", "none", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio")
#: What a sanitizer writes to stderr (UBSan "runtime error", ASan and LeakSanitizer reports).
REPORT_MARKERS = ("Sanitizer", "runtime error:", "==ERROR", "SUMMARY:")
#: How long a harness may take to start (greeting and capabilities), whatever the request
#: timeout: a normal start under ASan on a loaded machine takes a second or more.
START_TIMEOUT = 60.0


@dataclass
class Failure:
    kind: str       # "crash" or "hang"
    detail: str


Answer = tuple[bytes, ...] | Failure


class StartError(RuntimeError):
    """A harness did not start: no greeting, or the capabilities negotiation failed."""


@dataclass
class Ended:
    """How one harness process ended: at ``quit`` (the end of a session), or killed by the
    fuzzer after a "crash" or "hang" of a request."""

    how: str        # "quit", "crash" or "hang"
    status: int
    stderr: str


def normalise(line: bytes) -> bytes:
    """An event's timestamp (the wall clock) made constant."""
    return _TIMESTAMP.sub(b'"timestamp": {"seconds": 0, "microseconds": 0}', line)


class Harness:
    """A harness process, QMP capabilities negotiated."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None,
                 timeout: float = 30.0, start_timeout: float = START_TIMEOUT) -> None:
        self.argv = [*argv, *BASE_ARGS]
        self.env = dict(os.environ, LC_ALL="C", **(env or {}))
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.ended: list[Ended] = []         # the processes that ended, in order
        #: Whether a process that crashes or hangs is kept in :attr:`ended` (off while
        #: shrinking: its candidates make the same fault fire again and again).
        self.recording = True
        self.processes = 0
        self._start()

    def _start(self) -> None:
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _stop)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, env=self.env)
        self.processes += 1
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._fd, selectors.EVENT_READ)
        self._buf = b""
        self._sync = 0
        # Bounded by start_timeout, not by the request timeout.
        deadline = time.monotonic() + self.start_timeout
        greeting = self._line(self.start_timeout)
        if greeting is None:
            self._failed_start(f"no QMP greeting within {self.start_timeout:g} s")
        if not greeting.startswith(b'{"QMP":'):
            self._failed_start(f"no QMP greeting but {greeting[:200]!r}")
        self._sync += 1
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(b'{"execute":"qmp_capabilities"}\n' + SYNC % self._sync)
            self.proc.stdin.flush()
        except OSError as err:
            self._failed_start(f"cannot write to it: {err}")
        replies = [self._line(max(deadline - time.monotonic(), 0.0)) for _ in range(2)]
        sync = _SYNC_RE.match(replies[1] or b"")
        if replies[0] != b'{"return": {}}' or not sync or int(sync.group(1)) != self._sync:
            self._failed_start(f"qmp_capabilities failed within {self.start_timeout:g} s: "
                               f"{replies!r}")

    def _failed_start(self, why: str) -> NoReturn:
        _status, err = self._stop(kill=True)
        raise StartError(f"{self.argv[0]}: {why}; stderr: {err[-2000:]}")

    def _stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode(errors="replace")

    def _line(self, timeout: float) -> bytes | None:
        """The next line, b"" at end of file, None on timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._sel.select(left):
                return None
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                return b""
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def batch(self, texts: Sequence[str]) -> list[Answer]:
        """The answer to each of *texts*, in order."""
        answers: list[Answer] = []
        while len(answers) < len(texts):
            answers += self._batch(texts[len(answers):])
        return answers

    def _batch(self, texts: Sequence[str]) -> list[Answer]:
        first = self._sync + 1
        data = bytearray()
        for t in texts:
            self._sync += 1
            data += wire(t) + b"\n" + SYNC % self._sync
        stdin = self.proc.stdin
        assert stdin is not None

        def write() -> None:
            # The harness may die (and be replaced) while this is written.
            with contextlib.suppress(OSError, ValueError):
                stdin.write(bytes(data))
                stdin.flush()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers: list[Answer] = []
        current: list[bytes] = []
        while len(answers) < len(texts):
            line = self._line(self.timeout)
            if not line:
                kind = "hang" if line is None else "crash"
                status, err = self._stop(kill=line is None)
                if self.recording:
                    self.ended.append(Ended(kind, status, err))
                answers.append(Failure(kind, f"exit status {status}; stderr: {err[-3000:]}"))
                writer.join()
                self._start()
                return answers
            m = _SYNC_RE.match(line)
            if m and int(m.group(1)) == first + len(answers):
                answers.append(tuple(current))
                current = []
            else:
                current.append(normalise(line))
        writer.join()
        return answers

    def _stop(self, kill: bool) -> tuple[int, str]:
        if kill:
            self.proc.kill()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()
        try:
            status = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        err = self._stderr()
        self._sel.close()
        self._err.close()
        return status, err

    def close(self) -> None:
        """Quit (the sanitizers' exit-time checks run then) and keep the status and stderr."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'{"execute":"quit"}\n')
                self.proc.stdin.close()
            # Read to the end: the harness's last words must not meet a closed pipe.
            while self._line(self.timeout):
                pass
        status, err = self._stop(kill=self.proc.poll() is None)
        self.ended.append(Ended("quit", status, err))

    def reports(self) -> list[str]:
        """The sanitizer reports of the processes that ended (a process that died at a request
        with a report on its stderr: a sanitizer stopped it), and the processes that did not
        exit 0 at the end (a report at exit, e.g. a leak, ends with the sanitizer's status).
        A crash without a report is a finding of its request only; a hang is killed."""
        out = []
        for e in self.ended:
            marked = any(m in e.stderr for m in REPORT_MARKERS)
            if marked or (e.how == "quit" and e.status != 0):
                out.append(f"exit status {e.status}"
                           f"{'' if e.how == 'quit' else f' ({e.how} of a request)'}: "
                           f"{e.stderr[-3000:]}")
        return out
