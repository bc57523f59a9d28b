"""Building QEMU 10.0 (or 10.2) with a given QAPI generator, and running what the build produced.

The build itself is ``scripts/qemu-build`` (cached under ``$QAPIC_CACHE/qemu-build/NAME``); this
module calls it for the two generators tests care about:

- ``"upstream"``: QEMU's own ``scripts/qapi-gen.py`` (the baseline);
- ``"qapic"``: a tree prepared by ``qapic qemu-setup``.

and for the real-QEMU single-binary comparison (``tests/realqemu``):

- ``"single"``: a tree prepared by ``qapic qemu-setup --single-binary`` with the targets of
  ``SINGLE_TARGETS`` (QAPI compiled once, linked into each ``qemu-system-X``).

"upstream" and "single" are configured alike, with the targets of ``SINGLE_TARGETS`` (the
default of scripts/qemu-build), so that each single-binary ``qemu-system-X`` has a per-target
reference from the very same configuration.  "qapic" builds only ``SYSTEM_TARGETS``.

``build(generator, qemu="10.2")`` builds QEMU 10.2.2 instead (``scripts/qemu-build --qemu 10.2``),
under the name ``GENERATOR-10.2`` and with the targets of ``TARGETS_10_2`` for every generator.

A build that fails is a test failure, never a skip (nothing here asks qapic whether it works).

Fixtures live in ``tests/qemu/fixtures.py`` so that several test packages can import them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent.parent
QEMU_BUILD: Final = REPO / "scripts" / "qemu-build"
GENERATORS: Final = ("upstream", "qapic", "single")
#: The targets of the "qapic" build (per target, like upstream's).
SYSTEM_TARGETS: Final = ("aarch64", "x86_64")
#: The targets of the "upstream" and "single" builds.
SINGLE_TARGETS: Final = ("aarch64", "arm", "s390x", "x86_64")
#: The targets of every QEMU 10.2 build.
TARGETS_10_2: Final = ("aarch64", "s390x", "x86_64")
#: The QEMU sources (keys of scripts/qemu-versions) that builds are made of.
QEMU_KEYS: Final = ("10.0", "10.2")

#: QEMU's QAPI unit-test programs (tests/unit/meson.build), built from tests/qapi-schema/.
UNIT_TESTS: Final = (
    "test-clone-visitor", "test-forward-visitor", "test-opts-visitor", "test-qapi-util",
    "test-qmp-cmds", "test-qmp-event", "test-qobject-input-visitor", "test-qobject-output-visitor",
    "test-string-input-visitor", "test-string-output-visitor", "test-visitor-serialization",
)

def build_name(generator: str, qemu: str = "10.0") -> str:
    """The scripts/qemu-build --name of *generator*'s build of QEMU *qemu*."""
    return generator if qemu == "10.0" else f"{generator}-{qemu}"


def build_args(generator: str, qemu: str = "10.0") -> list[str]:
    """The scripts/qemu-build options that select *generator* (and the QEMU source *qemu*)."""
    if qemu not in QEMU_KEYS:
        raise ValueError(f"unknown QEMU {qemu!r} (known: {', '.join(QEMU_KEYS)})")
    targets: tuple[str, ...]
    if qemu != "10.0":
        targets = TARGETS_10_2
    else:
        targets = SYSTEM_TARGETS if generator == "qapic" else SINGLE_TARGETS
    name = ["--name", build_name(generator, qemu)]
    target_list = ["--targets", ",".join(f"{t}-softmmu" for t in targets)]
    source = [] if qemu == "10.0" else ["--qemu", qemu]
    if generator == "upstream":
        return [*name, *target_list, *source]
    if generator in ("qapic", "single"):
        single = ["--single-binary"] if generator == "single" else []
        setup = shlex.join([sys.executable, "-m", "qapic", "qemu-setup", *single, "."])
        # qapic's launcher runs the package from this checkout: its changes must regenerate.
        return [*name, "--prepare", setup, "--generator-source", str(REPO / "qapic"),
                *target_list, *source]
    raise ValueError(f"unknown generator {generator!r} (known: {', '.join(GENERATORS)})")


@dataclass(frozen=True)
class QemuBuild:
    """A configured QEMU build directory (10.0 unless *qemu* says) with the default targets
    built."""

    generator: str
    build_dir: Path
    qemu: str = "10.0"

    def system(self, target: str) -> Path:
        return self.build_dir / f"qemu-system-{target}"

    def unit_test(self, name: str) -> Path:
        return self.build_dir / "tests" / "unit" / name

    @property
    def source_dir(self) -> Path:
        return self.build_dir.parent / "src"


_lock = threading.Lock()
_builds: dict[tuple[str, str], QemuBuild] = {}


def build(generator: str, qemu: str = "10.0") -> QemuBuild:
    """Build (or find in the cache) QEMU *qemu* with *generator*.

    Runs scripts/qemu-build once per process, generator and QEMU; its output is shown on failure.
    """
    with _lock:
        if (generator, qemu) in _builds:
            return _builds[generator, qemu]
        cmd = [str(QEMU_BUILD), *build_args(generator, qemu)]
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                    f"{os.environ.get('PATH', '')}")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n"
                               f"{proc.stderr[-6000:]}")
        out = proc.stdout.strip().splitlines()
        result = QemuBuild(generator, Path(out[-1]), qemu)
        check_generated_by(result)
        _builds[generator, qemu] = result
        return result


#: The first line of every file upstream's generator writes (QEMU's scripts/qapi/gen.py).
UPSTREAM_MARK: Final = "GENERATED by qapi-gen.py"
#: ... and of every file qapic writes.
QAPIC_MARK: Final = "GENERATED by qapic"


def generated_qapi_files(build_dir: Path) -> list[Path]:
    """The QAPI generator's output in a QEMU build directory: QEMU's schema (qapi/) and the
    unit tests' schema (tests/test-qapi-*, tests/include/test-qapi-*)."""
    return sorted(p for pattern in ("qapi/qapi-*.[ch]", "tests/test-qapi-*.[ch]",
                                    "tests/include/test-qapi-*.[ch]")
                  for p in build_dir.glob(pattern))


def check_generated_by(qemu: QemuBuild) -> None:
    """Every QAPI file of *qemu*'s build was written by the generator the build is named after
    (a "qapic" or "single" build that silently used upstream's generator proves nothing)."""
    mark = UPSTREAM_MARK if qemu.generator == "upstream" else QAPIC_MARK
    files = generated_qapi_files(qemu.build_dir)
    if len(files) < 100:
        raise RuntimeError(f"{qemu.build_dir}: only {len(files)} generated QAPI files")
    wrong = [str(p) for p in files
             if mark not in p.open(encoding="utf-8").readline()]
    if wrong:
        raise RuntimeError(f"{qemu.generator} build: {len(wrong)} of {len(files)} generated "
                           f"QAPI files lack {mark!r} on their first line: {wrong[:5]}")


# --- GLib test programs ---------------------------------------------------------------------

_TAP_OK = re.compile(r"^ok \d+ (\S+)(.*)$")
_TAP_NOT_OK = re.compile(r"^not ok \d+ (\S+)(.*)$")


@dataclass(frozen=True)
class UnitResult:
    """The outcome of one GLib test program run with --tap."""

    name: str
    returncode: int
    passed: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...]
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failed and bool(self.passed)


def run_unit_test(qemu: QemuBuild, name: str, timeout: float = 300) -> UnitResult:
    """Run tests/unit/NAME of *qemu* as QEMU's meson does (TAP output) and parse its results."""
    exe = qemu.unit_test(name)
    env = dict(os.environ,
               G_TEST_SRCDIR=str(qemu.source_dir / "tests" / "unit"),
               G_TEST_BUILDDIR=str(qemu.build_dir / "tests" / "unit"),
               MALLOC_PERTURB_="153")
    proc = subprocess.run([str(exe), "--tap", "-k"], cwd=qemu.build_dir / "tests" / "unit",
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                          timeout=timeout)
    passed: list[str] = []
    skipped: list[str] = []
    failed: list[str] = []
    for line in proc.stdout.splitlines():
        if m := _TAP_NOT_OK.match(line):
            failed.append(m.group(1))
        elif m := _TAP_OK.match(line):
            (skipped if "# SKIP" in m.group(2) else passed).append(m.group(1))
    return UnitResult(name, proc.returncode, tuple(passed), tuple(skipped), tuple(failed),
                      proc.stdout)


def run_unit_tests(qemu: QemuBuild) -> tuple[dict[str, int], list[str]]:
    """Every QAPI unit test of :data:`UNIT_TESTS` run in *qemu*'s build: the cases passed per
    program, and a report of each program that failed or skipped a case."""
    counts: dict[str, int] = {}
    failures = []
    for name in UNIT_TESTS:
        result = run_unit_test(qemu, name)
        counts[name] = len(result.passed)
        if not result.ok or result.skipped:
            failures.append(f"{name}: exit {result.returncode}, failed {list(result.failed)}, "
                            f"skipped {list(result.skipped)}\n{result.output[-3000:]}")
    return counts, failures
