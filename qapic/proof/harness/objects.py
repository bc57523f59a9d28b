"""Compiling the harness's C with an object cache keyed per object on what it was built from.

An object is found in the cache the way ccache's depend mode finds one, in two steps:

1. the *command key*: the compiler's identity, the whole compiler command (flags, include
   directories, macros) and the bytes of the source file;
2. the command key's *manifest*: for each object compiled under that key, the files the
   compiler read to make it (its ``-MD`` dependency file) with a digest of each.  The first entry
   whose files all still have those digests names the cached object.

So a change to one schema module, which changes that module's generated headers, recompiles only
the objects whose sources include one of them, and an edit that is undone finds the old objects
again (a manifest keeps its :data:`MANIFEST_ENTRIES` newest entries).  The dependency file is
cached with the object and copied beside it on a hit, so every object in a build has its
compiler's account of what it includes.  Cache entries are written
atomically; two builds writing one manifest at once lose an entry at worst, never the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from qapic.proof.harness.base import HarnessError

#: Told how far a step got: ``(what, done, total)``.
Progress = Callable[[str, int, int], None]

#: How many objects a manifest remembers for one command key.
MANIFEST_ENTRIES = 16


@dataclass
class Stats:
    compiled: int = 0
    cached: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    #: The objects compiled rather than taken from the cache.
    compiled_objects: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """Compile *source* into *obj* with *flags* before the build's own flags."""

    source: Path
    obj: Path
    flags: tuple[str, ...]

    @property
    def depfile(self) -> Path:
        """The compiler's ``-MD`` dependency file, beside the object."""
        return self.obj.with_name(self.obj.name + ".d")


def read_depfile(path: Path) -> list[str]:
    """The prerequisites of a Make rule as GCC and Clang write it with ``-MD``: the target and
    its colon dropped, line continuations joined, escaped spaces kept in their names."""
    text = path.read_text().replace("\\\n", " ")
    _target, sep, rest = text.partition(": ")
    if not sep:
        raise HarnessError(f"{path}: not a dependency file")
    words = re.findall(r"(?:\\.|[^\s\\])+", rest)
    return [re.sub(r"\\(.)", r"\1", w).replace("$$", "$") for w in words]


class Compiler:
    def __init__(self, cflags: list[str], cache: Path, jobs: int, stats: Stats) -> None:
        self.cflags = cflags
        self.cache = cache
        self.jobs = jobs
        self.stats = stats
        self.cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([cflags[0], "--version"], capture_output=True, text=True)
        self.cc_id = proc.stdout
        self._digests: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def command(self, extra: Sequence[str]) -> list[str]:
        """The compiler command (without input and output): *extra* (our include directories
        first, before the build directory's generated headers) then the build's flags."""
        return [self.cflags[0], *extra, *self.cflags[1:]]

    def compile_all(self, jobs: Sequence[Job], progress: Progress | None = None,
                    what: str = "compiling") -> None:
        """Every job's object, from the cache when it has one for the job's inputs;
        *progress* is told ``(what, done, total)`` after each."""
        self._digests.clear()       # files may have been rewritten since the last call
        if progress is not None:
            progress(what, 0, len(jobs))
        with ThreadPoolExecutor(self.jobs) as pool:
            for done, _ in enumerate(pool.map(self._one, jobs), 1):
                if progress is not None:
                    progress(what, done, len(jobs))

    # --- one object ---------------------------------------------------------------------------

    def _one(self, job: Job) -> None:
        job.obj.parent.mkdir(parents=True, exist_ok=True)
        key = self._command_key(job)
        cached = self._lookup(key)
        if cached is not None:
            shutil.copyfile(cached, job.obj)
            shutil.copyfile(cached.with_suffix(".d"), job.depfile)
            with self._lock:
                self.stats.cached += 1
            return
        cmd = [*self.command(job.flags), "-MD", "-MF", str(job.depfile),
               "-c", str(job.source), "-o", str(job.obj)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError(f"compiling {job.source} failed:\n{shlex.join(cmd)}\n"
                               f"{proc.stderr[:6000]}")
        self._store(key, job)
        with self._lock:
            self.stats.compiled += 1
            self.stats.compiled_objects.append(job.obj)

    def _command_key(self, job: Job) -> str:
        h = hashlib.sha256()
        h.update(self.cc_id.encode())
        h.update("\0".join(self.command(job.flags)).encode())
        h.update(job.source.read_bytes())
        return h.hexdigest()

    def _digest(self, path: str) -> str | None:
        if path not in self._digests:
            try:
                self._digests[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                self._digests[path] = None
        return self._digests[path]

    def _manifest(self, key: str) -> Path:
        return self.cache / "manifests" / key[:2] / f"{key}.json"

    def _object(self, name: str) -> Path:
        return self.cache / "objects" / name[:2] / f"{name}.o"

    def _entries(self, key: str) -> list[dict[str, object]]:
        try:
            entries = json.loads(self._manifest(key).read_text())
        except (OSError, ValueError):
            return []
        return entries if isinstance(entries, list) else []

    def _lookup(self, key: str) -> Path | None:
        for entry in self._entries(key):
            deps = entry.get("deps")
            name = entry.get("object")
            if not isinstance(deps, dict) or not isinstance(name, str):
                continue
            if all(self._digest(p) == d for p, d in deps.items()):
                obj = self._object(name)
                if obj.exists() and obj.with_suffix(".d").exists():
                    return obj
        return None

    def _store(self, key: str, job: Job) -> None:
        paths = sorted({os.path.abspath(p) for p in read_depfile(job.depfile)})
        deps = {p: self._digest(p) for p in paths}
        name = hashlib.sha256(json.dumps([key, deps]).encode()).hexdigest()
        _install(self._object(name).with_suffix(".d"), job.depfile.read_bytes())
        _install(self._object(name), job.obj.read_bytes())
        with self._lock:
            entries = [e for e in self._entries(key) if e.get("object") != name]
            entries.insert(0, {"object": name, "deps": deps})
            _install(self._manifest(key), json.dumps(entries[:MANIFEST_ENTRIES]).encode())


def _install(dst: Path, data: bytes) -> None:
    """Put *data* at *dst* whole or not at all: written beside it under a name of this process
    and thread, then renamed into place."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f"{dst.name}.tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, dst)
