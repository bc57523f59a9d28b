"""What every ``qapic`` command shares at its edges: reading the files it is given, writing its
output, and reporting what went wrong in one style.

A command reports a problem by raising :class:`CommandError` (exit status 1: an input is wrong,
an output cannot be written, a check failed) or :class:`UsageError` (exit status 2: the command
line itself is wrong or incomplete); :func:`qapic.cli.main` prints it as one line
``qapic COMMAND: error: MESSAGE`` (after the sub-command's usage for a usage error).  Schema
errors stay :class:`qapic.frontend.QAPIError`, printed in QEMU's located form.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import shutil
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qapic.conditions import TargetTable


class CommandError(Exception):
    """A problem with an input, an output or a check; exit status *status* (default 1)."""

    status = 1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class UsageError(CommandError):
    """A command-line mistake: unknown or conflicting options, a missing option, an unknown
    name (target, backend, format); exit status 2, after the sub-command's usage."""

    status = 2


class OutputClosed(Exception):
    """Standard output was closed by its reader (``qapic ... | head``)."""


def cause(err: OSError) -> str:
    """The operating system's words for *err* (``No such file or directory``)."""
    if err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


# --- inputs -----------------------------------------------------------------------------------

def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a FIFO"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    return "is not a regular file"


def _missing(path: str) -> CommandError:
    """Why *path* cannot be found: the component that is missing or not a directory."""
    p = Path(path)
    for parent in reversed(p.parents):
        if parent == Path(".") or parent == Path(parent.anchor):
            continue
        try:
            mode = os.stat(parent).st_mode
        except OSError:
            return CommandError(f"{path}: no such file ({parent} does not exist)")
        if not stat.S_ISDIR(mode):
            return CommandError(f"{path}: no such file ({parent} is not a directory)")
    if os.path.islink(path):
        return CommandError(f"{path}: no such file (a broken symbolic link)")
    return CommandError(f"{path}: no such file")


def check_input_file(path: str | os.PathLike[str], what: str = "") -> int:
    """Raise :class:`CommandError` unless *path* is a readable regular file that is not
    binary; return its size.  *what* (``a QAPI schema``) words the binary case."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise _missing(name) from None
    except NotADirectoryError:
        raise _missing(name) from None
    except OSError as err:
        raise CommandError(f"{name}: cannot read it: {cause(err)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise CommandError(f"{name}: {_kind(st.st_mode)}, not a file"
                           + (f" holding {what}" if what else ""))
    try:
        with open(name, "rb") as fh:
            head = fh.read(8192)
    except OSError as err:
        raise CommandError(f"{name}: cannot read it: {cause(err)}") from None
    # Binary: a NUL byte, or many bytes that are no UTF-8 (one stray Latin-1 letter is left to
    # the parser, which locates it).
    decoded = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=False)
    if b"\0" in head or decoded.count("\ufffd") > 8:
        raise CommandError(f"{name}: a binary file (not UTF-8 text)"
                           + (f", not {what}" if what else ""))
    return st.st_size


def read_input(path: str | os.PathLike[str], what: str = "") -> bytes:
    """The bytes of input file *path*: a regular file, or a pipe or FIFO (``<(...)``) that a
    writer holds open.  A FIFO without a writer is an error, not a wait for ever."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except (FileNotFoundError, NotADirectoryError):
        raise _missing(name) from None
    except OSError as err:
        raise CommandError(f"{name}: cannot read it: {cause(err)}") from None
    fifo = stat.S_ISFIFO(st.st_mode)
    if not (stat.S_ISREG(st.st_mode) or fifo):
        raise CommandError(f"{name}: {_kind(st.st_mode)}, not a file"
                           + (f" holding {what}" if what else ""))
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise CommandError(f"{name}: cannot read it: {cause(err)}") from None
    try:
        os.set_blocking(fd, True)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError as err:
        raise CommandError(f"{name}: cannot read it: {cause(err)}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if fifo and not data:
        raise CommandError(f"{name}: a FIFO with nothing written to it (no writer)")
    return data


def check_input_dir(path: Path) -> None:
    """Raise :class:`CommandError` unless directory *path* exists."""
    if not path.is_dir():
        raise CommandError(f"{path}: " + ("no such directory" if not path.exists()
                                          else "not a directory"))


# --- outputs ----------------------------------------------------------------------------------

def output_dir_problem(path: str | os.PathLike[str]) -> str | None:
    """Why directory *path* can neither be used nor created, if it cannot: the first of it
    and its ancestors that exists but is no directory, else None (a permission or file-system
    error is then only known when writing)."""
    p = Path(path)
    for candidate in (p, *p.parents):
        try:
            mode = os.stat(candidate).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as err:
            return f"{candidate}: {cause(err)}"
        if not stat.S_ISDIR(mode):
            return (f"{candidate} exists and is not a directory" if candidate == p
                    else f"{candidate} is not a directory")
        return None
    return None


def _first_missing(path: Path) -> Path | None:
    """The outermost of *path* and its ancestors that does not exist yet."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


@contextlib.contextmanager
def new_directories_removed_on_error(path: str | os.PathLike[str]) -> Iterator[None]:
    """On an exception inside the block, remove the directories created below the outermost
    missing ancestor of *path* (only empty ones: nothing half-written stays behind)."""
    top = _first_missing(Path(path))
    try:
        yield
    except BaseException:
        if top is not None and top.is_dir():
            for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
                with contextlib.suppress(OSError):
                    os.rmdir(dirpath)
        raise


@contextlib.contextmanager
def new_tree_removed_on_error(path: str | os.PathLike[str]) -> Iterator[None]:
    """On an exception inside the block, remove the outermost of *path* and its ancestors that
    did not exist before it, with everything written below it: a command whose output is a
    whole tree of files (a harness build) leaves nothing when it fails on a new directory."""
    top = _first_missing(Path(path))
    try:
        yield
    except BaseException:
        if top is not None and top.is_dir() and not top.is_symlink():
            shutil.rmtree(top, ignore_errors=True)
        raise


class StatusLine:
    """Progress of long work on standard error: on a terminal, one line rewritten in place
    (at most every *interval* seconds) and whole lines for milestones; nothing when standard
    error is a pipe or a file."""

    def __init__(self, interval: float = 0.25) -> None:
        self.on = sys.stderr.isatty()
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def say(self, text: str) -> None:
        """A milestone, kept on screen."""
        if self.on:
            sys.stderr.write(f"\r\033[K{text}\n")
            sys.stderr.flush()
            self._shown = False

    def show(self, text: str, force: bool = False) -> None:
        """The current state, replacing the previous one."""
        now = time.monotonic()
        if not self.on or (not force and now - self._last < self.interval):
            return
        self._last = now
        sys.stderr.write(f"\r\033[K{text}")
        sys.stderr.flush()
        self._shown = True

    def count(self, what: str, done: int, total: int) -> None:
        """``what: done/total``, the last one always shown."""
        self.show(f"{what}: {done}/{total}", force=done == total)

    def end(self) -> None:
        """Clear the current state's line."""
        if self.on and self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False


def write_error(path: str | os.PathLike[str], err: OSError) -> CommandError:
    """The error for *err* while writing the output *path* (file or directory)."""
    where = os.fspath(path)
    if isinstance(err.filename, str) and not os.path.basename(err.filename).startswith("."):
        where = err.filename        # not one of our temporary files: the very file or directory
    problem = output_dir_problem(os.path.dirname(where) or ".")
    if err.errno in (errno.ENOTDIR, errno.EEXIST) and problem is not None:
        return CommandError(f"cannot write {where}: {problem}")
    return CommandError(f"cannot write {where}: {cause(err)}")


def write_file(path: str | os.PathLike[str], text: str) -> None:
    """Write *text* to file *path* whole or not at all (a temporary file renamed into place;
    a character device such as /dev/null or /dev/stdout is written directly)."""
    name = os.fspath(path)
    data = text.encode("utf-8")
    try:
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISREG(os.stat(name).st_mode):
                if os.path.isdir(name):
                    raise CommandError(f"cannot write {name}: {name} is a directory")
                with open(name, "wb") as fh:
                    fh.write(data)
                return
        directory = os.path.dirname(name) or "."
        problem = output_dir_problem(directory)
        if problem is not None:
            raise CommandError(f"cannot write {name}: {problem}")
        tmp = os.path.join(directory, f".{os.path.basename(name)}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as err:
        raise write_error(name, err) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_stdout(text: str) -> None:
    """Write *text* to standard output and flush it; a full disk is a :class:`CommandError`,
    a reader that went away (``| head``) is :class:`OutputClosed`.

    The bytes go to the file descriptor with :func:`os.write` until all are written: a
    reader that goes away while a large text is being written into a pipe cuts the write
    short (the part the pipe took), and Python's buffered writer ends the call there without
    an error, so ``qapic introspect S | head -2`` would exit 0 as if all was written."""
    try:
        fd = sys.stdout.fileno() if text else None
    except (AttributeError, OSError, ValueError):     # not a file (a test's StringIO)
        fd = None
    try:
        if fd is None:      # (with no text: what an earlier write left pending, if anything)
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        sys.stdout.flush()
        view = memoryview(text.encode(sys.stdout.encoding or "utf-8",
                                      sys.stdout.errors or "strict"))
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        raise OutputClosed from None
    except OSError as err:
        raise CommandError(f"cannot write standard output: {cause(err)}") from None


def silence_stdout() -> None:
    """After the reader closed standard output: let the interpreter's final flush go nowhere."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


# --- schemas ------------------------------------------------------------------------------------

def warn(command: str, message: str) -> None:
    sys.stderr.write(f"qapic {command}: warning: {message}\n")


def warn_once(command: str, message: str) -> None:
    """:func:`warn`, unless this command said the same already (``diff A A``: once)."""
    if (command, message) not in _WARNED:
        _WARNED.add((command, message))
        warn(command, message)


def condition_symbols(schema: Any) -> frozenset[str]:
    """Every symbol that some ``'if'`` condition of *schema* mentions (definitions, members,
    branches, enum values, features; conditions files included)."""
    from qapic.conditions import Condition

    found: set[str] = set()
    seen: set[int] = set()

    def walk(obj: object) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, Condition):
            found.update(obj.symbols())
        elif isinstance(obj, list | tuple):
            for item in obj:
                walk(item)
        elif type(obj).__module__.startswith("qapic.frontend") and hasattr(obj, "__dict__"):
            for value in vars(obj).values():
                walk(value)

    for entity in schema.entities:
        walk(entity)
    return frozenset(found)


def warn_unused_symbols(command: str, schema: Any, defined: Iterable[str],
                        where: str | None = None) -> None:
    """A warning for each symbol of *defined* (given with ``-D``) that no condition of
    *schema* mentions: most likely a typo (``CONFIG_KMV``)."""
    used = condition_symbols(schema)
    for sym in dict.fromkeys(defined):
        message = f"-D {sym}: no condition of {where or schema.fname} mentions it"
        if sym.startswith("TARGET_") and sym != "TARGET_BIG_ENDIAN":
            name = sym.removeprefix("TARGET_").lower()
            message += (f"; for target {name}, give --target {name} (every TARGET_* symbol "
                        "QEMU defines for it)")
        if sym not in used and (command, message) not in _WARNED:
            _WARNED.add((command, message))     # diff A A: said once
            warn(command, message)


_WARNED: set[tuple[str, str]] = set()


#: The oldest QEMU release whose schema rules qapic checks strictly: a schema inside the tree
#: of this release or a later one is held to them (QEMU's own schema suite included, whose
#: ``.err`` files qapic's messages equal byte for byte), so no note offers --lenient-docs there.
STRICT_SINCE = (10, 0)


def lenient_docs_would_accept(schema: str, conditions: str | None = None) -> bool:
    """Whether *schema* loads with ``--lenient-docs`` (asked after it failed without), unless it
    lies in the tree of a QEMU release whose rules apply to it (:data:`STRICT_SINCE`)."""
    from qapic.frontend import QAPIError, load_schema
    from qapic.frontend.overlay import load_optional
    from qapic.qemu_tree import QemuTreeError, find_tree, read_version

    tree = find_tree(Path(schema).resolve().parent)
    if tree is not None:
        try:
            if read_version(tree) >= STRICT_SINCE:
                return False
        except QemuTreeError:
            pass
    try:
        load_schema(schema, lenient_docs=True, overlay=load_optional(conditions))
    except (QAPIError, OSError, RecursionError):
        return False
    return True


LENIENT_HINT = ("--lenient-docs accepts this schema: its doc comments follow an older QEMU's "
                "rules (e.g. 7.2)")


# --- QEMU trees -----------------------------------------------------------------------------

def unknown_target(name: str, table: TargetTable) -> UsageError:
    return UsageError(f"unknown target '{name}' (known: {', '.join(table.names())})")


# --- output directories ------------------------------------------------------------------------

def write_texts(outdir: str | os.PathLike[str], texts: dict[str, str]) -> list[str]:
    """Write each of *texts* (by path relative to *outdir*) whose content changed; return their
    names.

    Each changed file is first written in full beside its destination, and only when all are
    written are they renamed into place, so a failure (disk full, ...) changes nothing.
    Unchanged files keep their timestamps.
    """
    root = Path(outdir)
    pending: list[tuple[str, str]] = []
    made: set[str] = set()
    suffix = f".{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        for name, text in texts.items():
            dest = os.path.join(outdir, name)
            data = text.encode("utf-8")
            if _has_content(dest, data):
                continue
            directory, base = os.path.split(dest)
            if directory not in made:
                os.makedirs(directory or ".", exist_ok=True)
                made.add(directory)
            # The mode is 0666 less the umask, as for a file that open() creates.
            tmp = os.path.join(directory, f".{base}{suffix}")
            try:
                fd = os.open(tmp, flags, 0o666)
            except FileExistsError:     # left by a killed run that had our process id
                os.unlink(tmp)
                fd = os.open(tmp, flags, 0o666)
            pending.append((tmp, dest))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
    except BaseException:
        for leftover, _ in pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        raise
    for done, dest in pending:
        os.replace(done, dest)
    return [str(Path(dest).relative_to(root)) for _, dest in pending]


def _has_content(path: str, data: bytes) -> bool:
    """Whether the file at *path* exists and holds exactly *data* (read with plain system calls:
    in an up-to-date directory every generated file is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        if os.fstat(fd).st_size != len(data):
            return False
        chunks = []
        left = len(data) + 1        # a byte more than expected: a file that grew differs
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks) == data
    finally:
        os.close(fd)
