"""``python -m qapic.qmp.diff``: ``qapic diff`` on its own."""

import sys

from qapic.cli import command_main

sys.exit(command_main("diff"))
