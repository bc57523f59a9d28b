"""Mutated real schemas: whatever the input, only qapic's own error type escapes the frontend.

Seeds are QEMU 10.0's own schema modules and test cases; mutations cut, repeat, insert and
corrupt text (including bytes that are not UTF-8).  The run is bounded (a fixed number of examples,
derandomized) so it costs CI well under a minute.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qapic.frontend import QAPIError, load_schema

SEEDS = [
    "qapi/common.json", "qapi/run-state.json", "qapi/machine-target.json", "qapi/char.json",
    "qapi/block-core.json", "qapi/qom.json", "qapi/introspect.json",
    "tests/qapi-schema/qapi-schema-test.json", "tests/qapi-schema/doc-good.json",
]
SNIPPETS = [b"{", b"}", b"[", b"]", b"'", b":", b",", b"#", b"##\n", b"# @", b"'if'", b"'data'",
            b"'*", b"\n", b"\\", b"'include': 'x.json'", b"{'all': []}", b"\xff\xfe", b"\x00",
            b"'base'", b"'union'", b"'struct': 'A'", b"'enum'", b"'features'", b"'returns'",
            b"@arg:", b"Since:", b"Returns:", b"= Heading\n", b"'pragma'", b"'command'"]


@st.composite
def mutated(draw: st.DrawFn, texts: list[bytes]) -> tuple[int, bytes]:
    index = draw(st.integers(0, len(texts) - 1))
    data = bytearray(texts[index])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["cut", "insert", "repeat", "byte", "truncate"]))
        if op == "cut":
            del data[pos:pos + draw(st.integers(1, 200))]
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(SNIPPETS))
        elif op == "repeat":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 300))]
        elif op == "byte":
            if pos < len(data):
                data[pos] = draw(st.integers(0, 255))
        else:
            del data[pos:]
    return index, bytes(data)


@pytest.fixture(scope="module")
def seed_texts(qemu_10_0: Path) -> list[tuple[Path, bytes]]:
    return [(qemu_10_0 / s, (qemu_10_0 / s).read_bytes()) for s in SEEDS]


def test_only_qapi_errors_escape(seed_texts: list[tuple[Path, bytes]], tmp_path: Path) -> None:
    # Each mutated file is written next to copies of its siblings, so its includes resolve.
    dirs: dict[Path, Path] = {}
    for path, _ in seed_texts:
        if path.parent not in dirs:
            dest = tmp_path / str(len(dirs))
            shutil.copytree(path.parent, dest, ignore=shutil.ignore_patterns("*.err", "*.out"))
            dirs[path.parent] = dest
    texts = [t for _, t in seed_texts]

    @settings(max_examples=1000, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated(texts))
    def run(case: tuple[int, bytes]) -> None:
        index, data = case
        original = seed_texts[index][0]
        target = dirs[original.parent] / "fuzzed.json"
        target.write_bytes(data)
        try:
            load_schema(str(target))
        except QAPIError as err:
            text = str(err)
            assert text and "Traceback" not in text
            assert "fuzzed.json" in text or ".json" in text   # located in some schema file

    run()
