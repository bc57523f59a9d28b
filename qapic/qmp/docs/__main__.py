"""``python -m qapic.qmp.docs``: ``qapic docs`` on its own."""

import sys

from qapic.cli import command_main

sys.exit(command_main("docs"))
