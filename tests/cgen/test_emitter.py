"""The emitter's templates: ``Emitter.lines`` dedents a block as it reads, whatever the block."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from qapic.qemu.generate.common import Emitter, _block_lines, _general_block_lines

# Lines made of what makes dedenting differ: spaces, tabs and other control characters, '#',
# empty lines, and ordinary text.
line = st.text(alphabet=st.sampled_from([" ", " ", " ", "\t", "\x01", "\x0c", "#", "x", "{"]),
               max_size=8)
block = st.lists(line, max_size=8).map("\n".join)


@settings(max_examples=3000, deadline=None)
@given(block, st.sampled_from(["", "    ", "        "]))
def test_fast_path_agrees_with_line_by_line(text: str, prefix: str) -> None:
    assert _block_lines(text, prefix) == _general_block_lines(text, prefix)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["a", "b c", "}", ""])),
                max_size=8),
       st.integers(0, 2))
def test_plain_templates_agree_with_line_by_line(rows: list[tuple[int, str]],
                                                 depth: int) -> None:
    """Blocks shaped like the generators' templates (indented text, empty lines)."""
    text = "\n" + "\n".join(" " * indent + body if body else "" for indent, body in rows) + "\n  "
    prefix = "    " * depth
    assert _block_lines(text, prefix) == _general_block_lines(text, prefix)


def test_lines_dedents_keeps_relative_indentation_and_puts_directives_at_column_0() -> None:
    e = Emitter()
    with e.block("int f(void)"):
        e.lines("""
            if (x) {
                y();
                #if defined(CONFIG_Z)
                z();
                #endif

            }
        """)
    assert e.text() == textwrap.dedent("""\
        int f(void) {
            if (x) {
                y();
        #if defined(CONFIG_Z)
                z();
        #endif

            }
        }
    """)
