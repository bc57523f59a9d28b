"""Shared by the harness tests: where the harness fixtures keep their output, and their parts."""

from __future__ import annotations

from pathlib import Path

from qapic.harness.base import cache_dir
from qapic.harness.build import Result

#: Where the harnesses are kept between sessions (objects are cached separately, by content).
OUT = cache_dir() / "harness" / "upstream"
#: The sanitized harnesses (ASan + UBSan): their own OUT, their objects cached beside the normal
#: ones (the sanitizer flags are part of the cache key).
OUT_SANITIZED = cache_dir() / "harness" / "upstream-sanitized"
SANITIZERS = ("address", "undefined")
#: Per-target sanitized harnesses are built for these only (the single one serves every target).
SANITIZED_PER_TARGET = ("x86_64", "s390x")


def single(result: Result) -> Path:
    """The single-binary harness of *result* (the fixtures always build it: a missing one is a
    failure, never a skip)."""
    assert result.single is not None and result.single.is_file(), result
    return result.single
