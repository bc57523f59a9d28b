"""scripts/qemu-source fetches exactly the pinned versions of scripts/qemu-versions, and fails,
naming the version, when the archive does not have a pin (instead of taking another one)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import REPO

SCRIPT = REPO / "scripts" / "qemu-source"
VERSIONS = REPO / "scripts" / "qemu-versions"


def _pins() -> dict[str, tuple[str, str]]:
    out = {}
    for line in VERSIONS.read_text().splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            key, suite, version = words
            out[key] = (suite, version)
    return out


def _run(cache: Path, versions: Path, key: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QAPIC_CACHE=str(cache), QAPIC_QEMU_VERSIONS=str(versions))
    return subprocess.run([str(SCRIPT), key], env=env, capture_output=True, text=True,
                          timeout=600)


def test_trees_are_the_pinned_versions() -> None:
    """Each cached tree's VERSION is the upstream part of its pin, and its download directory
    holds the pinned version's Debian source files."""
    for key, (_suite, version) in _pins().items():
        proc = subprocess.run([str(SCRIPT), key], capture_output=True, text=True, check=True)
        tree = Path(proc.stdout.strip().splitlines()[-1])
        upstream = version.split(":", 1)[-1].rsplit("-", 1)[0].split("+")[0]
        assert (tree / "VERSION").read_text().strip().startswith(upstream), key
        download = tree.parent / f"download-{key}"
        assert (download / f"qemu_{version.split(':', 1)[-1]}.dsc").is_file(), key


def test_a_pin_the_archive_lacks_fails_naming_it(tmp_path: Path) -> None:
    suite, version = _pins()["10.0"]
    gone = version.split("+")[0] + "+ds-0+nonesuch1"
    versions = tmp_path / "qemu-versions"
    versions.write_text(f"10.0 {suite} {gone}\n")
    proc = _run(tmp_path / "cache", versions, "10.0")
    assert proc.returncode == 1, proc.stderr
    assert f"cannot fetch qemu={gone} (key 10.0) from Debian {suite}" in proc.stderr
    assert version in proc.stderr  # what apt has instead is listed
    assert proc.stdout == ""
    assert not (tmp_path / "cache" / "qemu-10.0.path").exists()


def test_a_changed_pin_is_not_served_from_the_cache(tmp_path: Path) -> None:
    """A tree unpacked for another version of the same key is not reused."""
    suite, version = _pins()["10.0"]
    cache = tmp_path / "cache"
    tree = cache / "qemu-old"
    tree.mkdir(parents=True)
    (tree / "VERSION").write_text("10.0.0\n")
    (cache / "qemu-10.0.path").write_text(f"{tree}\n")
    (cache / "download-10.0").mkdir()
    (cache / "download-10.0" / "qemu_10.0.0+ds-1.dsc").write_text("")
    gone = version.split("+")[0] + "+ds-0+nonesuch1"
    versions = tmp_path / "qemu-versions"
    versions.write_text(f"10.0 {suite} {gone}\n")
    proc = _run(cache, versions, "10.0")
    assert proc.returncode == 1 and f"qemu={gone}" in proc.stderr
    # ... while the same pin is.
    versions.write_text(f"10.0 {suite} 1:10.0.0+ds-1\n")
    proc = _run(cache, versions, "10.0")
    assert proc.returncode == 0 and proc.stdout.strip() == str(tree)


def test_an_unknown_key_fails() -> None:
    proc = subprocess.run([str(SCRIPT), "nonesuch"], capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown key 'nonesuch'" in proc.stderr
