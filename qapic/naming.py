"""C names of schema names: the one ``c_name``, used by the frontend (clash checks) and by every
backend.

The C names are part of QEMU's API (hand-written code uses them), so they follow QEMU's rules
exactly.
"""

from __future__ import annotations

import re
from functools import cache

_C_RESERVED = frozenset(str.split("""
    auto break case char const continue default do double else enum extern float for goto if
    int long register return short signed sizeof static struct switch typedef union unsigned
    void volatile while
    inline restrict _Bool _Complex _Imaginary
    _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local
    asm typeof
    bool catch class const_cast delete dynamic_cast explicit false friend mutable namespace new
    operator private protected public reinterpret_cast static_cast template this throw true try
    typeid typename using virtual wchar_t
    and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq
"""))
"""C89/C99/C11 keywords, GNU C extensions and C++ words: a schema name equal to one gets ``q_``."""

_POLLUTED = frozenset({"unix", "errno", "mips", "sparc", "i386", "linux"})
"""Names that system headers define as macros on some hosts."""

_NOT_C_CHAR = re.compile(r"[^A-Za-z0-9_]")


@cache
def c_name(name: str, protect: bool = True) -> str:
    """The C identifier for schema name *name*: every character that cannot be in an identifier
    becomes ``_``; with *protect*, a name that would clash with a C/C++ word, a polluting system
    macro, or that starts with a digit gets the prefix ``q_``.

    Hot callers pass *protect* by position: the cache looks up a keyword argument four times
    slower."""
    ident = _NOT_C_CHAR.sub("_", name)
    if protect and (ident in _C_RESERVED or ident in _POLLUTED or ident[:1].isdigit()):
        return "q_" + ident
    return ident
