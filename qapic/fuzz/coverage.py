"""Line coverage of the generated QAPI code a fuzz run executes (gcov).

The single harness is built with ``--coverage`` (its own harness directory); every harness
process writes its counts when it quits (libgcov merges them), and :func:`measure` reads them
with ``gcov --json-format --stdout``: per kind of generated file (``qapi-visit-*.c``,
``qapi-commands-*.c``, ``qapi-introspect.c``), the lines gcov counts as executable and those
executed at least once.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path

KINDS = {"visit": re.compile(r"^qapi-visit-.*\.c$"),
         "commands": re.compile(r"^qapi-commands-.*\.c$"),
         "introspect": re.compile(r"^qapi-introspect\.c$")}
FLAGS = ["--coverage"]


class CoverageError(Exception):
    pass


def kind_of(name: str) -> str | None:
    return next((k for k, rx in KINDS.items() if rx.match(name)), None)


def reset(objdir: Path) -> None:
    """Forget the counts of earlier runs."""
    for p in objdir.glob("*.gcda"):
        p.unlink()


def measure(objdir: Path) -> dict[str, dict[str, object]]:
    """Per kind: lines, executed lines, their share, and per file the executed/total lines."""
    lines: dict[str, dict[int, bool]] = {}
    for gcda in sorted(objdir.glob("qapi-*.gcda")):
        proc = subprocess.run(["gcov", "--json-format", "--stdout", gcda.name], cwd=objdir,
                              capture_output=True)
        if proc.returncode != 0:
            raise CoverageError(f"gcov {gcda} failed: {proc.stderr.decode()[-2000:]}")
        out = proc.stdout
        if out[:2] == b"\x1f\x8b":
            out = gzip.decompress(out)
        for doc in out.decode().splitlines():
            if not doc.strip():
                continue
            for f in json.loads(doc).get("files", []):
                name = Path(f["file"]).name
                if kind_of(name) is None:
                    continue
                seen = lines.setdefault(name, {})
                for ln in f.get("lines", []):
                    n = ln["line_number"]
                    seen[n] = seen.get(n, False) or ln["count"] > 0
    report: dict[str, dict[str, object]] = {}
    for kind in KINDS:
        files = {n: v for n, v in lines.items() if kind_of(n) == kind}
        total = sum(len(v) for v in files.values())
        hit = sum(sum(v.values()) for v in files.values())
        report[kind] = {
            "files": len(files), "lines": total, "executed": hit,
            "percent": round(100.0 * hit / total, 1) if total else 0.0,
            "per_file": {n: [sum(v.values()), len(v)] for n, v in sorted(files.items())},
        }
    return report
