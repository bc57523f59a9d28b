"""Hand-written C run-time support that ``qapic generate --single-binary`` ships in its output.

``qapi-targets.c`` is the generated target table followed by :data:`TARGETS_C`, the logic that
does not depend on the schema: the active set, parsing target names, the enum input filter and
the introspection views (query-qmp-schema's value filtered once per active-target set).
"""

from __future__ import annotations

import os


def targets_c() -> str:
    """The hand-written part of ``qapi-targets.c`` (a file of this package; read beside this
    module rather than through ``importlib.resources``, whose import costs every ``qapic``
    command a noticeable part of its start-up)."""
    path = os.path.join(os.path.dirname(__file__), "qapi-targets.c")
    with open(path, encoding="utf-8") as f:
        return f.read()
