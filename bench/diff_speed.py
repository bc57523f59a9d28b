"""Time ``qapic diff`` on two full introspections: QEMU 10.0's x86_64 and aarch64 builds.

The two query-qmp-schema values come from QEMU's own generator (tests/oracle, run once, not
timed) and are written to files.  Timed: reading both files, validating, comparing and rendering
the text report, in this process (best of N), and the whole ``python -m qapic.qmp.diff``
process (interpreter start-up included, best of N).  Goal: under 0.5 s.

    .venv/bin/python bench/diff_speed.py [--runs N] [--schema-key 10.0] [--a x86_64] [--b aarch64]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qapic.cli import command_main  # noqa: E402
from tests.oracle.targets import target_symbols  # noqa: E402
from tests.oracle.upstream import UpstreamOracle  # noqa: E402

BUILD = frozenset({"CONFIG_KVM", "CONFIG_TCG", "CONFIG_LINUX", "CONFIG_POSIX"})
GOAL = 0.5


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--schema-key", default="10.0")
    ap.add_argument("--a", default="x86_64", help="target of A")
    ap.add_argument("--b", default="aarch64", help="target of B")
    args = ap.parse_args()

    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True
                               ).stdout.strip().splitlines()[-1])
    schema = tree / "qapi" / "qapi-schema.json"
    with tempfile.TemporaryDirectory() as tmp:
        oracle = UpstreamOracle(tree, Path(tmp) / "oracle")
        files = []
        for target in (args.a, args.b):
            value = oracle.introspect(schema, BUILD | target_symbols(tree, target))
            assert isinstance(value, list)
            path = Path(tmp) / f"{target}.json"
            path.write_text(json.dumps(value), encoding="utf-8")
            files.append(path)
            print(f"{target}: {len(value)} entries, {path.stat().st_size // 1024} KiB")

        best = float("inf")
        status = -1
        out = io.StringIO()
        for _ in range(args.runs):
            out = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(out):
                status = command_main("diff", [str(files[0]), str(files[1])])
            best = min(best, time.perf_counter() - start)
        summary = out.getvalue().strip().splitlines()[-1] if out.getvalue() else "no changes"

        whole = float("inf")
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "qapic.qmp.diff", *map(str, files)],
                           cwd=REPO, check=False, stdout=subprocess.DEVNULL)
            whole = min(whole, time.perf_counter() - start)

    print(f"QEMU {(tree / 'VERSION').read_text().strip()} {args.a} vs {args.b}: {summary} "
          f"(exit {status})")
    print(f"qapic diff, in process (read + validate + compare + render): {best:.3f} s")
    print(f"qapic diff, whole process (with interpreter start-up):       {whole:.3f} s")
    print(f"goal: under {GOAL} s -- {'met' if whole < GOAL else 'NOT met'}")
    return 0 if whole < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
