"""The QEMU releases qapic builds: one policy for ``qapic generate`` and ``qapic qemu-setup``.

qapic builds every patch release of the series in :data:`SERIES` (10.0.x, 10.2.x): its tests
build those with qapic's C and compare it with QEMU's own generator's.  Any other release is
refused with the reason, before anything is written: its QAPI C differs from what qapic writes
(QEMU 7.2's generator writes ``has_`` flags for optional pointer members, which 10.x dropped,
and no ``qapi-features.[ch]``; 10.1 and 9.2 are not built by the tests), so a build of it would
compile code its own sources do not expect.  ``qapic generate --qemu-version`` names a release
by the same rule.
"""

from __future__ import annotations

from pathlib import Path

from qapic.qemu_tree import parse_version

#: The release series qapic builds (every patch release of each).
SERIES = ("10.0", "10.2")

class UnsupportedRelease(Exception):
    """A QEMU release qapic does not build; the message says which, and which it builds."""


def series_text() -> str:
    """The series qapic builds, for messages and help: ``10.0 and 10.2``."""
    return " and ".join(SERIES)


def series_of(version: str) -> str:
    """The series (``10.0``) of QEMU *version* (``10.0.13``, ``10.0``) when qapic builds it;
    else :class:`UnsupportedRelease`."""
    try:
        series: str | None = "{}.{}".format(*parse_version(version))
    except ValueError:
        series = None
    if series not in SERIES:
        raise UnsupportedRelease(f"QEMU {version.strip()} is not supported: qapic builds QEMU "
                                 f"{series_text()}")
    return series


def tree_series(tree: Path) -> str:
    """The series of the QEMU source tree *tree* (its ``VERSION`` file) when qapic builds it;
    else :class:`UnsupportedRelease`, naming the tree."""
    try:
        version = (tree / "VERSION").read_text(encoding="utf-8")
    except OSError:
        raise UnsupportedRelease(f"{tree}: no VERSION file: cannot tell which QEMU this "
                                 "is") from None
    try:
        return series_of(version)
    except UnsupportedRelease as err:
        raise UnsupportedRelease(f"{tree}: {err}") from None


def as_pair(series: str) -> tuple[int, int]:
    """``10.2`` as (10, 2)."""
    major, minor = series.split(".")
    return int(major), int(minor)
