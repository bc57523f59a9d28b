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


def test_an_enum_that_takes_any_string_is_caught(harnesses: Result) -> None:
    kind = mutant("10.0", "qmp_mutant_enum", CODEC,
                  "                if v == value:\n",
                  "                if v == value or isinstance(value, str):\n")
    problems = _problems(kind, harnesses)
    assert any("sent, QEMU rejects it" in p for p in problems), problems[:5]


def test_a_client_that_sends_what_the_server_lacks_is_caught(harnesses: Result) -> None:
    kind = mutant("10.0", "qmp_mutant_commands", CLIENT,
                  "if desc is None or command not in server.commands:",
                  "if desc is None:")
    problems = _problems(kind, harnesses)
    assert any("missing on x86_64, yet bytes were sent" in p or "not refused" in p
               for p in problems), problems[:5]


def test_a_client_blind_to_the_servers_members_is_caught(harnesses: Result) -> None:
    kind = mutant("10.0", "qmp_mutant_members", CLIENT,
                  "            if key not in theirs:\n                self._lacks(",
                  "            if key not in theirs:\n                continue\n"
                  "            if False:\n                self._lacks(")
    problems = _problems(kind, harnesses)
    assert any("sent, QEMU rejects it" in p for p in problems), problems[:5]


def test_a_reply_decoded_wrongly_is_caught(harnesses: Result) -> None:
    kind = mutant("10.0", "qmp_mutant_reply", CODEC,
                  "                if low <= value <= high:\n                    return value\n",
                  "                if low <= value <= high:\n"
                  "                    return value + (value == 42)\n")
    problems = _problems(kind, harnesses)
    assert any("decoded and encoded is" in p for p in problems), problems[:5]


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
