"""What a user meets when something is wrong: every command, every kind of bad input, through the
installed console script.  Each problem is one line ``qapic COMMAND: error: ...`` naming the file
and the cause (after the sub-command's usage for a command-line mistake), with the exit status
of the README's table: 0 ok, 1 invalid input or failed check, 2 usage; ``diff``: 2 for trouble.
Never a traceback, never a partly written output.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import SCHEMA, Run

SCHEMA_WHAT = "a QAPI schema"


def error_line(proc: subprocess.CompletedProcess[str], command: str, status: int) -> str:
    """The message of the one-line error *proc* printed (usage lines allowed before it for a
    usage error, exit status 2); checks status, form and that nothing else was said."""
    assert "Traceback" not in proc.stderr
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.splitlines()
    prefix = f"qapic {command}: error: "
    assert lines and lines[-1].startswith(prefix), proc.stderr
    if len(lines) > 1:
        assert lines[0].startswith(f"usage: qapic {command} "), proc.stderr
    return lines[-1][len(prefix):]


def usage_error(proc: subprocess.CompletedProcess[str], command: str) -> str:
    """The message of a usage error: the sub-command's usage, then the error; exit status 2."""
    assert proc.stderr.startswith(f"usage: qapic {command} "), proc.stderr
    return error_line(proc, command, 2)


# --- bad input files --------------------------------------------------------------------------

def _bad_inputs(tmp: Path) -> dict[str, tuple[str, str]]:
    """Bad input paths (relative to *tmp*, the commands' working directory) and the message
    each must give, with WHAT standing for what the file should hold."""
    (tmp / "afile").write_text("a file\n")
    (tmp / "dir").mkdir()
    os.mkfifo(tmp / "fifo")
    (tmp / "link.json").symlink_to(tmp / "gone.json")
    (tmp / "bin.json").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    return {
        "missing": ("nope.json", "nope.json: no such file"),
        "parent-is-a-file": ("afile/s.json", "afile/s.json: no such file (afile is not a "
                             "directory)"),
        "broken-link": ("link.json", "link.json: no such file (a broken symbolic link)"),
        "directory": ("dir", "dir: is a directory, not a file holding WHAT"),
        "fifo": ("fifo", "fifo: is a FIFO, not a file holding WHAT"),
        # Unreadable whoever runs it (root reads a mode 000 file): reading gives EIO.
        "unreadable": ("/proc/self/mem", "/proc/self/mem: cannot read it: Input/output error"),
        "binary": ("bin.json", "bin.json: a binary file (not UTF-8 text), not WHAT"),
    }


BAD_INPUTS = ["missing", "parent-is-a-file", "broken-link", "directory", "fifo", "unreadable",
              "binary"]

#: Each command reading a schema, with "BAD" where the bad file goes.
SCHEMA_COMMANDS = {
    "check": ["check", "BAD"],
    "introspect": ["introspect", "BAD"],
    "targets": ["targets", "BAD"],
    "docs": ["docs", "BAD", "-o", "out"],
    "generate": ["generate", "-o", "out", "BAD"],
    "carry-conditions": ["carry-conditions", "s.json", "BAD", "-o", "out.json"],
    "bindings": ["bindings", "BAD", "-o", "out"],
}


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("command", list(SCHEMA_COMMANDS))
def test_bad_schema_file(qapic: Run, schema: Path, tmp_path: Path, command: str,
                         case: str) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    argv = [path if a == "BAD" else a for a in SCHEMA_COMMANDS[command]]
    proc = qapic(*argv, timeout=60)
    assert error_line(proc, command, 1) == message.replace("WHAT", SCHEMA_WHAT)
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_conditions_file(qapic: Run, schema: Path, tmp_path: Path, case: str) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    proc = qapic("generate", "-o", "out", "--conditions", path, schema, timeout=60)
    assert error_line(proc, "generate", 1) == message.replace("WHAT", "a conditions file")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_diff_input(qapic: Run, schema: Path, tmp_path: Path, case: str) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    message = message.replace("WHAT", "a query-qmp-schema value or a QAPI schema")
    if case == "fifo":      # diff reads pipes (<(...)); a FIFO nobody writes is an error
        message = "fifo: a FIFO with nothing written to it (no writer)"
    if case == "binary":
        message = "bin.json: not JSON (not UTF-8 text)"
    proc = qapic("diff", schema, path, timeout=60)
    assert error_line(proc, "diff", 2) == message


def test_diff_reads_a_pipe(qapic: Run, schema: Path) -> None:
    """``qapic diff <(ssh host ...) B``: the pipe's writer holds it open; it is read whole."""
    r, w = os.pipe()
    writer = subprocess.Popen(["cat", str(schema)], stdout=w)
    os.close(w)
    try:
        proc = qapic("diff", f"/dev/fd/{r}", schema, pass_fds=(r,))
    finally:
        os.close(r)
        writer.wait()
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.count("\n") == 1


def test_stray_latin1_byte_is_located(qapic: Run, tmp_path: Path) -> None:
    """Not a binary file: one byte that is no UTF-8 gets the parser's located error."""
    (tmp_path / "latin1.json").write_bytes(b"# caf\xe9\n{ 'command': 'x' }\n")
    proc = qapic("check", "latin1.json")
    assert (proc.returncode, proc.stderr) == (1, "latin1.json:1:6: invalid UTF-8 in schema file\n")


def test_empty_schema_is_valid_like_qemus(qapic: Run, tmp_path: Path) -> None:
    """QEMU's tests/qapi-schema/empty.json: an empty schema is valid; check says it is empty,
    generate (QEMU's build runs it) says nothing."""
    (tmp_path / "empty.json").write_text("")
    proc = qapic("check", "empty.json")
    assert (proc.returncode, proc.stderr) == (
        0, "qapic check: warning: empty.json is empty: a valid schema without any definition\n")
    proc = qapic("generate", "-o", "out", "empty.json")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert (tmp_path / "out" / "qapi-types.h").is_file()


def test_diff_of_an_empty_file(qapic: Run, schema: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("")
    assert error_line(qapic("diff", "empty.json", schema), "diff", 2).startswith(
        "empty.json: not JSON (Expecting value at line 1 column 1)")


# --- outputs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("output", "message"), [
    ("afile/sub", "cannot write afile/sub: afile is not a directory"),
    ("afile/sub/deeper", "cannot write afile/sub/deeper: afile is not a directory"),
    ("afile", "cannot write afile: afile exists and is not a directory"),
    ("/dev/full", "cannot write /dev/full: /dev/full exists and is not a directory"),
    ("/proc/qapic-out", "cannot write /proc/qapic-out: No such file or directory"),
])
@pytest.mark.parametrize("command", ["generate", "docs"])
def test_impossible_output_directory(qapic: Run, schema: Path, tmp_path: Path, command: str,
                                     output: str, message: str) -> None:
    (tmp_path / "afile").write_text("a file\n")
    argv = (["generate", "-o", output, schema] if command == "generate"
            else ["docs", schema, "-o", output])
    assert error_line(qapic(*argv), command, 1) == message
    assert (tmp_path / "afile").read_text() == "a file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "s.json"]


def _small_file_limit() -> None:
    """In the child: files may not grow beyond 2 KiB, and a write beyond fails with EFBIG
    instead of killing the process (a disk that fills up half-way through the output)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


@pytest.mark.parametrize("command", ["generate", "docs"])
def test_disk_full_half_way_leaves_nothing(qapic: Run, schema: Path, tmp_path: Path,
                                           command: str) -> None:
    argv = (["generate", "-o", "new/out", schema] if command == "generate"
            else ["docs", schema, "-o", "new/out"])
    proc = qapic(*argv, preexec_fn=_small_file_limit)
    assert error_line(proc, command, 1) == "cannot write new/out: File too large"
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", ["generate", "docs"])
def test_disk_full_keeps_an_existing_output(qapic: Run, schema: Path, tmp_path: Path,
                                            command: str) -> None:
    argv = (["generate", "-o", "out", schema] if command == "generate"
            else ["docs", schema, "-o", "out"])
    assert qapic(*argv).returncode == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    schema.write_text(SCHEMA + "\n##\n# @another:\n##\n{ 'command': 'another' }\n")
    proc = qapic(*argv, preexec_fn=_small_file_limit)
    assert error_line(proc, command, 1) == "cannot write out: File too large"
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert qapic(*argv).returncode == 0       # without the limit: the new output
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} != before


@pytest.mark.parametrize(("output", "message"), [
    ("afile/c.json", "cannot write afile/c.json: afile exists and is not a directory"),
    ("dir", "cannot write dir: dir is a directory"),
    ("/dev/full", "cannot write /dev/full: No space left on device"),
    ("/proc/qapic.json", "cannot write /proc/qapic.json: No such file or directory"),
])
def test_impossible_output_file(qapic: Run, qemu_10_0: Path, tmp_path: Path, output: str,
                                message: str) -> None:
    (tmp_path / "afile").write_text("a file\n")
    (tmp_path / "dir").mkdir()
    system = qemu_10_0 / "qapi" / "qapi-schema.json"
    proc = qapic("carry-conditions", system, system, "-o", output)
    assert error_line(proc, "carry-conditions", 1) == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "dir"]
    assert list((tmp_path / "dir").iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["introspect", "s.json"],
    ["targets", "QEMU", "--json"],
    ["diff", "s.json", "s.json"],
    ["carry-conditions", "QEMU", "QEMU"],
    ["check", "--help"],
])
def test_standard_output_on_a_full_disk(qapic: Run, schema: Path, qemu_10_0: Path,
                                        argv: list[str]) -> None:
    system = str(qemu_10_0 / "qapi" / "qapi-schema.json")
    argv = [system if a == "QEMU" else a for a in argv]
    with open("/dev/full", "w") as full:
        proc = qapic(*argv, stdout=full, stderr=subprocess.PIPE)
    command = argv[0]
    status = 2 if command == "diff" else 1
    assert error_line(proc, command, status) == (
        "cannot write standard output: No space left on device")


def test_reader_gone(qapic: Run, schema: Path) -> None:
    """``qapic introspect S | head -0``: the reader closed the pipe; qapic stops quietly (like
    cat and grep) with status 1, no traceback, no 'Exception ignored' at exit."""
    r, w = os.pipe()
    os.close(r)
    try:
        proc = qapic("introspect", schema, stdout=w, stderr=subprocess.PIPE)
    finally:
        os.close(w)
    assert (proc.returncode, proc.stderr) == (1, "")


# --- the command line -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["check", "--bogus", "s.json"],
    ["introspect", "s.json", "--bogus"],
    ["targets", "s.json", "--bogus"],
    ["docs", "s.json", "-o", "out", "--bogus"],
    ["generate", "--bogus", "s.json"],
    ["diff", "s.json", "s.json", "--bogus"],
    ["carry-conditions", "s.json", "s.json", "--bogus"],
    ["harness", "--qemu-build", "b", "-o", "o", "--bogus"],
    ["fuzz", "--qemu-build", "b", "-o", "o", "--bogus"],
    ["qemu-setup", ".", "--bogus"],
])
def test_unknown_option(qapic: Run, schema: Path, argv: list[str]) -> None:
    proc = qapic(*argv)
    assert usage_error(proc, argv[0]) == "unrecognized arguments: --bogus"


def test_missing_argument_and_unknown_command(qapic: Run) -> None:
    assert usage_error(qapic("generate", "-o", "out"), "generate") == (
        "the following arguments are required: SCHEMA")
    proc = qapic("frobnicate")
    assert proc.returncode == 2 and proc.stderr.startswith("usage: qapic [-h]")
    assert "qapic: error: argument COMMAND: invalid choice: 'frobnicate'" in proc.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["introspect", "QEMU", "-t", "vax"], "unknown target 'vax' (known: aarch64, "),
    (["docs", "QEMU", "-o", "out", "-t", "vax"], "unknown target 'vax' (known: aarch64, "),
    (["targets", "QEMU", "--kvm", "x86_64,vax"], "unknown target(s) in --kvm: vax"),
    (["generate", "-B", "fortran", "s.json"],
     "unknown backend 'fortran' (known: c, qapi.backend.QAPICBackend)"),
    (["docs", "s.json", "-o", "out", "--format", "pdf"], "unknown format 'pdf' (known: "),
    (["generate", "--runtime-symbols", "TARGET_*", "s.json"],
     "--runtime-symbols, --targets-from and --upstream-stubs need --single-binary"),
    (["generate", "--qemu-version", "ten", "s.json"],
     "--qemu-version: not a QEMU version (MAJOR.MINOR): 'ten'"),
    (["fuzz", "--qemu-build", "nowhere", "-o", "out", "--requests", "0"],
     "--requests must be at least 1"),
    (["fuzz", "--qemu-build", "nowhere", "-o", "out", "--sanitize", "thread"],
     "unknown sanitizer thread (known: address, undefined, leak)"),
    (["qemu-setup", "--undo", "--single-binary", "."],
     "--undo and --single-binary exclude each other"),
    (["targets", "s.json"], "s.json is not inside a QEMU source tree (the targets are read "
     "from it): name one with --qemu-src DIR"),
    (["introspect", "s.json", "-t", "x86_64"], "s.json is not inside a QEMU source tree "
     "(--target x86_64): name one with --qemu-src DIR"),
    (["carry-conditions", "s.json", "s.json"], "s.json is not inside a QEMU source tree (the "
     "targets are read from it): name one with --qemu-src DIR"),
    (["generate", "--single-binary", "s.json"], "s.json is not inside a QEMU source tree "
     "(--single-binary reads its targets): name one with --targets-from QEMU_SRC_OR_BUILD"),
])
def test_usage_mistakes(qapic: Run, schema: Path, qemu_10_0: Path, tmp_path: Path,
                        argv: list[str], message: str) -> None:
    system = str(qemu_10_0 / "qapi" / "qapi-schema.json")
    proc = qapic(*[system if a == "QEMU" else a for a in argv])
    assert usage_error(proc, argv[0]).startswith(message)
    assert not (tmp_path / "out").exists()


def test_diff_trouble_with_a_target(qapic: Run, schema: Path) -> None:
    """diff's bad --qemu-src is trouble (2), one line naming the schema it was for."""
    proc = qapic("diff", schema, schema, "--qemu-src", "nowhere", "-t", "x86_64")
    assert error_line(proc, "diff", 2) == (
        f"{schema}: nowhere is not a QEMU source tree (no configs/targets)")


@pytest.mark.parametrize(("argv", "message"), [
    (["targets", "s.json", "--qemu-src", "nowhere"], "nowhere: no such directory"),
    (["targets", "s.json", "--qemu-src", "."], ". is not a QEMU source tree (no configs/targets)"),
    (["qemu-setup", "nowhere"], "nowhere: no such directory"),
    (["qemu-setup", "."], ". is not a QEMU source tree (no scripts/qapi-gen.py)"),
    (["harness", "--qemu-build", "nowhere", "-o", "out"], "nowhere: no such directory"),
    (["fuzz", "--qemu-build", "nowhere", "-o", "out"], "nowhere: no such directory"),
    (["generate", "--single-binary", "--targets-from", "nowhere", "s.json"],
     "nowhere: no such directory"),
    (["generate", "--single-binary", "--targets-from", ".", "s.json"],
     ". is not a QEMU source tree (no configs/targets)"),
])
def test_bad_qemu_directory(qapic: Run, schema: Path, argv: list[str], message: str) -> None:
    assert error_line(qapic(*argv), argv[0], 1) == message


# --- warnings and hints ---------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["introspect", "SCHEMA", "--compact"],
    ["targets", "SCHEMA"],
    ["docs", "SCHEMA", "-o", "out"],
    ["diff", "SCHEMA", "SCHEMA"],
])
def test_define_of_a_symbol_no_condition_mentions(qapic: Run, schema: Path, qemu_10_0: Path,
                                                  argv: list[str]) -> None:
    system = str(qemu_10_0 / "qapi" / "qapi-schema.json")
    argv = [system if a == "SCHEMA" else a for a in argv]
    proc = qapic(*argv, "-D", "CONFIG_KMV", "-D", "CONFIG_KVM", "-D", "CONFIG_SPICE")
    assert proc.returncode == 0, proc.stderr
    warning = f"qapic {argv[0]}: warning: -D CONFIG_KMV: no condition of {system} mentions it"
    assert proc.stderr.splitlines() == [warning]


def test_lenient_docs_hint(qapic: Run, qemu_7_2: Path, tmp_path: Path) -> None:
    system = qemu_7_2 / "qapi" / "qapi-schema.json"
    hint = ("--lenient-docs accepts this schema: its doc comments follow an older QEMU's rules "
            "(e.g. 7.2)")
    # (generate refuses a 7.2 tree before it reads the schema: tests/cgen_dispatch/
    # test_release_policy.py)
    for command in (["check"], ["introspect"]):
        proc = qapic(*command, system)
        assert proc.returncode == 1
        located, note = proc.stderr.splitlines()
        assert located.startswith(f"{system}:") and "heading must come first" in located
        assert note == f"qapic {command[0]}: note: {hint}"
        assert qapic(*command, "--lenient-docs", system).returncode == 0
    # Doc comments do not matter to a diff: accepted, with a word (once for diff A A).
    proc = qapic("diff", system, system)
    assert (proc.returncode, proc.stdout) == (
        0, "No change: B has the same commands, events and types as A.\n")
    assert proc.stderr.splitlines() == [
        f"qapic diff: warning: {system}: its doc comments follow an older QEMU's rules (e.g. "
        "7.2); read as with --lenient-docs, since a diff does not depend on them"]
    assert qapic("diff", "--lenient-docs", system, system).stderr == ""
    # A schema error that --lenient-docs does not accept gets no note.
    bad = tmp_path / "bad.json"
    bad.write_text("{ 'command': 'x', 'data': { 'a': 'Nope' } }\n")
    proc = qapic("check", bad)
    assert (proc.returncode, proc.stderr) == (
        1, f"{bad}: In command 'x':\n{bad}:1: parameter 'a' uses unknown type 'Nope'\n")
