"""The typed QMP bindings (``qapic bindings``, issue 19): what they cost a user, each figure
beside its reference measured in the same run.

- *generation* of the QEMU 10.0.x package: ``qapic bindings`` as a whole process, against
  upstream's ``scripts/qapi-gen.py -b`` on the same schema (a generator QEMU's build runs on
  every schema change); goal: at most 0.5 s;
- *import* of the generated package's types (about 1,000 types and 1,700 classes) in a fresh
  interpreter, bytecode compiled as ``pip install`` leaves it, against importing ``qemu.qmp``
  (the client library every QMP user imports anyway); goal: at most 100 ms;
- *a typed call* against the raw ``qemu.qmp`` ``execute()`` of the same command on the same
  connection to a QMP harness (QEMU 10.0's code, the per-target x86_64 harness of
  ``$QAPIC_CACHE/harness/upstream``, built by the test suite or ``qapic harness``): a small
  command (``query-name``: the typed call checks and decodes its reply into ``NameInfo``) and
  ``query-qmp-schema`` (its ~230 kB reply decoded into ~2,000 typed objects); goals: at most
  1.05x and 1.15x.

Wall-clock on a shared machine: the two sides of each comparison alternate (blocks of calls,
the order swapped every block, or pairs of processes), and a ratio is the median of the
per-block ratios.

    .venv/bin/python bench/bindings_speed.py [--runs 9] [--calls 2000] [--schema-calls 40]
                                             [--harness PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qapic.proof.harness.base import cache_dir  # noqa: E402

HARNESS_ARGS = ("-machine", "none", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio")


def qemu_tree() -> Path:
    out = subprocess.run([str(REPO / "scripts" / "qemu-source"), "10.0"], check=True,
                         capture_output=True, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _wall(argv: list[str], cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def generation(tree: Path, scratch: Path, runs: int) -> tuple[float, float, Path]:
    schema = tree / "qapi" / "qapi-schema.json"
    ours, theirs = [], []
    pkg_dir = scratch / "bindings"
    for i in range(runs + 1):
        pair = [
            ("ours", [sys.executable, "-m", "qapic", "bindings", str(schema), "-o",
                      str(scratch / f"b{i}"), "--package", "qmp_bench"]),
            ("theirs", [sys.executable, str(tree / "scripts" / "qapi-gen.py"), "-b", "-o",
                        str(scratch / f"c{i}"), str(schema)]),
        ]
        if i % 2:
            pair.reverse()
        times = {name: _wall(argv) for name, argv in pair}
        if i:       # the first pair warms caches
            ours.append(times["ours"])
            theirs.append(times["theirs"])
    (scratch / "b1").rename(pkg_dir)
    return statistics.median(ours), statistics.median(theirs), pkg_dir


def imports(pkg_dir: Path, runs: int) -> tuple[float, float, float]:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(pkg_dir / "qmp_bench")],
                   check=True)
    code = "import time, sys; t = time.perf_counter(); import {}; " \
           "sys.stdout.write(str(time.perf_counter() - t))"
    ours, theirs, both = [], [], []
    for i in range(runs):
        order = [("ours", "qmp_bench.types"), ("theirs", "qemu.qmp")]
        if i % 2:
            order.reverse()
        got = {}
        for name, module in order:
            out = subprocess.run([sys.executable, "-c", code.format(module)], cwd=pkg_dir,
                                 env=_env(), check=True, capture_output=True, text=True).stdout
            got[name] = float(out)
        ours.append(got["ours"])
        theirs.append(got["theirs"])
        out = subprocess.run([sys.executable, "-c", code.format("qmp_bench.client")],
                             cwd=pkg_dir, env=_env(), check=True, capture_output=True,
                             text=True).stdout
        both.append(float(out))
    return statistics.median(ours), statistics.median(theirs), statistics.median(both)


async def _calls(pkg_dir: Path, harness: Path, calls: int, schema_calls: int
                 ) -> dict[str, tuple[float, float, float]]:
    sys.path.insert(0, str(pkg_dir))
    client = importlib.import_module("qmp_bench.client")
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([str(harness), *HARNESS_ARGS], stdin=theirs.fileno(),
                            stdout=theirs.fileno())
    theirs.close()
    qmp: Any = client.QMP()
    await qmp.connect(ours, target="x86_64")
    results = {}
    for label, typed, raw, n in (
            ("query-name", qmp.query_name, lambda: qmp.qmp.execute("query-name"), calls),
            ("query-qmp-schema", qmp.query_qmp_schema,
             lambda: qmp.qmp.execute("query-qmp-schema"), schema_calls)):
        block = max(1, n // 20)
        ratios, typed_t, raw_t = [], [], []
        for b in range(n // block):
            sides = [("typed", typed), ("raw", raw)]
            if b % 2:
                sides.reverse()
            got = {}
            for name, call in sides:
                t0 = time.perf_counter()
                for _ in range(block):
                    await call()
                got[name] = (time.perf_counter() - t0) / block
            ratios.append(got["typed"] / got["raw"])
            typed_t.append(got["typed"])
            raw_t.append(got["raw"])
        results[label] = (statistics.median(typed_t), statistics.median(raw_t),
                          statistics.median(ratios))
    await qmp.disconnect()
    proc.wait(timeout=10)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--schema-calls", type=int, default=40)
    ap.add_argument("--harness", type=Path,
                    default=cache_dir() / "harness" / "upstream" / "per-target" / "x86_64"
                    / "qmp-harness")
    args = ap.parse_args()
    if not args.harness.is_file():
        sys.exit(f"{args.harness}: no harness; build one with the test suite or "
                 "'qapic harness --qemu-build DIR -o OUT'")
    tree = qemu_tree()
    print(f"Python {sys.version.split()[0]}, QEMU {(tree / 'VERSION').read_text().strip()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="qapic-bindings-bench-") as tmp:
        scratch = Path(tmp)
        ours, theirs, pkg_dir = generation(tree, scratch, args.runs)
        print(f"generation: qapic bindings {ours:.3f} s, qapi-gen.py -b {theirs:.3f} s, "
              f"ratio {ours / theirs:.2f} (goal: at most 0.5 s)")
        types_t, qmp_t, client_t = imports(pkg_dir, args.runs)
        print(f"import of the types: {types_t * 1000:.1f} ms, of qemu.qmp {qmp_t * 1000:.1f} "
              f"ms, ratio {types_t / qmp_t:.2f}; the client with everything it imports "
              f"{client_t * 1000:.1f} ms (goal: types at most 100 ms)")
        results = asyncio.run(_calls(pkg_dir, args.harness, args.calls, args.schema_calls))
        for label, (typed, raw, ratio) in results.items():
            goal = 1.05 if label == "query-name" else 1.15
            print(f"{label}: typed {typed * 1e6:.0f} us, raw execute() {raw * 1e6:.0f} us, "
                  f"ratio {ratio:.3f} (goal: at most {goal})")


if __name__ == "__main__":
    main()
