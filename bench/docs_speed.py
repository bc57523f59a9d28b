"""Time ``qapic docs`` on QEMU 10.0's full schema (every target, HTML and rST).

Timed, best of N: loading the schema, building the documentation view (availability of every
entry, member, value, branch and feature over all targets), rendering HTML and rST, in this
process; and the whole ``python -m qapic.qmp.docs`` process writing the output directory
(interpreter start-up included).  Goal: under 2 s.

    .venv/bin/python bench/docs_speed.py [--runs N] [--schema-key 10.0] [--format html,rst]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qapic.frontend import load_schema  # noqa: E402
from qapic.qemu_tree import read_target_table  # noqa: E402
from qapic.qmp.docs import html, rst  # noqa: E402
from qapic.qmp.docs.model import Entry, build_view  # noqa: E402

GOAL = 2.0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--schema-key", default="10.0")
    ap.add_argument("--format", default="html,rst")
    args = ap.parse_args()

    tree = Path(subprocess.run([str(REPO / "scripts" / "qemu-source"), args.schema_key],
                               check=True, stdout=subprocess.PIPE, text=True
                               ).stdout.strip().splitlines()[-1])
    schema_path = tree / "qapi" / "qapi-schema.json"
    renderers = {"html": html.render, "rst": rst.render}
    formats = [f for f in args.format.split(",") if f]

    phases: dict[str, float] = {}
    sizes: dict[str, int] = {}
    entries = 0
    items = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        schema = load_schema(schema_path)
        table = read_target_table(tree)
        t1 = time.perf_counter()
        view = build_view(schema, table)
        t2 = time.perf_counter()
        files: dict[str, str] = {}
        times = {}
        for fmt in formats:
            t = time.perf_counter()
            files.update(renderers[fmt](view))
            times[fmt] = time.perf_counter() - t
        t3 = time.perf_counter()
        for name, value in (("load", t1 - t0), ("view", t2 - t1), ("render", t3 - t2),
                            ("total", t3 - t0), *times.items()):
            phases[name] = min(phases.get(name, float("inf")), value)
        sizes = {name: len(text.encode()) for name, text in files.items()}
        entries = sum(1 for n in view.nodes if isinstance(n, Entry))
        items = sum(len(g.members) for n in view.nodes if isinstance(n, Entry)
                    for g in n.groups)

    process = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "qapic.qmp.docs", str(schema_path),
                            "-o", str(Path(tmp) / f"out{i}"), "--format", args.format],
                           check=True, cwd=REPO)
            process = min(process, time.perf_counter() - t)

    print(f"schema: QEMU {args.schema_key}, {len(table)} targets; {entries} entries, "
          f"{items} members/values/branches")
    for name, size in sizes.items():
        print(f"  {name}: {size // 1024} KiB")
    print(f"in process (best of {args.runs}): load {phases['load']:.3f} s, view "
          f"{phases['view']:.3f} s, render {phases['render']:.3f} s "
          f"({', '.join(f'{f} {phases[f]:.3f} s' for f in formats)}), "
          f"total {phases['total']:.3f} s")
    print(f"whole process, writing the output: {process:.3f} s (goal < {GOAL} s)")
    return 0 if process < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
