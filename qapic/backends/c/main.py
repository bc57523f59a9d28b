"""``qapic generate``: being written."""

from __future__ import annotations

import argparse

HELP = "generate QEMU's C code from a schema (drop-in for scripts/qapi-gen.py)"
DESCRIPTION = HELP


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("schema", metavar="SCHEMA")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("qapic generate: not implemented yet")
