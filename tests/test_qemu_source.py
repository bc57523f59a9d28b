"""scripts/qemu-source: a pin of scripts/qemu-versions is an upstream tarball (Debian's
qemu_ORIG.orig.tar.xz and its SHA-256), taken from any Debian revision that carries it, or from a
copy the user gives; when there is none, one message says what is missing and what to do.

Only the first two tests use the real archive and cache. The others run the script with stubs of
apt-get, apt-cache and sudo first on PATH (a small archive whose Sources these tests write, or
stubs that fail loudly and log that they ran) and a cache, versions file and deb-src directory
under tmp_path, with small tarballs made here.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support import REPO

SCRIPT = REPO / "scripts" / "qemu-source"
VERSIONS = REPO / "scripts" / "qemu-versions"


def _pins() -> dict[str, tuple[str, str, list[str]]]:
    """key -> (orig version, SHA-256, suites), read here from the versions file."""
    out = {}
    for line in VERSIONS.read_text().splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            key, orig, sha, suites = words
            out[key] = (orig, sha, suites.split(","))
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=600)


def _tarball(path: Path, version: str = "9.9.9", extra: str = "") -> tuple[Path, str]:
    """A .tar.xz holding qemu-VERSION/VERSION (and a schema file); returns it and its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:xz") as tar:
        for name, text in ((f"qemu-{version}/VERSION", f"{version}\n"),
                           (f"qemu-{version}/qapi/qapi-schema.json", f"{{}}\n{extra}")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path, _sha(path)


class Machine:
    """tmp_path as the script's world: cache, versions file, deb-src directory, and a PATH with
    stubs of apt-get, apt-cache and sudo."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.cache = tmp_path / "cache"
        self.versions = tmp_path / "qemu-versions"
        self.sources = tmp_path / "sources.list.d"
        self.sources.mkdir()
        self.archive = tmp_path / "archive"
        self.archive.mkdir()
        self.log = tmp_path / "apt.log"
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self._stub("sudo", 'exec "$@"')
        self.offline()

    def _stub(self, name: str, body: str) -> None:
        f = self.bin / name
        f.write_text(f"#!/bin/sh\n{body}\n")
        f.chmod(0o755)

    def offline(self) -> None:
        """apt-get and apt-cache fail loudly, and log that they ran."""
        for name in ("apt-get", "apt-cache"):
            self._stub(name, f'echo "{name} $*" >> "{self.log}"\n'
                             f'echo "E: {name} stub: this test allows no apt access" >&2\n'
                             f'exit 99')

    def online(self) -> None:
        """apt-get and apt-cache serve the archive of add_version()."""
        self._stub("apt-cache", f'''echo "apt-cache $*" >> "{self.log}"
suite=$(printf '%s\\n' "$@" \\
        | sed -n 's|^Dir::Etc::sourcelist=.*/qapic-src-\\(.*\\)\\.sources$|\\1|p')
[ -f "{self.archive}/$suite.showsrc" ] && exec cat "{self.archive}/$suite.showsrc"
echo "E: Unable to find a source package for qemu" >&2
exit 100''')
        self._stub("apt-get", f'''echo "apt-get $*" >> "{self.log}"
for a in "$@"; do
    case $a in update) exit 0 ;; qemu=*) v=${{a#qemu=}} ;; esac
done
d="{self.archive}/files/$(echo "$v" | tr : _)"
[ -d "$d" ] || {{ echo "E: Can not find version '$v' of package 'qemu'" >&2; exit 100; }}
cp "$d"/* .''')

    def add_version(self, suite: str, version: str, orig: str, tarball: Path,
                    listed_sha: str | None = None) -> None:
        """*suite*'s Sources lists qemu *version* with qemu_ORIG.orig.tar.xz (SHA-256
        *listed_sha*, default that of *tarball*), and apt-get source serves *tarball* as it."""
        name = f"qemu_{orig}.orig.tar.xz"
        rev = version.split(":", 1)[-1]
        files = self.archive / "files" / version.replace(":", "_")
        files.mkdir(parents=True, exist_ok=True)
        (files / name).write_bytes(tarball.read_bytes())
        (files / f"qemu_{rev}.dsc").write_text("Format: 3.0 (quilt)\n")
        (files / f"qemu_{rev}.debian.tar.xz").write_bytes(b"debian")
        sums = [(_sha(files / f"qemu_{rev}.dsc"), f"qemu_{rev}.dsc"),
                (listed_sha or _sha(tarball), name),
                (_sha(files / f"qemu_{rev}.debian.tar.xz"), f"qemu_{rev}.debian.tar.xz")]
        record = (f"Package: qemu\nBinary: qemu-system-x86, qemu-utils\nVersion: {version}\n"
                  "Format: 3.0 (quilt)\nFiles:\n"
                  + "".join(f" {'0' * 32} 6 {n}\n" for _, n in sums)
                  + "Checksums-Sha256:\n" + "".join(f" {s} 6 {n}\n" for s, n in sums)
                  + "Package-List: \n qemu-utils deb otherosfs optional arch=linux-any\n"
                  + "Directory: pool/main/q/qemu\nSection: otherosfs\n\n")
        with (self.archive / f"{suite}.showsrc").open("a") as f:
            f.write(record)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}",
                   QAPIC_CACHE=str(self.cache), QAPIC_QEMU_VERSIONS=str(self.versions),
                   QAPIC_APT_SOURCES_DIR=str(self.sources))
        env.pop("QAPIC_QEMU_TARBALL", None)
        env.update(extra)
        return env

    def apt_calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def cache_files(self) -> set[str]:
        """What the cache holds, but the lock file."""
        return {str(p.relative_to(self.cache)) for p in self.cache.rglob("*")} - {".lock-9.9"}


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_the_pinned_trees_are_the_pinned_tarballs(tmp_path: Path) -> None:
    """Each key's tree is unpacked from a tarball with the pinned SHA-256 (recomputed here from
    the cached download), its VERSION is the tarball's upstream version, and once cached it is
    served again with no apt access."""
    offline = Machine(tmp_path)
    for key, (orig, sha, _suites) in _pins().items():
        proc = subprocess.run([str(SCRIPT), key], capture_output=True, text=True, check=True,
                              timeout=1800)
        tree = Path(proc.stdout.strip())
        upstream, version = orig.split("+")[0], (tree / "VERSION").read_text().strip()
        assert version == upstream or version.startswith(upstream + "."), key
        download = tree.parent / f"download-{key}"
        assert _sha(download / f"qemu_{orig}.orig.tar.xz") == sha, key
        assert (download / "orig.sha256").read_text() == f"{sha}  qemu_{orig}.orig.tar.xz\n"
        env = dict(os.environ, PATH=f"{offline.bin}:{os.environ['PATH']}")
        again = subprocess.run([str(SCRIPT), key], env=env, capture_output=True, text=True,
                               timeout=60)
        assert (again.returncode, again.stdout) == (0, proc.stdout), again.stderr
    assert offline.apt_calls() == []


def test_a_pin_the_archive_lacks_fails_with_one_message(machine: Machine) -> None:
    """The real archive: 10.0's tarball name and suites, with a SHA-256 no tarball has."""
    orig, _sha256, suites = _pins()["10.0"]
    wrong = hashlib.sha256(b"no such tarball").hexdigest()
    tarball = f"qemu_{orig}.orig.tar.xz"
    machine.versions.write_text(f"10.0 {orig} {wrong} {','.join(suites)}\n")
    env = dict(os.environ, QAPIC_CACHE=str(machine.cache),
               QAPIC_QEMU_VERSIONS=str(machine.versions))
    proc = _run(env, "10.0")
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr
    assert lines[0] == (f"qemu-source: key 10.0 is {tarball} with SHA-256 {wrong}, and no "
                        f"Debian revision in the suites searched ({', '.join(suites)}) "
                        "carries it.")
    assert re.match(rf"  Apt has instead: {suites[0]}: 1:\S+ \(qemu_\S+\.orig\.tar\.xz",
                    lines[1]), lines[1]
    assert f"scripts/qemu-source 10.0 PATH/{tarball}" in lines[2]
    assert f"QAPIC_QEMU_TARBALL=PATH/{tarball}" in lines[2]
    assert {p.name for p in machine.cache.iterdir()} <= {".lock-10.0"}


def test_no_suite_carrying_the_tarball_fails_naming_what_each_has(machine: Machine) -> None:
    """What apt has instead, suite by suite: another tarball, the same name with another
    SHA-256 (a different tarball), or no qemu source at all."""
    other, _ = _tarball(machine.root / "other" / "qemu_10.0.0+ds.orig.tar.xz", "10.0.0")
    _, pinned = _tarball(machine.root / "mine.tar.xz")
    machine.online()
    machine.add_version("sid", "1:10.0.0+ds-1", "10.0.0+ds", other)
    machine.add_version("forky", "1:9.9.9+ds-1", "9.9.9+ds", other)
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid,forky,nonesuch\n")
    proc = _run(machine.env(), "9.9")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines()[:2] == [
        f"qemu-source: key 9.9 is qemu_9.9.9+ds.orig.tar.xz with SHA-256 {pinned}, and no "
        "Debian revision in the suites searched (sid, forky, nonesuch) carries it.",
        "  Apt has instead: sid: 1:10.0.0+ds-1 (qemu_10.0.0+ds.orig.tar.xz); "
        f"forky: 1:9.9.9+ds-1 (qemu_9.9.9+ds.orig.tar.xz with SHA-256 {_sha(other)}); "
        "nonesuch: no qemu source."]
    assert len(proc.stderr.splitlines()) == 3
    assert not [c for c in machine.apt_calls() if " source " in c]
    assert machine.cache_files() == set()
    # The deb-src entries went where the tests said, one per suite.
    assert sorted(p.name for p in machine.sources.iterdir()) == [
        "qapic-src-forky.sources", "qapic-src-nonesuch.sources", "qapic-src-sid.sources"]


def test_another_debian_revision_carrying_the_tarball_is_accepted(machine: Machine) -> None:
    """The pin names no Debian revision: the newest revision whose Sources entry lists the
    tarball with the pinned SHA-256 is fetched, in whichever suite of the pin has it."""
    tarball, pinned = _tarball(machine.root / "mine.tar.xz")
    impostor, _ = _tarball(machine.root / "impostor.tar.xz", extra="repacked\n")
    machine.online()
    machine.add_version("sid", "1:10.0.0+ds-1", "10.0.0+ds", impostor)
    machine.add_version("forky", "1:9.9.9+ds-0+deb13u1", "9.9.9+ds", impostor)
    machine.add_version("forky", "1:9.9.9+ds-3", "9.9.9+ds", tarball)
    machine.add_version("forky", "1:9.9.9+ds-2", "9.9.9+ds", tarball)
    machine.add_version("forky", "1:9.9.9+ds-10~bpo1", "9.9.9+ds", impostor)
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid,forky\n")
    proc = _run(machine.env(), "9.9")
    assert proc.returncode == 0, proc.stderr
    tree = machine.cache / "qemu-9.9.9"
    assert proc.stdout == f"{tree}\n"
    assert (tree / "VERSION").read_text() == "9.9.9\n"
    assert [c.split()[-1] for c in machine.apt_calls() if " source " in c] == ["qemu=1:9.9.9+ds-3"]
    download = machine.cache / "download-9.9"
    assert _sha(download / "qemu_9.9.9+ds.orig.tar.xz") == pinned
    assert (download / "qemu_9.9.9+ds-3.dsc").is_file()
    assert (download / "orig.sha256").read_text() == f"{pinned}  qemu_9.9.9+ds.orig.tar.xz\n"


def test_a_download_that_is_not_the_listed_tarball_is_refused(machine: Machine) -> None:
    _, pinned = _tarball(machine.root / "mine.tar.xz")
    impostor, bad = _tarball(machine.root / "impostor.tar.xz", extra="repacked\n")
    machine.online()
    machine.add_version("sid", "1:9.9.9+ds-1", "9.9.9+ds", impostor, listed_sha=pinned)
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid\n")
    proc = _run(machine.env(), "9.9")
    assert proc.returncode == 1 and proc.stdout == ""
    assert (f"Apt has instead: sid: 1:9.9.9+ds-1 lists it, but the download has SHA-256 {bad}."
            in proc.stderr)
    assert machine.cache_files() == set()


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_a_tarball_given_by_path_is_used_with_no_apt_access(machine: Machine, how: str) -> None:
    tarball, pinned = _tarball(machine.root / "elsewhere" / "copy.tar.xz")
    other, _ = _tarball(machine.root / "other.tar.xz", "10.0.0")
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid\n")
    if how == "argument":
        proc = _run(machine.env(), "9.9", str(tarball))
    else:   # a list: the one with the pinned SHA-256 is taken
        proc = _run(machine.env(QAPIC_QEMU_TARBALL=f"{other}:{tarball}"), "9.9")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{machine.cache / 'qemu-9.9.9'}\n"
    assert (machine.cache / "qemu-9.9.9" / "VERSION").read_text() == "9.9.9\n"
    assert _sha(machine.cache / "download-9.9" / "qemu_9.9.9+ds.orig.tar.xz") == pinned
    assert machine.apt_calls() == []
    assert list(machine.sources.iterdir()) == []


def test_a_given_tarball_with_another_sha256_is_refused(machine: Machine) -> None:
    _, pinned = _tarball(machine.root / "mine.tar.xz")
    wrong, bad = _tarball(machine.root / "qemu_9.9.9+ds.orig.tar.xz", extra="repacked\n")
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid\n")
    proc = _run(machine.env(), "9.9", str(wrong))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines()[0] == (
        f"qemu-source: key 9.9 is qemu_9.9.9+ds.orig.tar.xz with SHA-256 {pinned}, and no "
        f"tarball given has it: {wrong} has SHA-256 {bad}.")
    assert len(proc.stderr.splitlines()) == 2
    assert machine.apt_calls() == []
    assert machine.cache_files() == set()


def _old_cache(machine: Machine, download: Path) -> Path:
    """A cache as the script left it before the SHA-256 record: tree, marker, download dir with
    *download* as the .orig.tar.xz and the .dsc of the Debian revision then pinned."""
    tree = machine.cache / "qemu-9.9.9"
    with tarfile.open(download) as tar:
        tar.extractall(machine.cache, filter="data")
    (machine.cache / "qemu-9.9.path").write_text(f"{tree}\n")
    dl = machine.cache / "download-9.9"
    dl.mkdir()
    (dl / "qemu_9.9.9+ds.orig.tar.xz").write_bytes(download.read_bytes())
    (dl / "qemu_9.9.9+ds-1.dsc").write_text("")
    return tree


def test_an_old_cache_of_the_pinned_tarball_is_served_offline(machine: Machine) -> None:
    tarball, pinned = _tarball(machine.root / "mine.tar.xz")
    tree = _old_cache(machine, tarball)
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid\n")
    for _ in range(2):      # the first run adds the record, the second reads it
        proc = _run(machine.env(), "9.9")
        assert (proc.returncode, proc.stdout) == (0, f"{tree}\n"), proc.stderr
        assert (machine.cache / "download-9.9" / "orig.sha256").read_text() == \
            f"{pinned}  qemu_9.9.9+ds.orig.tar.xz\n"
    assert machine.apt_calls() == []


@pytest.mark.parametrize("record", [False, True])
def test_a_cache_of_another_tarball_is_not_served(machine: Machine, record: bool) -> None:
    """A changed pin (another SHA-256) goes to the archive, whether the cache has the record
    (which names the other tarball) or not (its .orig.tar.xz is the other tarball)."""
    other, other_sha = _tarball(machine.root / "other.tar.xz", extra="older\n")
    _, pinned = _tarball(machine.root / "mine.tar.xz")
    _old_cache(machine, other)
    if record:
        (machine.cache / "download-9.9" / "orig.sha256").write_text(
            f"{other_sha}  qemu_9.9.9+ds.orig.tar.xz\n")
    machine.versions.write_text(f"9.9 9.9.9+ds {pinned} sid\n")
    proc = _run(machine.env(), "9.9")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "sid: apt-get update failed (apt-get stub: this test allows no apt access)" \
        in proc.stderr
    assert machine.apt_calls()


def test_an_unknown_key_or_a_malformed_line_fails(machine: Machine) -> None:
    machine.versions.write_text("9.9 9.9.9+ds 1:9.9.9+ds-1 sid\n")
    proc = _run(machine.env(), "nonesuch")
    assert proc.returncode == 2 and "unknown key 'nonesuch'" in proc.stderr
    proc = _run(machine.env(), "9.9")
    assert proc.returncode == 2
    assert "is not 'KEY ORIG_VERSION SHA256 SUITE[,SUITE...]'" in proc.stderr
    assert machine.apt_calls() == []
