"""Shared by the command-line tests: the installed console script and a small schema."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: The console script ``pip install`` made (the one on a user's PATH).
QAPIC = Path(sys.executable).parent / "qapic"

#: A valid schema with one conditional command (CONFIG_SPICE is the only symbol it mentions).
SCHEMA = """\
##
# @Thing:
#
# @name: its name
##
{ 'struct': 'Thing', 'data': { 'name': 'str' } }

##
# @get-thing:
##
{ 'command': 'get-thing', 'returns': 'Thing', 'if': 'CONFIG_SPICE' }
"""

Run = Callable[..., subprocess.CompletedProcess[str]]
