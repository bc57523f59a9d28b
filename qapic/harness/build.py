"""Building the QMP harnesses against a configured and built QEMU 10.0 build directory.

Layout of OUT::

    OUT/per-target/X/qmp-harness     one per target X (TARGET_* of X as macros), from the QEMU
                                     source's own generator (or qapic's: ``reference``)
    OUT/qmp-harness                  the single-binary output, compiled once (no TARGET_* macro)
    OUT/bin/qemu-system-X            links to OUT/qmp-harness (the target comes from argv[0])
    OUT/work/                        generated C, our copy of libqemuutil.a, objects, configs
    OUT/harness-build.json           what was built, compile counts, cache hits, timings

Cost: the schema is generated once per mode; a generated file is compiled once when no
``#if`` in it or in the generated headers it includes tests a run-time symbol (``TARGET_*``,
``CONFIG_KVM``), else once per target.  Objects are cached under the cache directory, keyed by
the hash of the compiler command, the source and every generated header (so a warm build only
links).

Sanitizers (``sanitize=("address", "undefined")``, ``qapic harness --sanitize address,undefined``):
the generated code, the test doubles and ``harness.c`` are compiled with QEMU's flags plus
``-fsanitize=...`` (:func:`sanitizer_flags`), and the harnesses are linked with the sanitizer
run-times.  The flags are part of the compiler command, hence of the object cache key, so
sanitized and normal objects are cached side by side (build them into different OUT
directories).  QEMU's ``libqemuutil.a`` and the QOM objects linked with it come from the QEMU
build and stay *uninstrumented*: ASan still intercepts their ``malloc``/``free`` (so
LeakSanitizer sees their leaks and double frees) but not their out-of-bounds accesses, and
UBSan checks only our code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from qapic.conditions import SymbolClasses, TargetTable
from qapic.harness import doubles
from qapic.qemu_tree import read_targets_with_kvm

C_DIR = Path(__file__).resolve().parent / "c"
#: libqemuutil.a members the harness replaces: QEMU's own generated QAPI code (ours is linked
#: instead) and the monitor stubs (the harness has a monitor: it prints events).
REPLACED_MEMBERS = re.compile(r"(meson-generated_\.\._qapi_qapi-.*|stubs_monitor-core\.c)\.o$")
_RUNTIME_IF = re.compile(r"^\s*#\s*(?:el)?if\b.*\bdefined\s*\(?\s*(TARGET_\w+|CONFIG_KVM)\b")
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


#: The sanitizers ``--sanitize`` accepts (GCC's and Clang's names).
SANITIZERS = ("address", "undefined", "leak")


class HarnessError(Exception):
    """The build directory is unusable or a step failed."""


def sanitizer_flags(sanitize: Sequence[str]) -> list[str]:
    """Compile and link flags for *sanitize*: any report stops the run (UBSan does not recover),
    frames keep their pointer so reports have whole stacks."""
    unknown = [s for s in sanitize if s not in SANITIZERS]
    if unknown:
        raise HarnessError(f"unknown sanitizer {', '.join(unknown)} "
                           f"(known: {', '.join(SANITIZERS)})")
    if not sanitize:
        return []
    flags = [f"-fsanitize={','.join(sanitize)}", "-fno-omit-frame-pointer"]
    if "undefined" in sanitize:
        flags.append("-fno-sanitize-recover=undefined")
    return flags


def cache_dir() -> Path:
    base = os.environ.get("QAPIC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qapic")
    return Path(base)


# --- the QEMU build directory -----------------------------------------------------------------

@dataclass
class QemuBuildDir:
    path: Path
    source: Path
    cflags: list[str]           # a target-independent QAPI file's flags, paths absolute
    defines: frozenset[str]     # macros config-host.h defines

    @classmethod
    def read(cls, path: Path) -> QemuBuildDir:
        path = path.resolve()
        for f in ("compile_commands.json", "config-host.h", "libqemuutil.a"):
            if not (path / f).exists():
                raise HarnessError(f"{path} is not a built QEMU build directory (no {f})")
        entries = json.loads((path / "compile_commands.json").read_text())
        entry = next((e for e in entries if e["file"].endswith("qapi/qapi-types-error.c")
                      and "libqemuutil" in e.get("output", e["command"])), None)
        if entry is None:
            raise HarnessError(f"{path}/compile_commands.json: no libqemuutil qapi-types-error.c")
        cflags = _portable_flags(shlex.split(entry["command"]), Path(entry["directory"]))
        source = None
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            # meson records the source tree; QEMU 10.2's build directory has a configs/
            # of its own, so the include flags alone can mislead.
            info = json.loads((path / "meson-info" / "meson-info.json").read_text())
            source = Path(info["directories"]["source"])
        for i, word in enumerate(cflags):
            if source is not None:
                break
            if word == "-iquote" and (Path(cflags[i + 1]) / "configs" / "targets").is_dir() \
                    and Path(cflags[i + 1]).resolve() != path:
                source = Path(cflags[i + 1])
        if source is None:
            raise HarnessError(f"{path}: cannot find the QEMU source tree in the compile flags")
        text = (path / "config-host.h").read_text()
        defines = frozenset(re.findall(r"^#define\s+(\w+)", text, re.M))
        return cls(path, source, cflags, defines)

    def target_table(self) -> TargetTable:
        """Every target of the source tree, CONFIG_KVM by QEMU's rule for this host: the table
        ``qapic generate --single-binary --targets-from SOURCE`` compiles in."""
        return read_targets_with_kvm(self.source)


def _portable_flags(words: list[str], directory: Path) -> list[str]:
    """The compiler and its flags: no output, dependency or input options, paths absolute, no
    object directory of libqemuutil's own."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in ("-MQ", "-MF", "-o"):
            i += 1
            continue
        if w in ("-MD", "-c") or w.endswith(".c"):
            continue
        opt = next((o for o in ("-isystem", "-iquote", "-I") if w.startswith(o)), None)
        if opt is None:
            out.append(w)
            continue
        if w == opt:
            value = words[i]
            i += 1
        else:
            value = w[len(opt):]
        if value.endswith("libqemuutil.a.p"):
            continue
        out += [opt, str((directory / value).resolve())]
    return out


# --- compiling with an object cache ---------------------------------------------------------

@dataclass
class Stats:
    compiled: int = 0
    cached: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class Compiler:
    def __init__(self, cflags: list[str], cache: Path, jobs: int, stats: Stats,
                 log: Callable[[str], None]) -> None:
        self.cflags = cflags
        self.cache = cache
        self.jobs = jobs
        self.stats = stats
        self.log = log
        self.cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([cflags[0], "--version"], capture_output=True, text=True)
        self.cc_id = proc.stdout

    def command(self, extra: Sequence[str]) -> list[str]:
        """The compiler command (without input and output): *extra* (our include directories
        first, before the build directory's generated headers) then the build's flags."""
        return [self.cflags[0], *extra, *self.cflags[1:]]

    def key(self, src: Path, extra: Sequence[str], headers_digest: str) -> str:
        h = hashlib.sha256()
        h.update(self.cc_id.encode())
        h.update("\0".join(self.command(extra)).encode())
        h.update(headers_digest.encode())
        h.update(src.read_bytes())
        return h.hexdigest()

    def compile_all(self, jobs: list[tuple[Path, Path, list[str], str]]) -> None:
        """(source, object, extra flags, headers digest) for each; cached by content."""
        def one(job: tuple[Path, Path, list[str], str]) -> None:
            src, obj, extra, digest = job
            key = self.key(src, extra, digest)
            cached = self.cache / key[:2] / f"{key}.o"
            obj.parent.mkdir(parents=True, exist_ok=True)
            if cached.exists():
                self.stats.cached += 1
                shutil.copyfile(cached, obj)
                return
            cmd = [*self.command(extra), "-c", str(src), "-o", str(obj)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise HarnessError(f"compiling {src} failed:\n{shlex.join(cmd)}\n"
                                   f"{proc.stderr[:6000]}")
            self.stats.compiled += 1
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(obj, tmp)
            os.replace(tmp, cached)

        with ThreadPoolExecutor(self.jobs) as pool:
            for _ in pool.map(one, jobs):
                pass


def _headers_digest(dirs: Iterable[Path], extra: Iterable[Path] = ()) -> str:
    h = hashlib.sha256()
    for d in dirs:
        for p in sorted(d.glob("*.h")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    for p in extra:
        h.update(p.read_bytes())
    return h.hexdigest()


# --- which generated files depend on the target ----------------------------------------------

def runtime_dependent(gen: Path) -> set[str]:
    """Names of the files in *gen* whose text, or a generated header they include
    (transitively), has an ``#if`` on a run-time symbol."""
    texts = {p.name: p.read_text() for p in gen.iterdir() if p.suffix in (".c", ".h")}
    direct = {n for n, t in texts.items() if any(_RUNTIME_IF.match(line)
                                                  for line in t.splitlines())}
    includes = {n: {os.path.basename(i) for i in _INCLUDE.findall(t)} & texts.keys()
                for n, t in texts.items()}
    result: set[str] = set()
    for name in texts:
        seen: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(includes[n])
        if seen & direct:
            result.add(name)
    return result


# --- the build --------------------------------------------------------------------------------

def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


#: The generators of the per-target reference harnesses (``build(reference=...)``).
REFERENCES = ("upstream", "qapic")


def _generate(schema: Path, out: Path, extra: Sequence[str],
              upstream: Path | None = None) -> None:
    """``qapic generate -b --suppress-tracing`` into *out* (files rewritten only when changed);
    with *upstream* (a QEMU source tree), that tree's own ``scripts/qapi-gen.py`` instead,
    run as a program of its own (its output is the reference qapic is compared with)."""
    tmp = out.parent / (out.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    if upstream is not None:
        gen = upstream / "scripts" / "qapi-gen.py"
        if not gen.is_file():
            raise HarnessError(f"{upstream}: no scripts/qapi-gen.py (upstream's generator)")
        cmd = [sys.executable, str(gen), "-b", "--suppress-tracing", *extra, "-o", str(tmp),
               str(schema)]
    else:
        cmd = [sys.executable, "-m", "qapic", "generate", "-b", "--suppress-tracing", *extra,
               "-o", str(tmp), str(schema)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError(f"{shlex.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    out.mkdir(parents=True, exist_ok=True)
    new = {p.name for p in tmp.iterdir()}
    for p in out.iterdir():
        if p.name not in new:
            p.unlink()
    for name in new:
        _write_if_changed(out / name, (tmp / name).read_text())
    shutil.rmtree(tmp)


def config_target_header(table: TargetTable, name: str) -> str:
    t = table.get(name)
    lines = [f"/* qapic harness: the run-time symbols of target {name} */"]
    for sym in sorted(table.target_symbols(t)):
        lines.append(f"#define {sym} 1")
    lines.append(f'#define TARGET_NAME "{name}"')
    return "\n".join(lines) + "\n"


def _archive(build: QemuBuildDir, work: Path) -> Path:
    """Our copy of libqemuutil.a without the members we replace (redone when it changed)."""
    src = build.path / "libqemuutil.a"
    dst = work / "libqemuutil-harness.a"
    stamp = work / "libqemuutil-harness.stamp"
    st = src.stat()
    ident = f"{src} {st.st_size} {st.st_mtime_ns}"
    if dst.exists() and stamp.exists() and stamp.read_text() == ident:
        return dst
    members = subprocess.run(["ar", "t", str(src)], capture_output=True, text=True,
                             check=True).stdout.split()
    keep = [m for m in members if not REPLACED_MEMBERS.search(m)]
    tmp = work / "libqemuutil-harness.a.tmp"
    tmp.unlink(missing_ok=True)
    with src.open("rb") as f:
        thin = f.read(8) == b"!<thin>\n"
    if thin:
        # Meson's thin archive: its members are the build directory's object files.
        paths = [str((src.parent / m).resolve()) for m in keep]
        subprocess.run(["ar", "rcs", str(tmp), *paths], check=True)
    else:
        shutil.copyfile(src, tmp)
        drop = [m for m in members if REPLACED_MEMBERS.search(m)]
        for i in range(0, len(drop), 100):
            subprocess.run(["ar", "d", str(tmp), *drop[i:i + 100]], check=True)
    os.replace(tmp, dst)
    stamp.write_text(ident)
    return dst


def support_objects(build: QemuBuildDir) -> list[str]:
    """The objects besides libqemuutil.a that QEMU links its QAPI unit test test-qmp-cmds
    with (QOM and the event-loop base, which libqemuutil's thread-context needs)."""
    text = (build.path / "build.ninja").read_text()
    m = re.search(r"^build tests/unit/test-qmp-cmds: c_LINKER ([^|\n]*)", text, re.M)
    if m is None:
        raise HarnessError(f"{build.path}/build.ninja: no link rule for tests/unit/test-qmp-cmds")
    objs = [o for o in m.group(1).split() if o.endswith(".o") and not o.startswith("tests/")]
    return [str(build.path / o) for o in objs]


def link_args() -> list[str]:
    glib = subprocess.run(["pkg-config", "--libs", "glib-2.0"], capture_output=True, text=True,
                          check=True).stdout.split()
    return ["-lrt", "-lm", "-pthread", *glib]


@dataclass
class Result:
    targets: list[str]
    per_target: dict[str, Path]
    single: Path | None         # None when built with single=False
    stats: Stats
    files_common: int
    files_per_target: int
    reference: str = "upstream"  # the generator of the per-target harnesses


def build(qemu_build: Path, out: Path, targets: Sequence[str] | None = None,
          schema: Path | None = None,
          single: bool = True, per_target: bool = True, jobs: int | None = None,
          cache: Path | None = None, log: Callable[[str], None] = lambda _s: None,
          sanitize: Sequence[str] = (), conditions: Path | None = None,
          cflags: Sequence[str] = (), reference: str | None = None,
          reference_schema: Path | None = None) -> Result:
    """Build the harnesses (see the module's docstring); *conditions* is a conditions file
    applied to the schema for both kinds (``qapic generate --conditions``); *cflags* come after
    the QEMU build's own compiler flags (a benchmark's ``-O2 -g`` over a test build's ``-O0``).

    *reference* is the generator of the per-target harnesses: ``"upstream"`` (the default: the
    QEMU source's own ``scripts/qapi-gen.py``, so that the single binary is compared with code
    qapic did not write) or ``"qapic"``.  Upstream's generator cannot apply a conditions file:
    with *conditions* it needs *reference_schema*, the schema with those conditions written
    into its JSON (by the caller), else the default is ``"qapic"``.  The test doubles are
    generated by qapic for both kinds alike."""
    reference = reference or ("qapic" if conditions and not reference_schema else "upstream")
    if reference not in REFERENCES:
        raise HarnessError(f"unknown reference generator {reference!r} "
                           f"(known: {', '.join(REFERENCES)})")
    if reference == "upstream" and conditions and not reference_schema:
        raise HarnessError("upstream's generator takes no conditions file: give it the schema "
                           "with the conditions written in, or use the qapic reference")
    if reference_schema and reference != "upstream":
        raise HarnessError("a reference schema is for upstream's generator")
    t_start = time.monotonic()
    stats = Stats()
    extra_flags = [*sanitizer_flags(sanitize), *cflags]
    qb = QemuBuildDir.read(qemu_build)
    table = qb.target_table()
    names = table.names() if targets is None else list(targets)
    for n in names:
        table.get(n)  # KeyError for an unknown target
    schema = (schema or qb.source / "qapi" / "qapi-schema.json").resolve()
    out = out.resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    compiler = Compiler([*qb.cflags, *extra_flags], (cache or cache_dir()) / "harness-objects",
                        jobs, stats, log)
    from qapic.frontend import load_overlay, load_schema
    model = load_schema(schema, overlay=load_overlay(conditions) if conditions else None)
    with_conditions = ["--conditions", str(conditions.resolve())] if conditions else []

    # C sources of the harness itself.
    cdir = work / "c"
    for f in ("harness.c", "harness.h"):
        _write_if_changed(cdir / f, (C_DIR / f).read_text())
    archive = _archive(qb, work)
    link = [*qb.cflags[:1], *extra_flags, "-Wl,--as-needed", "-Wl,--no-undefined", "-pie",
            "-Wl,-z,relro", "-Wl,-z,now"]
    libs = [*support_objects(qb), "-Wl,--start-group", str(archive), *link_args(),
            "-Wl,--end-group"]

    def include_flags(root: Path) -> list[str]:
        # Our generated qapi/ before the build directory's (upstream's generated headers).
        return ["-iquote", str(root), "-iquote", str(cdir), "-I", str(root / "qapi"),
                "-Werror=implicit-function-declaration"]

    per_target_bins: dict[str, Path] = {}
    files_common = files_target = 0
    if per_target:
        t0 = time.monotonic()
        root = work / "gen-target"
        gen = root / "qapi"
        if reference == "upstream":
            _generate((reference_schema or schema).resolve(), gen, [], qb.source)
        else:
            _generate(schema, gen, with_conditions)
        _write_if_changed(gen / "harness-doubles.c", doubles.generate(model, "target"))
        stats.seconds["generate"] = time.monotonic() - t0
        dependent = runtime_dependent(gen)
        sources = sorted(p for p in gen.glob("*.c"))
        common = [p for p in sources if p.name not in dependent]
        target_src = [p for p in sources if p.name in dependent]
        files_common, files_target = len(common) + 1, len(target_src)
        digest = _headers_digest([gen, cdir])
        t0 = time.monotonic()
        objdir = work / "obj-target"
        jobs_list = [(p, objdir / "common" / (p.name + ".o"), include_flags(root), digest)
                     for p in common]
        jobs_list.append((cdir / "harness.c", objdir / "common" / "harness.c.o",
                          include_flags(root), digest))
        cfgdir = work / "config"
        for n in names:
            cfg = cfgdir / f"{n}-config-target.h"
            _write_if_changed(cfg, config_target_header(table, n))
            extra = [*include_flags(root), "-DCOMPILING_PER_TARGET",
                     f'-DCONFIG_TARGET="{cfg}"']
            d = _headers_digest([gen, cdir], [cfg])
            jobs_list += [(p, objdir / n / (p.name + ".o"), extra, d) for p in target_src]
            (out / "per-target" / n).mkdir(parents=True, exist_ok=True)
            _write_if_changed(out / "per-target" / n / "compile.json", json.dumps(
                {"command": compiler.command(extra), "introspect": str(gen / "qapi-introspect.c")},
                indent=1) + "\n")
        compiler.compile_all(jobs_list)
        stats.seconds["compile per-target"] = time.monotonic() - t0
        t0 = time.monotonic()
        common_objs = [str(j[1]) for j in jobs_list[:len(common) + 1]]

        def link_one(n: str) -> tuple[str, Path]:
            exe = out / "per-target" / n / "qmp-harness"
            exe.parent.mkdir(parents=True, exist_ok=True)
            objs = common_objs + [str(objdir / n / (p.name + ".o")) for p in target_src]
            _run([*link, "-o", str(exe), *objs, *libs], f"linking {exe}")
            return n, exe

        with ThreadPoolExecutor(jobs) as pool:
            per_target_bins = dict(pool.map(link_one, names))
        stats.seconds["link per-target"] = time.monotonic() - t0

    single_exe: Path | None = None
    if single:
        t0 = time.monotonic()
        root = work / "gen-single"
        gen = root / "qapi"
        _generate(schema, gen, ["--single-binary", "--targets-from", str(qb.source),
                                *with_conditions])
        _write_if_changed(gen / "harness-doubles.c", doubles.generate(model, "single", table))
        stats.seconds["generate single"] = time.monotonic() - t0
        t0 = time.monotonic()
        digest = _headers_digest([gen, cdir])
        objdir = work / "obj-single"
        jobs_list = [(p, objdir / (p.name + ".o"), include_flags(root), digest)
                     for p in sorted(gen.glob("*.c"))]
        jobs_list.append((cdir / "harness.c", objdir / "harness.c.o",
                          [*include_flags(root), "-DHARNESS_SINGLE"], digest))
        compiler.compile_all(jobs_list)
        stats.seconds["compile single"] = time.monotonic() - t0
        t0 = time.monotonic()
        single_exe = out / "qmp-harness"
        _run([*link, "-o", str(single_exe), *[str(j[1]) for j in jobs_list], *libs],
             f"linking {single_exe}")
        bindir = out / "bin"
        bindir.mkdir(exist_ok=True)
        for n in table.names():
            lnk = bindir / f"qemu-system-{n}"
            if not lnk.is_symlink():
                lnk.symlink_to("../qmp-harness")
        stats.seconds["link single"] = time.monotonic() - t0
    stats.seconds["total"] = time.monotonic() - t_start
    result = Result(names, per_target_bins, single_exe, stats, files_common, files_target,
                    reference)
    report = {
        "qemu_build": str(qb.path), "schema": str(schema), "targets": names,
        "conditions": str(conditions) if conditions else None,
        "per_target_generator": reference if per_target else None,
        "reference_schema": str(reference_schema) if reference_schema else None,
        "sanitize": list(sanitize),
        "kvm_targets": sorted(t.name for t in table if t.kvm),
        "per_target": {n: str(p) for n, p in per_target_bins.items()},
        "single": str(single_exe) if single_exe else None,
        "files_compiled_once": files_common, "files_compiled_per_target": files_target,
        "compiles": stats.compiled, "cache_hits": stats.cached,
        "seconds": {k: round(v, 2) for k, v in stats.seconds.items()},
    }
    (out / "harness-build.json").write_text(json.dumps(report, indent=1) + "\n")
    return result


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError(f"{what} failed:\n{shlex.join(cmd)[:2000]}\n{proc.stderr[-6000:]}")


def build_defines(qemu_build: Path) -> frozenset[str]:
    """The macros the build directory's config-host.h defines (the build-time symbols)."""
    return QemuBuildDir.read(qemu_build).defines


def defines_in_effect(out: Path, target: str) -> frozenset[str]:
    """Every macro defined where the per-target harness for *target* (built into *out*)
    compiles its introspection: the build's config-host.h, the target's TARGET_* (and
    CONFIG_KVM where it has KVM), and what QEMU's headers define (HAVE_CHARDEV_SERIAL...)."""
    info = json.loads((out / "per-target" / target / "compile.json").read_text())
    proc = subprocess.run([*info["command"], "-dM", "-E", info["introspect"]],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError(f"preprocessing {info['introspect']} failed:\n{proc.stderr[-3000:]}")
    return frozenset(re.findall(r"^#define\s+(\w+)", proc.stdout, re.M))


__all__ = ["REFERENCES", "SANITIZERS", "HarnessError", "QemuBuildDir", "Result", "SymbolClasses",
           "build", "build_defines", "defines_in_effect", "runtime_dependent", "sanitizer_flags"]
