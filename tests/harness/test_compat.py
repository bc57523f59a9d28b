"""The harnesses honour QMP's compatibility policy (``-compat``) as QEMU does.

The oracle is QEMU 10.0's own ``qemu-system-x86_64`` built with upstream's generator: under the
strictest policy a client can ask for, query-qmp-schema (deprecated things hidden) and the answer
to every deprecated or unstable command (rejected by policy) are QEMU's, for the per-target
harness and for the single harness run as x86_64; and the policy changes them (not vacuous).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qapic.proof.harness.build import Result
from tests.harness.helpers import single as _single
from tests.qemu import QemuBuild
from tests.qmp import runner
from tests.qmp.runner import Request

JSON = Any
STRICT = ("deprecated-input=reject,deprecated-output=hide,unstable-input=reject,"
          "unstable-output=hide")
TARGET = "x86_64"


def _schema(binary: Path | str, args: tuple[str, ...] = ()) -> JSON:
    with runner.QMPProcess(binary, args) as qmp:
        replies = qmp.exchange('{"execute":"query-qmp-schema"}')
    assert len(replies) == 1 and "return" in replies[0], replies
    return replies[0]["return"]


def test_schema_under_strict_policy_is_qemus(harnesses: Result, qemu_upstream: QemuBuild) -> None:
    qemu = qemu_upstream.system(TARGET)
    strict = _schema(qemu, ("-compat", STRICT))
    default = _schema(qemu)
    assert strict != default
    assert [e for e in strict if "deprecated" in e.get("features", [])] == []
    assert _schema(harnesses.per_target[TARGET], ("-compat", STRICT)) == strict
    assert _schema(_single(harnesses), ("-target", TARGET, "-compat", STRICT)) == strict


def test_deprecated_and_unstable_commands_rejected_as_qemu(harnesses: Result,
                                                           qemu_upstream: QemuBuild) -> None:
    qemu = qemu_upstream.system(TARGET)
    schema = _schema(qemu)
    names = sorted(e["name"] for e in schema if e["meta-type"] == "command"
                   and {"deprecated", "unstable"} & set(e.get("features", [])))
    assert len(names) > 5, names
    corpus = {"policy": [Request("policy", i + 1, json.dumps({"execute": n}))
                         for i, n in enumerate(names)]}
    expected = runner.run_corpus(qemu, corpus, ("-compat", STRICT))
    assert all("disabled by policy" in json.dumps(e.replies) for e in expected.exchanges)
    for binary, args in ((harnesses.per_target[TARGET], ()),
                         (_single(harnesses), ("-target", TARGET))):
        got = runner.run_corpus(binary, corpus, (*args, "-compat", STRICT))
        report = runner.compare_runs(expected, got, "qemu-system-x86_64", str(binary))
        assert report is None, report
        # Without the policy the harness's doubles answer instead.
        default = runner.run_corpus(binary, corpus, args)
        assert runner.compare_runs(expected, default) is not None
