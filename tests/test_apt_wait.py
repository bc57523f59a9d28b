"""scripts/apt-get-waiting: while another apt run holds the package lists' lock (apt-get itself
gives up at once there), it says so once on stderr and runs apt-get again when the lock is free;
without the wait (QAPIC_APT_WAIT=0) the same command fails, as the set-up did on a fresh machine
whose unattended apt run was updating."""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
import time
from pathlib import Path

from tests.support import REPO

LISTS_LOCK = Path("/var/lib/apt/lists/lock")


def _update(tmp_path: Path, wait: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``apt-get update`` of an empty source list while another process holds the lists' lock
    for 3 s (the apt run it waits for)."""
    (tmp_path / "parts").mkdir(exist_ok=True)
    (tmp_path / "empty.list").write_text("")
    fd = os.open(LISTS_LOCK, os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.lockf(fd, fcntl.LOCK_EX)

    def release() -> None:
        time.sleep(3)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)

    holder = threading.Thread(target=release)
    holder.start()
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [str(REPO / "scripts" / "apt-get-waiting"), "-qq", "update",
             "-o", f"Dir::Etc::sourcelist={tmp_path / 'empty.list'}",
             "-o", f"Dir::Etc::sourceparts={tmp_path / 'parts'}"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "QAPIC_APT_WAIT": wait})
    finally:
        holder.join()
    return proc, time.monotonic() - t0


def test_waits_for_the_lists_lock(tmp_path: Path) -> None:
    proc, took = _update(tmp_path, "60")
    assert proc.returncode == 0, proc.stderr
    waiting = [line for line in proc.stderr.splitlines() if line.startswith("apt-get-waiting:")]
    assert len(waiting) == 1 and "Could not get lock /var/lib/apt/lists/lock" in waiting[0]
    assert "waiting up to 60 s" in waiting[0]
    assert took >= 2.5


def test_without_the_wait_it_fails_as_apt_get_does(tmp_path: Path) -> None:
    proc, _took = _update(tmp_path, "0")
    assert proc.returncode == 100
    assert "E: Could not get lock /var/lib/apt/lists/lock" in proc.stderr
