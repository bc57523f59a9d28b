"""qapic's command, event, introspection and feature files against QEMU 10.0's and 10.2's
generators.

Expectations come from upstream's output for the same schema and options: the same file names,
the same declarations in every header (with the same ``#if`` around each), the same functions
and tables defined by every ``.c`` file, the same marshallers (code and all), the same trace
events.  Layout, comments and include lines may differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cgen_dispatch.csource import code, declarations, external_definitions, identifiers
from tests.cgen_dispatch.fixtures import CASES

#: The files this part of the backend writes (types and visitors are another backend's).
OURS = re.compile(r"(^|/)[a-z]*-?qapi-(commands|events|init-commands|emit-events|introspect|"
                  r"features)(-[^/]*)?\.(c|h|trace-events)$")


def our_files(outdir: Path) -> set[str]:
    return {p.relative_to(outdir).as_posix() for p in outdir.rglob("*")
            if p.is_file() and OURS.search(p.relative_to(outdir).as_posix())}


Out = Callable[[str], Path]


@pytest.mark.parametrize("case", CASES)
def test_same_file_names(case: str, upstream_out: Out, qapic_out: Out) -> None:
    expected = our_files(upstream_out(case))
    assert expected, "the pattern must select upstream's files"
    assert our_files(qapic_out(case)) == expected


@pytest.mark.parametrize("case", CASES)
def test_headers_declare_the_same(case: str, upstream_out: Out, qapic_out: Out) -> None:
    ups, ours = upstream_out(case), qapic_out(case)
    count = 0
    for name in sorted(our_files(ups)):
        if not name.endswith(".h"):
            continue
        expected = declarations((ups / name).read_text())
        got = declarations((ours / name).read_text())
        assert identifiers(got) == identifiers(expected), name
        assert got == expected, name
        count += len(expected)
    assert count > 0


@pytest.mark.parametrize("case", CASES)
def test_sources_define_the_same(case: str, upstream_out: Out, qapic_out: Out) -> None:
    ups, ours = upstream_out(case), qapic_out(case)
    for name in sorted(our_files(ups)):
        if name.endswith(".c") and "introspect" not in name:   # introspection: by value
            assert external_definitions((ours / name).read_text()) == \
                external_definitions((ups / name).read_text()), name


@pytest.mark.parametrize("case", CASES)
def test_same_trace_events(case: str, upstream_out: Out, qapic_out: Out) -> None:
    ups, ours = upstream_out(case), qapic_out(case)

    def events(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines()
                if line.strip() and not line.startswith("#")]

    for name in sorted(our_files(ups)):
        if name.endswith(".trace-events"):
            assert events(ours / name) == events(ups / name), name


#: A module's command file (the marshallers), not the registration file.
COMMANDS_C = re.compile(r"(^|/)[a-z]*-?qapi-commands(-[^/]*)?\.c$")


@pytest.mark.parametrize("case", CASES)
def test_marshallers_are_the_same_code(case: str, upstream_out: Out, qapic_out: Out) -> None:
    # Bodies included: the structure of the case's release (up to 10.0 a static
    # qmp_marshal_output_TYPE per return type and file; since 10.1 the conversion inline).
    ups, ours = upstream_out(case), qapic_out(case)
    names = sorted(n for n in our_files(ups) if COMMANDS_C.search(n))
    assert names
    differ = [n for n in names if code((ours / n).read_text()) != code((ups / n).read_text())]
    assert not differ, f"{len(differ)} of {len(names)} differ: {differ[:10]}"


@pytest.mark.parametrize(("case", "helpers"), [("system", True), ("system-10.2", False)])
def test_result_conversion_follows_the_release(case: str, helpers: bool, upstream_out: Out,
                                               qapic_out: Out) -> None:
    """What the comparison above covers: the two structures really differ between releases."""
    for out in (upstream_out(case), qapic_out(case)):
        text = "".join(p.read_text() for p in sorted(out.glob("qapi-commands-*.c")))
        assert ("static void qmp_marshal_output_" in text) == helpers
        assert ("ov = qobject_output_visitor_new_qmp(ret);" in text) == (not helpers)


def test_system_schema_figures(qapic_out: Out) -> None:
    """What the numbers above cover for QEMU's own schema (a guard against vacuous passes)."""
    out = qapic_out("system")
    init = (out / "qapi-init-commands.c").read_text()
    emit = (out / "qapi-emit-events.h").read_text()
    assert init.count("qmp_register_command(") > 200
    assert emit.count("QAPI_EVENT_") > 50
    assert "#if defined(TARGET_S390X)" in init
