"""The checks of the bindings' proof trip on planted faults: each test plants one fault in a copy
of the generated 10.0 package and shows that the check meant to catch it does."""

from __future__ import annotations

import asyncio

import pytest

from qapic.frontend import Command, entities_of
from qapic.proof.fuzz.plan import Plan
from qapic.proof.harness.build import Result, defines_in_effect
from tests.bindings.packages import load, mutant
from tests.bindings.test_harness import _listed, _schema, _target
from tests.harness.conftest import harnesses
from tests.harness.helpers import OUT
from tests.qemu.fixtures import qemu_upstream

#: The plan calls deprecated and unstable commands on purpose: their warnings are not news here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

__all__ = ["harnesses", "qemu_upstream"]

RUNTIME = "_runtime.py"
CODEC = "_codec.py"
CLIENT = "_client.py"


def _problems(kind: str, harnesses: Result, target: str = "x86_64") -> list[str]:
    sch = _schema("10.0")
    plan = Plan(entities_of(sch.entities, Command))
    _outcome, problems = asyncio.run(_target("10.0", harnesses.per_target[target], target, sch,
                                             plan, kind=kind))
    return problems


def test_the_unplanted_package_passes(harnesses: Result) -> None:
    assert _problems("10.0", harnesses) == []


#: (name, file, the code, the planted fault, what the harness run must then report)
FAULTS = [
    ("enum", CODEC, "                if v == value:\n",
     "                if v == value or isinstance(value, str):\n",
     ("sent, QEMU rejects it",)),
    ("commands", CLIENT, "if desc is None or command not in server.commands:",
     "if desc is None:",
     ("missing on x86_64, yet bytes were sent", "not refused")),
    ("members", CLIENT, "            if key not in theirs:\n                self._lacks(",
     "            if key not in theirs:\n                continue\n"
     "            if False:\n                self._lacks(",
     ("sent, QEMU rejects it",)),
    ("reply", CODEC, "                if low <= value <= high:\n                    return value\n",
     "                if low <= value <= high:\n                    return value + (value == 42)\n",
     ("decoded and encoded is",)),
]


@pytest.mark.parametrize(("name", "path", "code", "fault", "reported"), FAULTS,
                         ids=[f[0] for f in FAULTS])
def test_a_planted_fault_is_caught(harnesses: Result, name: str, path: str, code: str,
                                   fault: str, reported: tuple[str, ...]) -> None:
    """An enum taking any string; a client sending a command or a member the server lacks; an
    integer decoded wrong."""
    kind = mutant("10.0", f"qmp_mutant_{name}", path, code, fault)
    problems = _problems(kind, harnesses)
    assert any(r in p for p in problems for r in reported), problems[:5]


def test_exists_that_ignores_conditions_is_caught(harnesses: Result) -> None:
    kind = mutant("10.0", "qmp_mutant_exists", RUNTIME,
                  '    """Whether *cond* holds in a build that defines exactly the symbols '
                  '*defined* accepts."""\n    if cond is None:',
                  '    """Whether *cond* holds in a build that defines exactly the symbols '
                  '*defined* accepts."""\n    if True:')
    pkg = load(kind)
    listed = asyncio.run(_listed(load("10.0", "client"), harnesses.per_target["s390x"], "s390x"))
    defines = tuple(defines_in_effect(OUT, "s390x"))
    wrong = [n for n in ("query-sev", "query-sgx", "rtc-reset-reinjection")
             if pkg.exists(n, target="s390x", defines=defines) != (n in listed)]
    assert wrong == ["query-sev", "query-sgx", "rtc-reset-reinjection"]
