"""qapic's C for QEMU's system schema against upstream's, token by token (comments and whitespace
aside), for QEMU 10.0.13 and 10.2.2: how many files are identical, and that every other file
differs only in the kinds docs/DESIGN.md lists as the same C (tests/cgen_dispatch/ctokens.py).
Upstream's output is its own ``scripts/qapi-gen.py`` run from each tree (the oracle, a
subprocess), with the options QEMU's build uses (``-b``).

Every ``.c`` file of both ends with upstream's placeholder definition (``char
qapi_dummy_<file>;``), so that no object is empty whatever its ``#if`` blocks leave out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cgen_dispatch import ctokens

Out = Callable[[str], Path]

#: case of tests/cgen_dispatch/fixtures.py -> (release, identical files measured: the floor).
RELEASES = {"system": ("10.0.13", 338), "system-10.2": ("10.2.2", 375)}


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("case", RELEASES)
def test_token_identity_with_upstream(case: str, upstream_out: Out, qapic_out: Out) -> None:
    release, floor = RELEASES[case]
    ups, ours = upstream_out(case), qapic_out(case)
    names = _files(ups)
    assert _files(ours) == names
    identical = Counter[str]()
    kinds = Counter[str]()
    unexplained = []
    for name in names:
        trace = name.endswith(".trace-events")
        found = ctokens.differences(ctokens.units((ups / name).read_text(), trace),
                                    ctokens.units((ours / name).read_text(), trace))
        if found is None:
            unexplained.append(name)
        elif not found:
            identical["trace-events" if trace else "C"] += 1
        kinds.update(found or [])
        if name.endswith(".c"):
            _assert_placeholder_last_and_unconditional(ours / name, name)
    total = sum(identical.values())
    c_files = sum(1 for name in names if not name.endswith(".trace-events"))
    print(f"\nQEMU {release}: {total} of {len(names)} files token for token identical to "
          f"upstream's ({identical['C']} of {c_files} C files, {identical['trace-events']} of "
          f"{len(names) - c_files} trace-events files); the others: "
          + ", ".join(f"{kinds[k]} with {k}" for k in ctokens.KINDS))
    assert unexplained == [], "differences docs/DESIGN.md does not list"
    assert total >= floor


def _assert_placeholder_last_and_unconditional(path: Path, name: str) -> None:
    """*path* ends with upstream's placeholder definition, outside every ``#if``: the object
    defines a symbol whatever the conditions (an empty one makes macOS's ranlib warn 'has no
    symbols'; before, qapic wrote it only in files with nothing else, and 8 of the 177 objects
    the tests' build of QEMU 10.0.13 compiles had no symbol)."""
    seq = ctokens.units(path.read_text())
    assert seq[-3:] == ["char", f"qapi_dummy_{ctokens.c_name_of_file(name)}", ";"], name
    depth = 0
    for unit in seq:
        depth += unit.startswith(("#if ", "#ifdef ", "#ifndef ")) - (unit == "#endif")
    assert depth == 0, name


UPSTREAM_C = """\
#include "qemu/osdep.h"
#include "qobject/qjson.h"
/* a comment */
#if defined(CONFIG_A)
int a;
#endif /* defined(CONFIG_A) */
#if defined(CONFIG_A)
int b;
#endif
static inline int f(void)
{
    return 1;
}
char qapi_dummy_x_c;
"""


@pytest.mark.parametrize(("ours", "expected"), [
    (UPSTREAM_C.replace("/* a comment */\n", "").replace("int a;", "int  a ;"), []),
    (UPSTREAM_C.replace("#endif /* defined(CONFIG_A) */\n#if defined(CONFIG_A)\n", ""),
     [ctokens.MERGED_IF]),
    (UPSTREAM_C.replace('#include "qobject/qjson.h"\n', ""), [ctokens.INCLUDES]),
    (UPSTREAM_C.replace("static inline int f(void)\n{\n    return 1;\n}\n", "")
     .replace("#include", "static inline int f(void) { return 1; }\n#include", 1),
     [ctokens.MOVED_INLINE]),
    (UPSTREAM_C.replace("int b;", "long b;"), None),                 # other C: unexplained
    (UPSTREAM_C.replace("#endif /* defined(CONFIG_A) */\n#if defined(CONFIG_A)\n",
                        "#endif\n#if defined(CONFIG_B)\n"), None),   # another condition
    (UPSTREAM_C.replace('#include "qemu/osdep.h"\n', '#include "qemu/osdep.h"\n#include "x.h"\n'),
     None),                                                          # an include added
])
def test_kinds_of_difference(ours: str, expected: list[str] | None) -> None:
    assert ctokens.differences(ctokens.units(UPSTREAM_C), ctokens.units(ours)) == expected
