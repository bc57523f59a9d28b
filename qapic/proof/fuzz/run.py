"""The differential run: the same requests to the single harness as X and to X's own harness,
every answer compared; each divergence shrunk to a minimal request.

A *finding* is a request whose answers differ (a *divergence*), or that made a harness crash
(its process died: a sanitizer report stops it too) or hang.  Findings are grouped by target
and by what they are about (the command, or "raw" for a raw-text mutation); the first of each
group is shrunk: one-step simplifications of its tree (a member or element removed, a value
replaced by a smaller one), then of its text for a raw mutation (slices removed), kept while the
answers still differ, batched so that a whole round of candidates costs one round trip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from qapic.proof.fuzz.request import RESET, Node, Obj, Raw, Request, render
from qapic.proof.fuzz.session import START_TIMEOUT, Answer, Failure, Harness

#: Requests per pipelined batch.
BATCH = 256
#: Findings shrunk per target (the others are counted; they are usually the same cause).
MAX_SHRUNK = 8
#: Candidates tried in all while shrinking one finding (one that hangs).
SHRINK_BUDGET = 4000
HANG_SHRINK_BUDGET = 64


@dataclass
class Pair:
    """What runs as one target: the single harness's command line and the per-target one's."""

    target: str
    single: list[str]
    per_target: list[str]
    env: dict[str, str] = field(default_factory=dict)   # for the single harness
    compat: str = ""        # the -compat policy both run with ("": QEMU's default)
    label: str = ""         # how results name it (default: the target)

    def __post_init__(self) -> None:
        self.label = self.label or self.target
        if self.compat:
            self.single = [*self.single, "-compat", self.compat]
            self.per_target = [*self.per_target, "-compat", self.compat]


@dataclass
class Finding:
    target: str
    kind: str               # "divergence", "crash" or "hang"
    request: Request
    single: Answer
    per_target: Answer
    compat: str = ""
    shrunk: str = ""         # the minimal request text
    shrunk_tree: Node = None  # ... and its tree (not for a raw mutation)
    shrunk_single: Answer = ()
    shrunk_per_target: Answer = ()

    @property
    def group(self) -> str:
        if isinstance(self.request.tree, Obj):
            for k, v in self.request.tree:
                if k in ("execute", "exec-oob") and isinstance(v, str):
                    return v
        return self.request.kind

    def as_json(self) -> dict[str, object]:
        def ans(a: Answer) -> object:
            return {a.kind: a.detail} if isinstance(a, Failure) else [x.decode(
                errors="surrogateescape") for x in a]
        return {"target": self.target, "compat": self.compat, "kind": self.kind,
                "index": self.request.index,
                "request": self.request.text, "shrunk": self.shrunk,
                "single": ans(self.shrunk_single or self.single),
                "per-target": ans(self.shrunk_per_target or self.per_target)}


@dataclass
class TargetResult:
    target: str
    requests: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)    # findings by kind
    reports: list[str] = field(default_factory=list)        # sanitizer reports, bad exits
    processes: int = 0


def classify(a: Answer, b: Answer) -> str | None:
    if isinstance(a, Failure) or isinstance(b, Failure):
        kinds = {x.kind for x in (a, b) if isinstance(x, Failure)}
        return "hang" if "hang" in kinds else "crash"
    return None if a == b else "divergence"


class Session:
    def __init__(self, pair: Pair, timeout: float, start_timeout: float = START_TIMEOUT) -> None:
        self.pair = pair
        self.single = Harness(pair.single, pair.env, timeout, start_timeout)
        self.per_target = Harness(pair.per_target, {}, timeout, start_timeout)

    def answers(self, texts: Sequence[str]) -> list[tuple[Answer, Answer]]:
        """Both harnesses' answers to *texts* (the two work at the same time)."""
        box: list[list[Answer]] = []
        other = threading.Thread(target=lambda: box.append(self.single.batch(texts)))
        other.start()
        try:
            b = self.per_target.batch(texts)
        finally:
            other.join()
        if not box:
            raise RuntimeError(f"single as {self.pair.label}: the batch failed")
        return list(zip(box[0], b, strict=True))

    def close(self) -> list[str]:
        self.single.close()
        self.per_target.close()
        return ([f"single as {self.pair.label}: {r}" for r in self.single.reports()]
                + [f"per-target {self.pair.label}: {r}" for r in self.per_target.reports()])


def run_target(pair: Pair, requests: Callable[[], Iterator[Request]], timeout: float = 30.0,
               progress: Callable[[str, int, int], None] | None = None,
               start_timeout: float = START_TIMEOUT) -> TargetResult:
    """Send every request to both harnesses of *pair*; shrink the findings.  A request
    unanswered after *timeout* seconds hangs; a harness has *start_timeout* seconds to start
    (at first and after each crash or hang).  The reports are those of the processes of the
    run proper: the shrinking's candidates, which make a fault found fire again, add none."""
    res = TargetResult(pair.label)
    t0 = time.monotonic()
    h = Session(pair, timeout, start_timeout)
    try:
        batch: list[Request] = []

        def flush() -> None:
            for req, (a, b) in zip(batch, h.answers([r.text for r in batch]), strict=True):
                kind = classify(a, b)
                if kind is not None:
                    res.counts[kind] = res.counts.get(kind, 0) + 1
                    res.findings.append(Finding(pair.label, kind, req, a, b, pair.compat))
            res.requests += len(batch)
            batch.clear()
            if progress:
                progress(pair.label, res.requests, sum(res.counts.values()))

        for req in requests():
            batch.append(req)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        res.seconds = time.monotonic() - t0
        # One finding per group is shrunk and kept.
        kept: dict[tuple[str, str], Finding] = {}
        for f in res.findings:
            key = (f.kind, f.group)
            if key not in kept and len(kept) < MAX_SHRUNK:
                kept[key] = f
        h.single.recording = h.per_target.recording = False
        for f in kept.values():
            shrink(h, f)
        res.findings = list(kept.values())
    finally:
        res.reports = h.close()
        res.processes = h.single.processes + h.per_target.processes
    return res


# --- shrinking --------------------------------------------------------------------------------

def _smaller_scalars(v: Node) -> list[Node]:
    if isinstance(v, bool) or v is None:
        return []
    if isinstance(v, str):
        return [s for s in ("", v[: len(v) // 2]) if s != v and len(s) < len(v)]
    if isinstance(v, int):
        return [x for x in (0, 1) if x != v and abs(x) < abs(v)]
    if isinstance(v, float):
        return [0] if v != 0 else []
    if isinstance(v, Raw):
        return [0]
    return []


def candidates(node: Node) -> Iterator[Node]:
    """*node* with one simplification, smallest changes last."""
    if isinstance(node, Obj):
        items = node.items
        for i in range(len(items)):
            yield Obj(items[:i] + items[i + 1:])
        for i, (k, v) in enumerate(items):
            for c in candidates(v):
                yield Obj([*items[:i], (k, c), *items[i + 1:]])
    elif isinstance(node, list):
        if len(node) > 1:
            yield node[:1]
        for i in range(len(node)):
            yield node[:i] + node[i + 1:]
        for i, v in enumerate(node):
            for c in candidates(v):
                yield [*node[:i], c, *node[i + 1:]]
    else:
        yield from _smaller_scalars(node)
    if isinstance(node, (Obj, list)) and node:
        yield Obj() if isinstance(node, Obj) else []


def _text_candidates(text: str) -> Iterator[str]:
    """*text* (a raw mutation without its final reset byte) with a slice removed, big slices
    first."""
    n = len(text)
    size = n // 2
    while size >= 1:
        for start in range(0, n, size):
            yield text[:start] + text[start + size:]
        size //= 2


def shrink(h: Session, f: Finding) -> None:
    """Make *f*'s request as small as it can be while it still gives a finding of its kind."""
    # A hanging candidate costs a whole timeout: hangs get a small budget.
    budget = SHRINK_BUDGET if f.kind != "hang" else HANG_SHRINK_BUDGET

    def first_finding(texts: list[str]) -> tuple[int, Answer, Answer] | None:
        nonlocal budget
        texts = texts[:max(budget, 0)]
        budget -= len(texts)
        if not texts:
            return None
        for i, (a, b) in enumerate(h.answers(texts)):
            if classify(a, b) == f.kind:
                return i, a, b
        return None

    best_text, best_a, best_b = f.request.text, f.single, f.per_target
    tree = f.request.tree
    if f.request.kind != "raw":
        progress = True
        while progress and budget > 0:
            progress = False
            cands = list(candidates(tree))
            for at in range(0, len(cands), BATCH):
                chunk = cands[at:at + BATCH]
                hit = first_finding([render(c) for c in chunk])
                if hit:
                    tree = chunk[hit[0]]
                    best_text, best_a, best_b = render(tree), hit[1], hit[2]
                    progress = True
                    break
                if budget <= 0:
                    break
    else:
        body = best_text[:-1] if best_text.endswith(RESET) else best_text
        progress = True
        while progress and budget > 0 and body:
            progress = False
            texts = list(dict.fromkeys(t for t in _text_candidates(body) if t != body))
            for at in range(0, len(texts), BATCH):
                some = texts[at:at + BATCH]
                hit = first_finding([t + RESET for t in some])
                if hit:
                    body = some[hit[0]]
                    best_text, best_a, best_b = body + RESET, hit[1], hit[2]
                    progress = True
                    break
                if budget <= 0:
                    break
    f.shrunk, f.shrunk_single, f.shrunk_per_target = best_text, best_a, best_b
    f.shrunk_tree = tree if f.request.kind != "raw" else None


def summary(results: Mapping[str, TargetResult], seconds: float,
            targets: int | None = None) -> dict[str, object]:
    total = sum(r.requests for r in results.values())
    counts: dict[str, int] = {}
    for r in results.values():
        for k, n in r.counts.items():
            counts[k] = counts.get(k, 0) + n
    return {
        "targets": len(results) if targets is None else targets, "requests": total,
        "seconds": round(seconds, 1),
        "requests_per_second": round(total / seconds) if seconds else 0,
        "divergences": counts.get("divergence", 0), "crashes": counts.get("crash", 0),
        "hangs": counts.get("hang", 0),
        "sanitizer_reports": sum(len(r.reports) for r in results.values()),
        "reproducers": sum(len(r.findings) for r in results.values()),
    }
