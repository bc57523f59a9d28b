"""``python -m qapic.harness ...``: the same as ``qapic harness ...`` (until it is plugged)."""

import argparse
import sys

from qapic.harness import DESCRIPTION, configure, run

parser = argparse.ArgumentParser(prog="qapic harness", description=DESCRIPTION)
configure(parser)
sys.exit(run(parser.parse_args()))
