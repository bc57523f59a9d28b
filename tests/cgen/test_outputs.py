"""qapic generate writes the files upstream's generator writes, and its headers declare what
upstream's declare (the generated C API QEMU's hand-written code uses)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cgen.cdecl import declarations
from tests.cgen.helpers import CASES, Generated, backend_of, files


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_files(case: str, generated: Callable[[str], Generated]) -> None:
    out = generated(case)
    assert files(out.qapic) == files(out.upstream)


@pytest.mark.parametrize("case", sorted(CASES))
def test_types_and_visit_files_present(case: str, generated: Callable[[str], Generated]) -> None:
    # The two backends of this package always exist: their files are never filtered away.
    out = generated(case)
    mine = [f for f in files(out.upstream) if backend_of(f) in ("types", "visit")]
    assert len(mine) >= 8
    assert set(mine) <= set(files(out.qapic))


@pytest.mark.parametrize("case", sorted(CASES))
def test_headers_declare_the_same(case: str, generated: Callable[[str], Generated]) -> None:
    out = generated(case)
    headers = [f for f in files(out.upstream) if f.endswith(".h")]
    assert headers
    report = []
    for name in headers:
        theirs = declarations((out.upstream / name).read_text())
        ours = declarations((out.qapic / name).read_text())
        if theirs != ours:
            missing = sorted((theirs - ours).elements())
            extra = sorted((ours - theirs).elements())
            report.append(f"{name}:\n" + "".join(f"  - {d}\n" for d in missing[:20])
                          + "".join(f"  + {d}\n" for d in extra[:20]))
    assert not report, f"{len(report)} of {len(headers)} headers differ:\n" + "".join(report)


def test_the_qemu_schema_has_many_declarations(generated: Callable[[str], Generated]) -> None:
    # Guard against a comparison that passes because the reader sees nothing.
    out = generated("qemu")
    total = sum(sum(declarations(p.read_text()).values()) for p in out.qapic.rglob("*.h"))
    assert total > 10000
    types = declarations((out.qapic / "qapi-types-block-core.h").read_text())
    qcow2 = "struct BlockdevOptions . u: BlockdevOptionsQcow2 qcow2"
    assert any(d.kind == "member" and d.text == qcow2 for d in types)
