"""What the ``qapic docs`` tests share: running the command in this process."""

from __future__ import annotations

from collections.abc import Sequence

from qapic.cli import command_main


def main(argv: Sequence[str]) -> int:
    """``qapic docs ARGV`` in this process: its exit status."""
    return command_main("docs", argv)
