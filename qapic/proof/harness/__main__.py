"""``python -m qapic.proof.harness ...``: the same as ``qapic harness ...``."""

import sys

from qapic.cli import command_main

sys.exit(command_main("harness"))
