"""``python -m qapic.qmp.docs``: ``qapic docs`` on its own."""

import sys

from . import main

sys.exit(main())
