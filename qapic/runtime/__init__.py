"""Hand-written C run-time support that ``qapic generate --single-binary`` ships in its output.

``qapi-targets.c`` is the generated target table followed by :data:`TARGETS_C`, the logic that
does not depend on the schema: the active set, parsing target names, the enum input filter and
the introspection views (query-qmp-schema's value filtered once per active-target set).
"""

from __future__ import annotations

from importlib.resources import files


def targets_c() -> str:
    """The hand-written part of ``qapi-targets.c``."""
    return files(__package__).joinpath("qapi-targets.c").read_text(encoding="utf-8")
