"""The runner's pure parts: corpus loading, normalisation, well-formedness, comparison."""

from __future__ import annotations

from pathlib import Path

from tests.qmp import runner
from tests.qmp.runner import Exchange, Request, Run


def _run(*replies: list[runner.JSON]) -> Run:
    run = Run(greetings={"f": {"QMP": {}}})
    for n, r in enumerate(replies, 1):
        run.exchanges.append(Exchange(Request("f", n, f'{{"execute":"cmd{n}"}}'), r))
    return run


def test_load_file_sends_strings_raw_and_values_compact(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text('{"execute": "query-status",  "id": 1}\n\n"{\\"execute\\": oops"\n[1, 2]\n')
    reqs = runner.load_file(f)
    assert [(r.line, r.text) for r in reqs] == [
        (1, '{"execute":"query-status","id":1}'), (3, '{"execute": oops'), (4, "[1,2]")]
    assert reqs[1].where == "x:3"


def test_normalise_event_timestamps_node_names_thread_ids() -> None:
    event = {"event": "STOP", "timestamp": {"seconds": 17, "microseconds": 5}}
    assert runner.normalise(event) == {"event": "STOP",
                                       "timestamp": {"seconds": 0, "microseconds": 0}}
    reply = {"return": [{"node-name": "#block123", "thread-id": 4242, "id": "io0"}]}
    assert runner.normalise(reply) == {
        "return": [{"node-name": "#block<N>", "thread-id": "<thread-id>", "id": "io0"}]}
    assert runner.normalise({"return": {"x": 1}}) == {"return": {"x": 1}}


def test_malformed_message() -> None:
    ok = [{"return": {}}, {"return": [], "id": 3},
          {"error": {"class": "GenericError", "desc": "x"}, "id": None},
          {"event": "RESUME", "timestamp": {"seconds": 0, "microseconds": 0}}]
    assert [runner.malformed_message(m) for m in ok] == [None] * len(ok)
    bad = [[], {"return": {}, "error": {}}, {"error": {"class": "GenericError"}},
           {"error": {"class": 1, "desc": "x"}}, {"event": "X"}, {runner.NON_JSON: "inf"},
           {runner.RUNNER_ERROR: "timeout"}]
    assert all(runner.malformed_message(m) for m in bad)


def test_check_well_formed_wants_a_reply_per_request() -> None:
    run = _run([{"return": {}}], [], [{"event": "X", "timestamp": {}}])
    problems = runner.check_well_formed(run)
    assert problems == ['f:2: no reply to {"execute":"cmd2"}',
                        'f:3: no reply to {"execute":"cmd3"}']


def test_compare_runs_reports_first_differences_readably() -> None:
    a = _run([{"return": {}}], [{"return": {"a": 1, "b": 2}}], [{"return": 1}])
    assert runner.compare_runs(a, _run([{"return": {}}], [{"return": {"a": 1, "b": 2}}],
                                       [{"return": 1}])) is None
    b = _run([{"return": {}}], [{"return": {"a": 1, "b": 3}}], [{"return": 1}])
    report = runner.compare_runs(a, b, "upstream", "qapic")
    assert report is not None
    assert report.startswith("1 differing replies between upstream and qapic")
    assert 'f:2: {"execute":"cmd2"}' in report
    assert '-   "b": 2' in report and '+   "b": 3' in report


def test_compare_runs_sees_member_order_and_missing_requests() -> None:
    a = _run([{"return": {"a": 1, "b": 2}}])
    b = _run([{"return": {"b": 2, "a": 1}}])
    assert runner.compare_runs(a, b) is not None
    report = runner.compare_runs(a, _run([{"return": {"a": 1, "b": 2}}], [{"return": {}}]),
                                 max_diffs=1)
    assert report is not None and "f:2: only in b" in report


def test_summary_counts() -> None:
    run = _run([{"return": {}}], [{"error": {"class": "CommandNotFound", "desc": ""}}],
               [{"error": {"class": "GenericError", "desc": ""}},
                {"event": "X", "timestamp": {}}])
    assert runner.summary(run) == {"requests": 3, "return": 1, "event": 1,
                                   "error CommandNotFound": 1, "error GenericError": 1}


def test_saved_run_round_trips() -> None:
    run = _run([{"return": {"a": [1]}}])
    again = runner.run_from_json(run.as_json())
    assert runner.compare_runs(run, again) is None
