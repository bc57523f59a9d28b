"""``python -m qapic.proof.harness ...``: the same as ``qapic harness ...``."""

import sys

from qapic.cli import main

sys.exit(main(["harness", *sys.argv[1:]]))
