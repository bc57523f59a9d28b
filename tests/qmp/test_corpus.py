"""The QMP corpus: well-formed, harmless, deterministic on upstream's build; same on qapic's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from tests.qemu import SYSTEM_TARGETS, QemuBuild
from tests.qmp import runner

#: Commands that could stop, block or change the host: never in the corpus.
FORBIDDEN = frozenset({
    "quit", "system_powerdown", "system_reset", "system_wakeup", "cont", "stop",
    "x-exit-preconfig", "migrate", "migrate-incoming", "migrate-recover", "migrate-pause",
    "snapshot-save", "snapshot-load", "snapshot-delete", "dump-guest-memory", "memsave",
    "pmemsave", "screendump", "dumpdtb", "nbd-server-start", "xen-save-devices-state",
    "xen-load-devices-state", "blockdev-create", "calc-dirty-rate",
})
#: Commands that kill QEMU 10.0 under -machine none (x86_64: rtc-reset-reinjection asserts that
#: the machine is an x86 one; s390x: dump-skeys that it has storage keys): only calls that fail
#: on their arguments, before the handler runs.
CRASH_UNDER_MACHINE_NONE = frozenset({"rtc-reset-reinjection", "dump-skeys"})
#: What the replies of a file must be, so that the corpus tests what its file names say: every
#: reply of the file a return / an error; or each request of the file gets at least one error.
ALL_RETURN = ("queries", "introspection")
ALL_ERROR = ("wrong-types", "members", "unknown-commands", "shapes")
SOME_ERROR = ("malformed",)


def test_corpus_lines_are_json_and_harmless() -> None:
    corpus = runner.load_corpus()
    requests = [r for reqs in corpus.values() for r in reqs]
    assert len(requests) >= 200
    assert {*ALL_RETURN, *ALL_ERROR, *SOME_ERROR} <= set(corpus)
    for req in requests:
        try:
            value = json.loads(req.text)
        except (json.JSONDecodeError, RecursionError):
            continue  # malformed on purpose: QEMU cannot execute it
        if not isinstance(value, dict):
            continue
        for key in ("execute", "exec-oob"):
            cmd = value.get(key)
            if not isinstance(cmd, str):
                continue
            assert cmd not in FORBIDDEN, f"{req.where}: {cmd} is not harmless"
            assert cmd not in CRASH_UNDER_MACHINE_NONE or value.get("arguments"), \
                f"{req.where}: {cmd} kills QEMU under -machine none"
            if cmd == "human-monitor-command":
                line = value.get("arguments", {}).get("command-line")
                assert not isinstance(line, str) or line.split()[0] in {"info", "help"}, \
                    f"{req.where}: only 'info' and 'help' HMP commands"


def _run(qemu: QemuBuild, target: str) -> runner.Run:
    return runner.run_corpus(qemu.system(target))


def _kind(msg: runner.JSON) -> str:
    return next((k for k in ("return", "error", "event") if k in msg), "?")


@pytest.mark.parametrize("target", SYSTEM_TARGETS)
def test_corpus_on_upstream_is_deterministic_and_well_formed(
        target: str, qemu_upstream: QemuBuild) -> None:
    t0 = time.monotonic()
    first = _run(qemu_upstream, target)
    seconds = time.monotonic() - t0
    second = _run(qemu_upstream, target)
    report = runner.compare_runs(first, second, "run 1", "run 2")
    assert report is None, report

    assert runner.check_well_formed(first) == []
    expected = {**dict.fromkeys(ALL_RETURN, "return"), **dict.fromkeys(ALL_ERROR, "error")}
    wrong_kind = [f"{ex.request.where}: {ex.request.text} -> {runner._short(m)}"
                  for file, kind in expected.items()
                  for ex, m in runner.iter_replies(first, file) if _kind(m) != kind]
    wrong_kind += [f"{ex.request.where}: no error for {ex.request.text}"
                   for ex in first.exchanges if ex.request.file in SOME_ERROR
                   and not any(_kind(m) == "error" for m in ex.replies)]
    assert not wrong_kind, "\n".join(wrong_kind)
    not_found = [f"{ex.request.where}: {runner._short(m)}"
                 for ex, m in runner.iter_replies(first, "unknown-commands")
                 if m.get("error", {}).get("class") != "CommandNotFound"]
    assert not_found == [], "\n".join(not_found)
    print(f"qemu-system-{target}: {len(first.exchanges)} requests in {seconds:.1f} s, "
          f"{runner.summary(first)}")


@pytest.mark.parametrize("target", SYSTEM_TARGETS)
def test_corpus_same_on_qapic_as_on_upstream(
        target: str, qemu_build: Callable[[str], QemuBuild]) -> None:
    qapic = qemu_build("qapic")
    upstream = qemu_build("upstream")
    report = runner.compare_runs(_run(upstream, target), _run(qapic, target),
                                 f"upstream qemu-system-{target}", f"qapic qemu-system-{target}")
    assert report is None, report
