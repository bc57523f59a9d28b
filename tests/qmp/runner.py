"""Run a QMP request corpus against a QEMU binary, normalise the replies, compare two runs.

The corpus is ``tests/qmp/corpus/*.jsonl``: one request per line, sent over ``-qmp stdio`` to a
fresh ``qemu-system-X -machine none -nodefaults -display none -S`` per file (the requests of a
file share one process, in order; files are independent). A line holding a JSON *string* is sent
as that string's raw text (malformed JSON, odd spacing); any other JSON value is sent as its
compact serialisation. Blank lines are ignored. In a raw string, the lone surrogates
U+DC80..U+DCFF (``\udc80``..``\udcff``) stand for the bytes 0x80..0xFF: how a line carries bytes
that are not UTF-8 (Python's ``surrogateescape``; ``qapic fuzz`` writes its reproducers so).

After each request the runner sends a sync request (``query-name`` with an id of its own) and
collects every message up to the sync reply: so a request that produces several messages (a parse
error per token, events) or none is recorded exactly, and a request that hangs is reported as a
timeout instead of blocking the suite.

Command line (handy while debugging a backend)::

    python -m tests.qmp.runner BINARY [--save FILE] [--compare FILE] [--only NAME] [-- QEMU-ARGS]
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

CORPUS: Final = Path(__file__).resolve().parent / "corpus"
BASE_ARGS: Final = ("-machine", "none", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio")
SYNC_ID: Final = "qmp-corpus-sync"
REPLY_TIMEOUT: Final = 30.0
NON_JSON: Final = "non-JSON line"
RUNNER_ERROR: Final = "runner error"

JSON = Any


@dataclass(frozen=True)
class Request:
    """One corpus line."""

    file: str
    line: int
    text: str  # exactly what is sent (without the newline)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Exchange:
    """A request and the normalised messages QEMU sent back before the sync reply."""

    request: Request
    replies: list[JSON] = field(default_factory=list)

    def as_json(self) -> JSON:
        return {"where": self.request.where, "request": self.request.text,
                "replies": self.replies}


@dataclass
class Run:
    """A corpus run against one binary: the greeting and exchanges of each file, in order."""

    greetings: dict[str, JSON] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    stderr: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> JSON:
        return {"greetings": self.greetings,
                "exchanges": [e.as_json() for e in self.exchanges]}


class QMPError(Exception):
    """The QEMU process misbehaved: died or timed out."""


# --- corpus ---------------------------------------------------------------------------------

def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    return sorted(corpus.glob("*.jsonl"))


def load_file(path: Path) -> list[Request]:
    requests = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path.name}:{n}: not a JSON line: {e}") from e
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        requests.append(Request(path.stem, n, text))
    return requests


def load_corpus(corpus: Path = CORPUS) -> dict[str, list[Request]]:
    return {p.stem: load_file(p) for p in corpus_files(corpus)}


# --- normalisation --------------------------------------------------------------------------

_AUTO_NODE = re.compile(r"#block\d+")
_VOLATILE_KEYS: Final = frozenset({"thread-id"})


def normalise(msg: JSON) -> JSON:
    """Replace what legitimately varies between runs of the same binary.

    - event timestamps (wall clock);
    - auto-generated block node names ``#blockNNN`` (a global counter);
    - thread ids (``query-iothreads``, ``query-cpus-fast``...).
    """
    if isinstance(msg, dict) and "event" in msg and "timestamp" in msg:
        msg = dict(msg, timestamp={"seconds": 0, "microseconds": 0})
    return _scrub(msg)


def _scrub(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {k: ("<thread-id>" if k in _VOLATILE_KEYS and isinstance(v, int) else _scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return _AUTO_NODE.sub("#block<N>", value)
    return value


# --- talking to QEMU ------------------------------------------------------------------------

class QMPProcess:
    """A QEMU process with QMP on its stdio, capabilities negotiated."""

    def __init__(self, binary: Path | str, extra_args: Sequence[str] = (),
                 timeout: float = REPLY_TIMEOUT) -> None:
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.proc = subprocess.Popen(
            [str(binary), *BASE_ARGS, *extra_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=dict(os.environ, LC_ALL="C"),
        )
        assert self.proc.stdout is not None
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)
        self._buf = b""
        self._sync = 0
        self.greeting: JSON = self._read()
        if not (isinstance(self.greeting, dict) and "QMP" in self.greeting):
            raise QMPError(f"unexpected greeting {self.greeting!r}")
        reply = self.exchange('{"execute":"qmp_capabilities"}')
        if reply != [{"return": {}}]:
            raise QMPError(f"qmp_capabilities failed: {reply!r}")

    def __enter__(self) -> QMPProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _readline(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._sel.select(left):
                raise QMPError(f"no reply within {self.timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise QMPError(f"QEMU closed its output (exit status {self.proc.poll()}); "
                               f"stderr: {self.stderr()[-2000:]}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def _read(self) -> JSON:
        line = self._readline().rstrip(b"\r")
        try:
            return json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            # Recorded, not fatal: e.g. QEMU 7.2 echoes the id 1e999 as "inf".
            return {NON_JSON: line.decode(errors="backslashreplace")}

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        try:
            # Lone surrogates U+DC80..U+DCFF stand for the bytes 0x80..0xFF (not UTF-8).
            self.proc.stdin.write(text.encode("utf-8", "surrogateescape") + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError as e:
            raise QMPError(f"QEMU is gone; stderr: {self.stderr()[-2000:]}") from e

    def exchange(self, text: str) -> list[JSON]:
        """Send *text*, then a sync request; return every message before the sync reply."""
        self._sync += 1
        sync_id = f"{SYNC_ID}-{self._sync}"
        self.send(text)
        self.send(json.dumps({"execute": "query-name", "id": sync_id}))
        out: list[JSON] = []
        while True:
            msg = self._read()
            if isinstance(msg, dict) and msg.get("id") == sync_id:
                if "return" not in msg:
                    raise QMPError(f"sync request failed after {text!r}: {msg!r}")
                return out
            out.append(msg)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send('{"execute":"quit"}')
                self.proc.wait(timeout=10)
            except (QMPError, subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                # Closing stdin flushes it: a program that died mid-file broke the pipe.
                with contextlib.suppress(OSError):
                    f.close()
        self._sel.close()
        self._stderr.close()


def run_corpus(binary: Path | str, corpus: dict[str, list[Request]] | None = None,
               extra_args: Sequence[str] = ()) -> Run:
    """Run every file of *corpus* (default: the repository's) in its own QEMU process.

    A request after which QEMU dies or stops answering is recorded with a ``RUNNER_ERROR``
    message; the rest of its file runs in a new process.
    """
    if corpus is None:
        corpus = load_corpus()
    run = Run()
    for name, requests in corpus.items():
        qmp = QMPProcess(binary, extra_args)
        run.greetings[name] = normalise(qmp.greeting)
        stderr = []
        try:
            for req in requests:
                try:
                    replies = qmp.exchange(req.text)
                except QMPError as e:
                    # Without the exit status: whether QEMU was reaped yet is a matter of timing.
                    replies = [{RUNNER_ERROR: re.sub(r" \(exit status [^)]*\)", "",
                                                     str(e).split("; stderr:")[0])}]
                    stderr.append(f"--- after {req.where}\n{qmp.stderr()}")
                    qmp.close()
                    qmp = QMPProcess(binary, extra_args)
                run.exchanges.append(Exchange(req, [normalise(m) for m in replies]))
            stderr.append(qmp.stderr())
        finally:
            qmp.close()
        run.stderr[name] = "".join(stderr)
    return run


# --- checking and comparing -----------------------------------------------------------------

def malformed_message(msg: JSON) -> str | None:
    """Why *msg* is not a well-formed QMP reply or event, or None when it is."""
    if not isinstance(msg, dict):
        return "not a JSON object"
    if NON_JSON in msg:
        return "not JSON"
    if RUNNER_ERROR in msg:
        return f"QEMU failed: {msg[RUNNER_ERROR]}"
    keys = set(msg) - {"id"}
    if keys == {"return"}:
        return None
    if keys == {"error"}:
        err = msg["error"]
        if not isinstance(err, dict) or set(err) != {"class", "desc"}:
            return "error is not an object with exactly 'class' and 'desc'"
        if not isinstance(err["class"], str) or not isinstance(err["desc"], str):
            return "error class or desc is not a string"
        return None
    if "event" in msg and keys <= {"event", "data", "timestamp"} and "timestamp" in keys:
        return None if isinstance(msg["event"], str) else "event name is not a string"
    return f"neither a return, an error nor an event: keys {sorted(keys)}"


def check_well_formed(run: Run) -> list[str]:
    """Problems found in *run*: malformed messages, requests without any reply."""
    problems = []
    for ex in run.exchanges:
        if not any(isinstance(m, dict) and ("return" in m or "error" in m) for m in ex.replies):
            problems.append(f"{ex.request.where}: no reply to {ex.request.text}")
        for m in ex.replies:
            why = malformed_message(m)
            if why:
                problems.append(f"{ex.request.where}: {why}: {_short(m)}")
    return problems


def _short(value: JSON, limit: int = 300) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _ordered(value: JSON) -> str:
    """*value* as text, member order kept: the order of QEMU's output is compared too."""
    return json.dumps(value)


def _pretty(value: JSON) -> list[str]:
    return json.dumps(value, indent=1, sort_keys=False).splitlines()


def compare_runs(a: Run, b: Run, label_a: str = "a", label_b: str = "b",
                 max_diffs: int = 5, context: int = 3) -> str | None:
    """None when *a* and *b* are identical; else a readable report of the first differences."""
    out: list[str] = []
    ndiff = 0

    def diff(title: str, x: JSON, y: JSON) -> None:
        nonlocal ndiff
        ndiff += 1
        if ndiff > max_diffs:
            return
        out.append(f"=== {title}")
        lines = list(difflib.unified_diff(_pretty(x), _pretty(y), label_a, label_b,
                                          n=context, lineterm=""))
        if len(lines) > 80:
            lines = [*lines[:80], f"... ({len(lines) - 80} more diff lines)"]
        out.extend(lines)

    for name in sorted(set(a.greetings) | set(b.greetings)):
        if _ordered(a.greetings.get(name)) != _ordered(b.greetings.get(name)):
            diff(f"greeting of {name}", a.greetings.get(name), b.greetings.get(name))
    by_where_b = {e.request.where: e for e in b.exchanges}
    seen = set()
    for ea in a.exchanges:
        where = ea.request.where
        seen.add(where)
        eb = by_where_b.get(where)
        if eb is None:
            diff(f"{where}: only in {label_a}", ea.as_json(), None)
        elif ea.request.text != eb.request.text:
            diff(f"{where}: different requests", ea.request.text, eb.request.text)
        elif _ordered(ea.replies) != _ordered(eb.replies):
            text = ea.request.text
            diff(f"{where}: {text if len(text) <= 200 else text[:200] + '...'}",
                 ea.replies, eb.replies)
    for eb in b.exchanges:
        if eb.request.where not in seen:
            diff(f"{eb.request.where}: only in {label_b}", None, eb.as_json())
    if ndiff == 0:
        return None
    head = f"{ndiff} differing replies between {label_a} and {label_b}"
    if ndiff > max_diffs:
        head += f" (first {max_diffs} shown)"
    return "\n".join([head, *out])


def summary(run: Run) -> dict[str, int]:
    """Counts of requests, returns, errors (by class) and events in *run*."""
    counts: dict[str, int] = {"requests": len(run.exchanges), "return": 0, "event": 0}
    for ex in run.exchanges:
        for m in ex.replies:
            if not isinstance(m, dict):
                continue
            if "return" in m:
                counts["return"] += 1
            elif "event" in m:
                counts["event"] += 1
            elif "error" in m and isinstance(m["error"], dict):
                key = f"error {m['error'].get('class')}"
                counts[key] = counts.get(key, 0) + 1
    return counts


def iter_replies(run: Run, file: str) -> Iterator[tuple[Exchange, JSON]]:
    for ex in run.exchanges:
        if ex.request.file == file:
            for m in ex.replies:
                yield ex, m


def run_from_json(data: JSON) -> Run:
    run = Run(greetings=dict(data["greetings"]))
    for e in data["exchanges"]:
        file, line = e["where"].rsplit(":", 1)
        run.exchanges.append(Exchange(Request(file, int(line), e["request"]), e["replies"]))
    return run


def main(argv: Iterable[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.qmp.runner", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary")
    p.add_argument("--save", type=Path, help="write the run as JSON")
    p.add_argument("--compare", type=Path, help="compare with a run saved by --save")
    p.add_argument("--only", action="append", default=[], help="corpus file stem (repeatable)")
    p.add_argument("qemu_args", nargs="*", help="extra QEMU arguments (after --)")
    args = p.parse_args(list(argv) if argv is not None else None)
    corpus = load_corpus()
    if args.only:
        corpus = {k: v for k, v in corpus.items() if k in args.only}
    t0 = time.monotonic()
    run = run_corpus(args.binary, corpus, args.qemu_args)
    print(f"{len(run.exchanges)} requests in {time.monotonic() - t0:.1f} s: {summary(run)}")
    for problem in check_well_formed(run):
        print(problem)
    if args.save:
        args.save.write_text(json.dumps(run.as_json(), indent=1) + "\n")
    if args.compare:
        report = compare_runs(run_from_json(json.loads(args.compare.read_text())), run,
                              str(args.compare), args.binary)
        print(report or "identical")
        return 1 if report else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())


def raw_replies(binary: Path | str, *requests: str) -> list[bytes]:
    """The reply line QEMU writes for each request, exactly as written."""
    with QMPProcess(binary) as qmp:
        out = []
        for text in requests:
            qmp.send(text)
            out.append(qmp._readline())
        return out


def first_difference(a: bytes, b: bytes, label_a: str = "a", label_b: str = "b") -> str:
    """Where two replies first differ, with the bytes around it."""
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
              min(len(a), len(b)))
    width = max(len(label_a), len(label_b)) + 1
    return (f"{len(a)} vs {len(b)} bytes, first difference at byte {at}:\n"
            f"{label_a + ':':{width}} ...{a[max(at - 200, 0):at + 200]!r}\n"
            f"{label_b + ':':{width}} ...{b[max(at - 200, 0):at + 200]!r}")
