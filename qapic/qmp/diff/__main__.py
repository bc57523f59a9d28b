"""``python -m qapic.qmp.diff``: ``qapic diff`` on its own."""

import sys

from . import main

sys.exit(main())
