"""The generated C a harness is compiled from: qapic's (generated in this process from the
schema model the test doubles are made from) or upstream's (the QEMU source's own
``scripts/qapi-gen.py``, run as a program of its own), written into a directory where only the
files whose text changed are rewritten; and which of those files depend on the target."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from qapic.conditions import TargetTable
from qapic.frontend import Schema
from qapic.proof.harness.base import HarnessError
from qapic.qemu.generate.common import GenContext
from qapic.qemu.generate.main import generate, schema_release
from qapic.qemu.generate.single import GuardPolicy
from qapic.qemu_tree import QemuTreeError

_RUNTIME_IF = re.compile(r"^\s*#\s*(?:el)?if\b.*\bdefined\s*\(?\s*(TARGET_\w+|CONFIG_KVM)\b")
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def qapic_files(model: Schema, schema: Path, guards: GuardPolicy) -> dict[str, str]:
    """What ``qapic generate -b --suppress-tracing`` (``--single-binary`` for a single-binary
    *guards*) writes for *model*, the schema loaded from *schema*: file name to text."""
    try:
        release = schema_release(schema)
    except QemuTreeError as err:
        raise HarnessError(str(err)) from None
    ctx = GenContext(builtins=True, suppress_tracing=True, schema_name=schema.name,
                     guards=guards, qemu_version=release)
    return {name: text for name, text in generate(model, ctx).texts().items()
            if not name.startswith("../")}


def upstream_files(schema: Path, tree: Path) -> dict[str, str]:
    """What the QEMU source *tree*'s own ``scripts/qapi-gen.py -b --suppress-tracing`` writes
    for *schema* (its output is the reference qapic is compared with)."""
    gen = tree / "scripts" / "qapi-gen.py"
    if not gen.is_file():
        raise HarnessError(f"{tree}: no scripts/qapi-gen.py (upstream's generator)")
    with tempfile.TemporaryDirectory(prefix="qapic-upstream-") as out:
        cmd = [sys.executable, str(gen), "-b", "--suppress-tracing", "-o", out, str(schema)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError(f"{shlex.join(cmd)} failed:\n{proc.stderr[-4000:]}")
        return {p.name: p.read_text() for p in Path(out).iterdir() if p.is_file()}


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def sync_directory(out: Path, files: dict[str, str]) -> None:
    """Make *out* hold exactly *files*: stale files removed, changed ones rewritten, unchanged
    ones untouched (the object cache and a reader's timestamps see no change)."""
    out.mkdir(parents=True, exist_ok=True)
    for p in out.iterdir():
        if p.name not in files:
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
    for name, text in files.items():
        write_if_changed(out / name, text)


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


def config_target_header(table: TargetTable, name: str) -> str:
    """The ``CONFIG_TARGET`` header of a per-target compile: target *name*'s run-time symbols."""
    t = table.get(name)
    lines = [f"/* qapic harness: the run-time symbols of target {name} */"]
    for sym in sorted(table.target_symbols(t)):
        lines.append(f"#define {sym} 1")
    lines.append(f'#define TARGET_NAME "{name}"')
    return "\n".join(lines) + "\n"
