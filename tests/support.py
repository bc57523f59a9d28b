"""What test modules share that is not a fixture: the repository's root, the QEMU source trees,
and parametrization from values computed at collection time.

Test modules import these from here, not from a ``conftest.py``.  Importing a test module does no
work (no subprocess, no file read): values that need work (a QEMU tree's targets, the cases of its
schema suite) come from a function, given to ``@pytest.mark.parametrize_from(NAME, FUNCTION)``,
which the root ``conftest.py`` calls when pytest collects the test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: QEMU's system-emulator schema, relative to a QEMU tree.
SYSTEM_SCHEMA = "qapi/qapi-schema.json"


def qemu_source(key: str) -> Path:
    """The unpacked QEMU source tree for *key* (a line of scripts/qemu-versions), fetched by
    scripts/qemu-source the first time."""
    out = subprocess.run(
        [str(REPO / "scripts" / "qemu-source"), key],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return Path(out.strip().splitlines()[-1])
