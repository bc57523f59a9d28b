"""What every step of a harness build shares: its error, the cache directory, the sanitizer
flags and running a tool."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

#: The sanitizers ``--sanitize`` accepts (GCC's and Clang's names).
SANITIZERS = ("address", "undefined", "leak")


class HarnessError(Exception):
    """The build directory is unusable or a step failed."""


def cache_dir() -> Path:
    """qapic's cache: ``$QAPIC_CACHE``, else ``$XDG_CACHE_HOME/qapic`` or ``~/.cache/qapic``."""
    base = os.environ.get("QAPIC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qapic")
    return Path(base)


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


def run_tool(cmd: list[str], what: str) -> str:
    """Run *cmd* and return its output; a failure (or a tool that cannot be run) is a
    :class:`HarnessError` naming *what* failed, with the tool's own message."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as err:
        raise HarnessError(f"{what} failed: cannot run {cmd[0]}: {err.strerror}") from None
    if proc.returncode != 0:
        raise HarnessError(f"{what} failed:\n{shlex.join(cmd)[:2000]}\n{proc.stderr[-6000:]}")
    return proc.stdout
