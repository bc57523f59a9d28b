"""``qapic diff``: compare two query-qmp-schema values structurally (being written)."""

from __future__ import annotations

import argparse

HELP = "compare two QEMU interfaces (query-qmp-schema values or schemas)"
DESCRIPTION = HELP


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A")
    parser.add_argument("b", metavar="B")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("qapic diff: not implemented yet")
