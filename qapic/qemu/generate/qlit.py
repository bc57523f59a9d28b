"""QLit, the C spelling of a query-qmp-schema tree: :class:`QLitRenderer` writes a tree of
:func:`qapic.schema_info.schema_info` as a QLit initialiser, each conditional element under the
emitter's guard.  Per target (:mod:`.introspect_c`) it is used as is; a single binary's
renderer (:mod:`.introspect_single`) writes the lists it filters at run time as named arrays.
"""

from __future__ import annotations

from qapic.schema_info import Guarded, Tree

from .common import INDENT, Emitter, c_string


def _scalar(value: Tree) -> str | None:
    """The QLit of a scalar, None for a list or dictionary (the ones for which
    :meth:`QLitRenderer.value` writes a string directly)."""
    if isinstance(value, str):
        return f"QLIT_QSTR({c_string(value)})"
    if isinstance(value, bool):
        return f"QLIT_QBOOL({'true' if value else 'false'})"
    if value is None:
        return "QLIT_QNULL"
    return None


class QLitRenderer:
    """Spells a tree of :mod:`qapic.schema_info` as QLit.  A list is written inline,
    each element under its guard; the single-binary renderer changes only that.

    The tree has tens of thousands of lines, so they are indented here (*indent*, the
    emitter's indentation at the start) and added with :meth:`Emitter.appender`; only guards
    go through the emitter.
    """

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}

    def quote(self, text: str) -> str:
        """:func:`c_string` of *text* (the same few keys and names come back again and again)."""
        quoted = self._quoted.get(text)
        if quoted is None:
            quoted = self._quoted[text] = c_string(text)
        return quoted

    def value(self, e: Emitter, value: Tree, before: str, after: str) -> None:
        """*value* as QLit; its first line starts with *before*, its last ends with *after*."""
        self.write(e, value, before, after, e.indentation)

    def write(self, e: Emitter, value: Tree, before: str, after: str, indent: str) -> None:
        """:meth:`value`, its lines indented by *indent*."""
        if type(value) is dict:
            add = e.appender()
            quote = self.quote
            add(f"{indent}{before}QLIT_QDICT(((QLitDictEntry[]) {{")
            inner = indent + INDENT
            for key, item in value.items():
                if type(item) is str:       # the most frequent case, written directly
                    add(f"{inner}{{ {quote(key)}, QLIT_QSTR({quote(item)}), }},")
                else:
                    self.write(e, item, f"{{ {quote(key)}, ", ", },", inner)
            add(f"{inner}{{}}")
            add(f"{indent}}})){after}")
        elif type(value) is list:
            self.list_value(e, value, before, after, indent)
        else:
            e.appender()(f"{indent}{before}{_scalar(value)}{after}")

    def list_value(self, e: Emitter, value: list[Guarded], before: str, after: str,
                   indent: str) -> None:
        add = e.appender()
        add(f"{indent}{before}QLIT_QLIST(((QLitObject[]) {{")
        inner = indent + INDENT
        for element in value:
            self.element(e, element, inner)
        add(f"{inner}{{}}")
        add(f"{indent}}})){after}")

    def element(self, e: Emitter, element: Guarded, indent: str) -> None:
        if element.ifcond.is_always:        # most are: no guard to open
            self._element(e, element, indent)
            return
        with e.guarded(element.ifcond):
            self._element(e, element, indent)

    def _element(self, e: Emitter, element: Guarded, indent: str) -> None:
        if element.comment is not None and isinstance(element.value, dict):
            e.appender()(f"{indent}/* {self.quote(str(element.value.get('name')))} = "
                         f"{element.comment} */")
        self.write(e, element.value, "", ",", indent)
