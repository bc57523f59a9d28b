"""Building the QMP harnesses against a configured and built QEMU 10.0 build directory.

Layout of OUT::

    OUT/per-target/X/qmp-harness     one per target X (TARGET_* of X as macros), from the QEMU
                                     source's own generator (or qapic's: ``reference``)
    OUT/qmp-harness                  the single-binary output, compiled once (no TARGET_* macro)
    OUT/bin/qemu-system-X            links to OUT/qmp-harness (the target comes from argv[0])
    OUT/work/                        generated C, our copy of libqemuutil.a, objects, configs
    OUT/harness-build.json           what was built, compile counts, cache hits, timings

Cost: the schema is generated once per kind; a generated file is compiled once when no
``#if`` in it or in the generated headers it includes tests a run-time symbol (``TARGET_*``,
``CONFIG_KVM``), else once per target.  Objects are cached under the cache directory, each keyed
on its compiler command, its source and the files the compiler read for it
(:mod:`qapic.proof.harness.objects`): a warm build only links, and a change to one schema module
recompiles only the objects that include its headers.

The steps live in modules of their own: :mod:`~qapic.proof.harness.builddir` reads the QEMU build
directory, :mod:`~qapic.proof.harness.generation` writes the generated C (qapic's in process,
upstream's by its own program), :mod:`~qapic.proof.harness.objects` compiles with the object cache,
:mod:`~qapic.proof.harness.linking` links; this module runs one pipeline for each kind of harness
(:class:`Kind`: the per-target kind compiles target-dependent files once per target) and writes
the report.

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

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from qapic.conditions import SymbolClasses, TargetTable
from qapic.frontend import Schema
from qapic.proof.harness import doubles
from qapic.proof.harness.base import HarnessError, cache_dir, sanitizer_flags
from qapic.proof.harness.builddir import QemuBuildDir
from qapic.proof.harness.generation import (
    config_target_header,
    qapic_files,
    runtime_dependent,
    sync_directory,
    upstream_files,
    write_if_changed,
)
from qapic.proof.harness.linking import Linker
from qapic.proof.harness.objects import Compiler, Job, Progress, Stats
from qapic.qemu.generate.single import PER_TARGET, SingleBinaryPolicy
from qapic.userio import write_file

C_DIR = Path(__file__).resolve().parent / "c"

#: The generators of the per-target reference harnesses (``HarnessOptions.reference``).
REFERENCES = ("upstream", "qapic")


@dataclass
class Result:
    targets: list[str]
    per_target: dict[str, Path]
    single: Path | None         # None when built with single=False
    stats: Stats
    files_common: int
    files_per_target: int
    reference: str | None = "upstream"  # the generator of the per-target harnesses (None:
                                        # none built)
    #: Which generator wrote each side's code: "single" and "per_target", each
    #: :func:`generator_of` (None for a side not built); also in ``harness-build.json``.
    generators: dict[str, dict[str, str | None] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    """One kind of harness: how its code is guarded and compiled, where its parts go."""

    name: doubles.Mode          # "target" or "single" (the test doubles' mode too)
    label: str                  # in the report's timings
    per_target: bool            # target-dependent files compiled once per target
    gen_root: str               # under OUT/work; the generated qapi/ is under it
    objdir: str                 # under OUT/work


PER_TARGET_KIND = Kind("target", "per-target", True, "gen-target", "obj-target")
SINGLE_KIND = Kind("single", "single", False, "gen-single", "obj-single")


@dataclass
class _Plan:
    """What one kind compiles, and the objects of each of its harnesses."""

    jobs: list[Job]
    harnesses: dict[str, list[Path]]    # target (or "" for the single harness): its objects
    files_common: int = 0
    files_per_target: int = 0


class _Pipeline:
    """Generate, compile and link the harnesses of one kind against one QEMU build."""

    def __init__(self, kind: Kind, out: Path, table: TargetTable, compiler: Compiler,
                 linker: Linker, progress: Progress | None) -> None:
        self.kind = kind
        self.progress = progress
        self.out = out
        self.work = out / "work"
        self.gen = self.work / kind.gen_root / "qapi"
        self.table = table
        self.compiler = compiler
        self.linker = linker

    def _timed(self, what: str, step: Callable[[], object]) -> None:
        t0 = time.monotonic()
        step()
        self.compiler.stats.seconds[what] = time.monotonic() - t0

    def run(self, files: Callable[[], dict[str, str]], model: Schema,
            names: Sequence[str]) -> tuple[dict[str, Path], _Plan]:
        """The kind's harnesses (per target: one for each of *names*; single: one, key "")
        from the generated *files* and the test doubles of *model*."""
        kind = self.kind
        self._timed("generate" if kind.per_target else "generate single",
                    lambda: sync_directory(self.gen, {
                        **files(), "harness-doubles.c": doubles.generate(
                            model, kind.name, None if kind.per_target else self.table)}))
        plan = self._plan(names)
        self._timed(f"compile {kind.label}", lambda: self.compiler.compile_all(
            plan.jobs, self.progress, f"compiling the {kind.label} harness code"))
        exes: dict[str, Path] = {}
        self._timed(f"link {kind.label}", lambda: exes.update(self._link(plan)))
        return exes, plan

    def include_flags(self) -> list[str]:
        # Our generated qapi/ before the build directory's (upstream's generated headers).
        root = self.gen.parent
        return ["-iquote", str(root), "-iquote", str(self.work / "c"), "-I", str(self.gen),
                "-Werror=implicit-function-declaration"]

    def _plan(self, names: Sequence[str]) -> _Plan:
        objdir = self.work / self.kind.objdir
        flags = tuple(self.include_flags())
        sources = sorted(self.gen.glob("*.c"))
        harness_c = self.work / "c" / "harness.c"
        if not self.kind.per_target:
            jobs = [Job(p, objdir / (p.name + ".o"), flags) for p in sources]
            jobs.append(Job(harness_c, objdir / "harness.c.o", (*flags, "-DHARNESS_SINGLE")))
            return _Plan(jobs, {"": [j.obj for j in jobs]})
        dependent = runtime_dependent(self.gen)
        common = [p for p in sources if p.name not in dependent] + [harness_c]
        target_src = [p for p in sources if p.name in dependent]
        jobs = [Job(p, objdir / "common" / (p.name + ".o"), flags) for p in common]
        shared = [j.obj for j in jobs]
        plan = _Plan(jobs, {}, len(common), len(target_src))
        for n in names:
            cfg = self.work / "config" / f"{n}-config-target.h"
            write_if_changed(cfg, config_target_header(self.table, n))
            extra = (*flags, "-DCOMPILING_PER_TARGET", f'-DCONFIG_TARGET="{cfg}"')
            own = [Job(p, objdir / n / (p.name + ".o"), extra) for p in target_src]
            plan.jobs += own
            plan.harnesses[n] = [*shared, *(j.obj for j in own)]
            write_if_changed(self.out / "per-target" / n / "compile.json", json.dumps(
                {"command": self.compiler.command(extra),
                 "introspect": str(self.gen / "qapi-introspect.c")}, indent=1) + "\n")
        return plan

    def _link(self, plan: _Plan) -> dict[str, Path]:
        def one(n: str) -> tuple[str, Path]:
            exe = self.out / "per-target" / n / "qmp-harness" if n else self.out / "qmp-harness"
            return n, self.linker.link(exe, plan.harnesses[n])
        what = f"linking {'per-target harnesses' if self.kind.per_target else 'the single harness'}"
        exes: dict[str, Path] = {}
        with ThreadPoolExecutor(self.compiler.jobs) as pool:
            for n, exe in pool.map(one, plan.harnesses):
                exes[n] = exe
                if self.progress is not None:
                    self.progress(what, len(exes), len(plan.harnesses))
        if not self.kind.per_target:
            bindir = self.out / "bin"
            bindir.mkdir(exist_ok=True)
            for n in self.table.names():
                lnk = bindir / f"qemu-system-{n}"
                if not lnk.is_symlink():
                    lnk.symlink_to("../qmp-harness")
        return exes


#: Why conditions without a reference schema are refused unless qapic is asked for.
NO_REFERENCE_SCHEMA = (
    "--conditions without --reference-schema: the per-target reference is upstream's "
    "generator, which takes no conditions file; give --reference-schema, the schema with the "
    "conditions written into its JSON, or --reference qapic to compare with qapic's own "
    "per-target output (not an independent reference)")


def check_reference(reference: str | None, conditions: Path | None,
                    reference_schema: Path | None, per_target: bool = True) -> str | None:
    """The generator of the per-target harnesses (``None`` when *per_target* is false: none
    are built).  Upstream's unless *reference* is ``"qapic"``: with *conditions* and no
    *reference_schema* nothing is chosen silently, qapic must be asked for
    (:data:`NO_REFERENCE_SCHEMA`, a :class:`HarnessError`)."""
    if reference is not None and reference not in REFERENCES:
        raise HarnessError(f"unknown reference generator {reference!r} "
                           f"(known: {', '.join(REFERENCES)})")
    if reference_schema and reference == "qapic":
        raise HarnessError("a reference schema is for upstream's generator, not with "
                           "--reference qapic")
    if not per_target:
        return None
    if conditions and not reference_schema and reference != "qapic":
        raise HarnessError(NO_REFERENCE_SCHEMA)
    return reference or "upstream"


def generator_of(kind: str, generator: str, schema: Path, conditions: Path | None,
                 program: Path | None = None) -> dict[str, str | None]:
    """What ``harness-build.json`` (and ``qapic fuzz``'s report) says of the code of one side:
    *kind* "single-binary" or "per-target", the *generator* ("upstream": the QEMU source's
    *program* ``scripts/qapi-gen.py``; "qapic": in process), the *schema* it compiled and the
    *conditions* file applied to it (upstream's generator takes none)."""
    return {"generator": generator, "kind": kind, "schema": str(schema),
            "conditions": str(conditions) if conditions else None,
            "program": str(program) if program else None}


def describe_generator(side: dict[str, str | None] | None) -> str:
    """One line for a person: which generator built a side, from what."""
    if side is None:
        return "not built"
    if side["generator"] == "given":
        text = f"the harness given with --single ({side['program']})"
    elif side["generator"] == "upstream":
        text = f"upstream's generator ({side['program']}) on {side['schema']}"
    else:
        text = f"qapic's {side['kind']} output on {side['schema']}"
    if side.get("conditions"):
        text += f" with {side['conditions']}"
    if side.get("sanitize"):
        text += f", under -fsanitize={side['sanitize']}"
    if side.get("coverage"):
        text += ", with gcov"
    return text


@dataclass(frozen=True)
class HarnessOptions:
    """What :func:`build` builds, and how.

    *targets*: the per-target harnesses' targets (default: every target of the build);
    *schema*: the main schema (default: the build's ``qapi/qapi-schema.json``); *single*,
    *per_target*: the kinds built; *jobs*: parallel compiles (default: the CPUs); *cache*: the
    object cache's directory (default: qapic's cache); *sanitize*: sanitizers
    (``address``, ``undefined``); *conditions*: a conditions file applied to the schema for
    both kinds (``qapic generate --conditions``); *cflags* come after the QEMU build's own
    compiler flags (a benchmark's ``-O2 -g`` over a test build's ``-O0``).

    *reference* is the generator of the per-target harnesses: ``"upstream"`` (the default: the
    QEMU source's own ``scripts/qapi-gen.py``, so that the single binary is compared with code
    qapic did not write) or ``"qapic"``.  Upstream's generator cannot apply a conditions file:
    with *conditions* it needs *reference_schema*, the schema with those conditions written
    into its JSON (by the caller); without one, per-target harnesses are built only when
    ``"qapic"`` is asked for (:func:`check_reference`).  The test doubles are generated by
    qapic for both kinds alike.
    """

    targets: Sequence[str] | None = None
    schema: Path | None = None
    single: bool = True
    per_target: bool = True
    jobs: int | None = None
    cache: Path | None = None
    sanitize: Sequence[str] = ()
    conditions: Path | None = None
    cflags: Sequence[str] = ()
    reference: str | None = None
    reference_schema: Path | None = None


#: Every harness, of every target, from upstream's generator.
DEFAULT_OPTIONS = HarnessOptions()


def _no_log(_text: str) -> None:
    pass


def build(qemu_build: Path, out: Path, options: HarnessOptions = DEFAULT_OPTIONS,
          log: Callable[[str], None] = _no_log, progress: Progress | None = None) -> Result:
    """Build the harnesses of *options* (see the module's docstring) for the QEMU build
    directory *qemu_build* into *out*.

    *log* is told each milestone (a kind of harness built), *progress* how far each compile
    and link step is.  The report ``OUT/harness-build.json`` is removed first and written last
    (atomically): it exists only for a build that succeeded."""
    o = options
    reference = check_reference(o.reference, o.conditions, o.reference_schema, o.per_target)
    t_start = time.monotonic()
    stats = Stats()
    extra_flags = [*sanitizer_flags(o.sanitize), *o.cflags]
    qb = QemuBuildDir.read(qemu_build)
    table = qb.target_table()
    names = table.names() if o.targets is None else list(o.targets)
    for n in names:
        table.get(n)  # KeyError for an unknown target
    schema = (o.schema or qb.source / "qapi" / "qapi-schema.json").resolve()
    out = out.resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    (out / "harness-build.json").unlink(missing_ok=True)
    compiler = Compiler([*qb.cflags, *extra_flags], (o.cache or cache_dir()) / "harness-objects",
                        o.jobs or os.cpu_count() or 1, stats)
    from qapic.frontend import load_overlay, load_schema
    model = load_schema(schema, overlay=load_overlay(o.conditions) if o.conditions else None)
    for f in ("harness.c", "harness.h"):
        write_if_changed(work / "c" / f, (C_DIR / f).read_text())
    linker = Linker(qb, work, extra_flags, log)

    per_target_bins: dict[str, Path] = {}
    files_common = files_target = 0
    generators: dict[str, dict[str, str | None] | None] = {"single": None, "per_target": None}
    if reference is not None:
        ref_schema = (o.reference_schema or schema).resolve()
        generators["per_target"] = generator_of(
            "per-target", "upstream", ref_schema, None, qb.source / "scripts" / "qapi-gen.py"
        ) if reference == "upstream" else generator_of("per-target", "qapic", schema,
                                                       o.conditions)

        def reference_files() -> dict[str, str]:
            if reference == "upstream":
                return upstream_files(ref_schema, qb.source)
            return qapic_files(model, schema, PER_TARGET)
        pipeline = _Pipeline(PER_TARGET_KIND, out, table, compiler, linker, progress)
        per_target_bins, plan = pipeline.run(reference_files, model, names)
        files_common, files_target = plan.files_common, plan.files_per_target
        log(f"per-target harnesses built for {len(names)} targets ({reference}'s code): "
            f"{files_common} files compiled once, {files_target} per target")

    single_exe: Path | None = None
    if o.single:
        policy = SingleBinaryPolicy(table, SymbolClasses(), upstream_stubs=False)
        pipeline = _Pipeline(SINGLE_KIND, out, table, compiler, linker, progress)
        single_exe = pipeline.run(lambda: qapic_files(model, schema, policy), model, ())[0][""]
        generators["single"] = generator_of("single-binary", "qapic", schema, o.conditions)
        log(f"single harness built: {single_exe}")
    stats.seconds["total"] = time.monotonic() - t_start
    result = Result(names, per_target_bins, single_exe, stats, files_common, files_target,
                    reference, generators)
    write_file(out / "harness-build.json",
               json.dumps(_report(qb, schema, o, table, result), indent=1) + "\n")
    return result


def _report(qb: QemuBuildDir, schema: Path, o: HarnessOptions, table: TargetTable,
            result: Result) -> dict[str, object]:
    """What ``harness-build.json`` says of a build."""
    stats = result.stats
    return {
        "qemu_build": str(qb.path), "schema": str(schema), "targets": result.targets,
        "conditions": str(o.conditions) if o.conditions else None,
        "per_target_generator": result.reference,
        "reference_schema": str(o.reference_schema) if o.reference_schema else None,
        "generators": result.generators,
        "sanitize": list(o.sanitize),
        "kvm_targets": sorted(t.name for t in table if t.kvm),
        "per_target": {n: str(p) for n, p in result.per_target.items()},
        "single": str(result.single) if result.single else None,
        "files_compiled_once": result.files_common,
        "files_compiled_per_target": result.files_per_target,
        "compiles": stats.compiled, "cache_hits": stats.cached,
        "seconds": {k: round(v, 2) for k, v in stats.seconds.items()},
    }


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


__all__ = ["NO_REFERENCE_SCHEMA", "REFERENCES", "HarnessError", "HarnessOptions", "Kind",
           "Result", "build", "check_reference", "defines_in_effect", "describe_generator",
           "generator_of"]
