"""exists() decides exactly as ``qapic introspect --target T -D SYM`` (qapic's condition model,
through its command line): for every target of QEMU 10.0 and of 10.2 with the shipped
conditions, with and without CONFIG_KVM, each command and event of the schema (read from its
files) is listed by introspection exactly where exists() says it exists, and so is each
member, enum value and branch of the types introspection shows (unmasked, ``-u``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.bindings.packages import CARRIED_10_2, load, schema
from tests.support import qemu_source

Info = list[dict[str, Any]]


def _targets(release: str) -> list[str]:
    configs = qemu_source(release) / "configs" / "targets"
    return sorted(p.name.removesuffix("-softmmu.mak") for p in configs.glob("*-softmmu.mak"))


def _introspect(release: str, target: str, defines: tuple[str, ...]) -> Info:
    argv = [sys.executable, "-m", "qapic", "introspect", str(schema(release)), "-t", target,
            "-u", "--compact"]
    if release == "10.2":
        argv += ["--conditions", str(CARRIED_10_2)]
    for d in defines:
        argv += ["-D", d]
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
    value: Info = json.loads(proc.stdout)
    return value


def _commands_and_events(release: str) -> set[str]:
    """Every command and event the schema's files define (read as text)."""
    text = "".join(p.read_text() for p in (qemu_source(release) / "qapi").glob("*.json"))
    return set(re.findall(r"^\{\s*'(?:command|event)'\s*:\s*'([^']+)'", text, re.M))


def _parts(entry: dict[str, Any]) -> set[str]:
    if entry["meta-type"] == "enum":
        return set(entry["values"])
    if entry["meta-type"] == "object":
        return {m["name"] for m in entry["members"]} | {v["case"] for v in
                                                       entry.get("variants", [])}
    return set()


def _named(info: Info) -> dict[str, set[str]]:
    """The parts of each named (not implicit, not array) type introspection shows."""
    return {e["name"]: _parts(e) for e in info
            if e["meta-type"] in ("enum", "object") and not e["name"].startswith(("q_", "["))}


@pytest.mark.parametrize("release", ["10.0", "10.2"])
def test_exists_decides_as_qapic_introspect(release: str) -> None:
    pkg = load(release)
    names = _commands_and_events(release)
    builds = {(t, d): _introspect(release, t, d) for t in _targets(release)
              for d in ((), ("CONFIG_KVM",))}
    every: dict[str, set[str]] = {}
    for info in builds.values():
        for name, parts in _named(info).items():
            every.setdefault(name, set()).update(parts)
    wrong: list[str] = []
    checked = 0
    for (target, defines), info in builds.items():
        listed = {e["name"] for e in info if e["meta-type"] in ("command", "event")}
        for name in names:
            checked += 1
            if pkg.exists(name, target=target, defines=defines) != (name in listed):
                wrong.append(f"{target} {defines}: {name}")
        for name, parts in _named(info).items():
            for part in every[name]:
                checked += 1
                if pkg.exists(name, part, target=target, defines=defines) != (part in parts):
                    wrong.append(f"{target} {defines}: {name}.{part}")
    assert not wrong, wrong[:40]
    assert len(builds) == 58 and len(names) > 250 and checked > 100000
