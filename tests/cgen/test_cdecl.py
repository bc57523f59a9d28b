"""The header reader of tests/cgen sees what a header declares, and a change in it."""

from __future__ import annotations

from tests.cgen.cdecl import Decl, declarations

HEADER = """\
/* comment */
#ifndef X_H
#define X_H

#include "qapi/util.h"

typedef struct Foo Foo;

typedef enum Colour {
    COLOUR_RED,
#if defined(CONFIG_GREEN)
    COLOUR_GREEN,
#endif /* defined(CONFIG_GREEN) */
    COLOUR__MAX,
} Colour;

#define Colour_str(val) \\
    qapi_enum_lookup(&Colour_lookup, (val))

struct Foo {
    bool has_n;
    int64_t n;
    union { /* union tag is @type */
        Bar b;
    } u;
};

static inline Bar *qapi_Foo_base(const Foo *obj)
{
    return (Bar *)obj;
}

void qapi_free_Foo(Foo *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Foo, qapi_free_Foo)

#endif /* X_H */
"""


def test_items() -> None:
    items = declarations(HEADER)
    assert set(items) == {
        Decl("include", '"qapi/util.h"'),
        Decl("typedef", "typedef struct Foo Foo"),
        Decl("typedef", "enum Colour"),
        Decl("constant", "Colour: COLOUR_RED"),
        Decl("constant", "Colour: COLOUR_GREEN", ("defined(CONFIG_GREEN)",)),
        Decl("constant", "Colour: COLOUR__MAX"),
        Decl("define", "Colour_str(val) qapi_enum_lookup(&Colour_lookup, (val))"),
        Decl("struct", "struct Foo"),
        Decl("member", "struct Foo: bool has_n"),
        Decl("member", "struct Foo: int64_t n"),
        Decl("member", "struct Foo: union {} u"),
        Decl("member", "struct Foo . u: Bar b"),
        Decl("function", "static inline Bar * qapi_Foo_base ( const Foo * obj )"),
        Decl("prototype", "void qapi_free_Foo ( Foo * obj )"),
        Decl("macro", "G_DEFINE_AUTOPTR_CLEANUP_FUNC ( Foo , qapi_free_Foo )"),
    }


def test_layout_does_not_matter_but_content_does() -> None:
    relaid = HEADER.replace("void qapi_free_Foo(Foo *obj);", "void\nqapi_free_Foo (Foo * obj) ;")
    assert declarations(relaid) == declarations(HEADER)
    for change in (("int64_t n;", "int32_t n;"), ("#if defined(CONFIG_GREEN)", "#if 1"),
                   ("    bool has_n;\n", "")):
        assert declarations(HEADER.replace(*change)) != declarations(HEADER)
