"""Real QEMU binaries from Debian's packages: installing them, asking them for query-qmp-schema.

Each ``qemu-system-<target>`` is started with ``-machine none -nodefaults -display none -S -qmp
stdio``; after the greeting it gets ``qmp_capabilities``, ``query-qmp-schema`` and ``quit``.
The ``return`` value is cached as ``<cache>/live-<series>/<binary>--<version>.json``, where
<cache> is ``$QAPIC_CACHE`` or ``${XDG_CACHE_HOME:-~/.cache}/qapic`` and <version> is what
``--version`` prints (it names the Debian package version, so an upgrade refreshes the cache).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BINDIR = Path("/usr/bin")
#: Installs the binaries, pinned to QEMU 7.2.
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "qemu-72-binaries"

# Debian 12 builds every softmmu target of QEMU 7.2 (debian/rules: system_targets).
LIVE_TARGETS = [
    "aarch64", "alpha", "arm", "avr", "cris", "hppa", "i386", "loongarch64", "m68k",
    "microblaze", "microblazeel", "mips", "mips64", "mips64el", "mipsel", "nios2", "or1k", "ppc",
    "ppc64", "riscv32", "riscv64", "rx", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "tricore",
    "x86_64", "xtensa", "xtensaeb",
]

# The Debian binary package shipping qemu-system-<target> (Debian 12: s390x, riscv*, ... are in
# qemu-system-misc).
PACKAGE_OF = {
    "aarch64": "qemu-system-arm", "arm": "qemu-system-arm",
    "i386": "qemu-system-x86", "x86_64": "qemu-system-x86",
    "ppc": "qemu-system-ppc", "ppc64": "qemu-system-ppc",
    "mips": "qemu-system-mips", "mipsel": "qemu-system-mips", "mips64": "qemu-system-mips",
    "mips64el": "qemu-system-mips",
    "sparc": "qemu-system-sparc", "sparc64": "qemu-system-sparc",
}
DEFAULT_PACKAGE = "qemu-system-misc"


def package_of(target: str) -> str:
    return PACKAGE_OF.get(target, DEFAULT_PACKAGE)


def cache_dir() -> Path:
    env = os.environ.get("QAPIC_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "qapic"


def binary(target: str) -> Path:
    return BINDIR / f"qemu-system-{target}"


class InstallError(Exception):
    pass


def ensure_installed(targets: list[str]) -> list[str]:
    """When a binary of the *targets* is missing, run scripts/qemu-72-binaries (as root or
    through passwordless sudo): it installs the missing qemu-system-* packages at QEMU 7.2, or
    refuses.  Returns the packages of the missing binaries; raises InstallError when it cannot,
    or when a binary is still missing afterwards (the message says why)."""
    missing = sorted({package_of(t) for t in targets if not binary(t).exists()})
    if not missing:
        return []
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True,
                                                 check=False).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        raise InstallError(f"{', '.join(missing)} not installed, and not root (nor sudo -n)")
    if shutil.which("apt-get") is None:
        raise InstallError(f"{', '.join(missing)} not installed, and no apt-get here")
    proc = subprocess.run([*prefix, str(INSTALL_SCRIPT)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise InstallError(f"`scripts/qemu-72-binaries` failed ({proc.returncode}):\n"
                           f"{proc.stderr[-2000:]}")
    still = [str(binary(t)) for t in targets if not binary(t).exists()]
    if still:
        raise InstallError(f"installed {', '.join(missing)}, but still missing: "
                           f"{', '.join(still)}")
    return missing


#: The first line of ``--version`` of Debian's QEMU 7.2 (any Debian revision of it, as
#: scripts/qemu-72-binaries installs).
VERSION_7_2 = re.compile(r"QEMU emulator version 7\.2(\.\d+)? \(Debian 1:7\.2\+dfsg-[^ )]+\)")


def version_of(target: str) -> str:
    """``QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`` for the binary."""
    out = subprocess.run([str(binary(target)), "--version"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return out.splitlines()[0].strip()


@dataclass
class LiveSchema:
    target: str
    version: str            # first line of --version
    qemu: tuple[int, int, int]
    package: str            # the greeting's "package" string
    schema: list[Any]       # query-qmp-schema's return value


def _query(target: str, timeout: float = 60) -> tuple[dict[str, Any], list[Any]]:
    cmds = [{"execute": "qmp_capabilities", "id": "caps"},
            {"execute": "query-qmp-schema", "id": "schema"},
            {"execute": "quit", "id": "quit"}]
    argv = [str(binary(target)), "-machine", "none", "-nodefaults", "-display", "none", "-S",
            "-qmp", "stdio"]
    proc = subprocess.run(argv, input="".join(json.dumps(c) + "\n" for c in cmds),
                          capture_output=True, text=True, timeout=timeout, check=False)
    greeting: dict[str, Any] | None = None
    schema: list[Any] | None = None
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        msg = json.loads(line)
        if "QMP" in msg and greeting is None:
            greeting = msg["QMP"]
        elif msg.get("id") == "caps" and "error" in msg:
            raise RuntimeError(f"{argv[0]}: qmp_capabilities failed: {msg['error']}")
        elif msg.get("id") == "schema":
            if "error" in msg:
                raise RuntimeError(f"{argv[0]}: query-qmp-schema failed: {msg['error']}")
            schema = msg["return"]
    if greeting is None or schema is None:
        raise RuntimeError(f"{' '.join(argv)} (exit {proc.returncode}) gave no "
                           f"{'greeting' if greeting is None else 'schema'}; "
                           f"stderr: {proc.stderr[-1000:]}")
    return greeting, schema


def live_schema(target: str, series: str = "7.2") -> LiveSchema:
    """query-qmp-schema of ``qemu-system-<target>`` (cached per binary version)."""
    version = version_of(target)
    key = re.sub(r"[^A-Za-z0-9.+~-]+", "_", version.removeprefix("QEMU emulator version "))
    key = key.strip("_")
    path = cache_dir() / f"live-{series}" / f"qemu-system-{target}--{key}.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return LiveSchema(target, data["version"], tuple(data["qemu"]),
                              data["package"], data["schema"])
        except (ValueError, KeyError, TypeError):
            pass                    # a damaged entry: ask the binary again
    greeting, schema = _query(target)
    v = greeting["version"]["qemu"]
    live = LiveSchema(target, version, (v["major"], v["minor"], v["micro"]),
                      greeting["version"].get("package", ""), schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"version": live.version, "qemu": list(live.qemu),
                               "package": live.package, "schema": live.schema}),
                   encoding="utf-8")
    tmp.replace(path)
    return live
