"""Every comparison between QEMU builds compares builds configured alike.

The tests hold the "qapic" and "single" builds of a QEMU release to its "upstream" build: same
replies, same libvirt capabilities. That proves something about the QAPI code only when nothing
else differs: the same host configuration (``config-host.h``), and for every target both have the
same devices (``ARCH-softmmu-config-devices.mak``, test builds select their boards with
``scripts/test-devices``) and the same target configuration (``ARCH-softmmu-config-target.h``).
Those files are what QEMU's configure and meson wrote; they are compared byte for byte.

Which targets a build has is what its configure was told (``TARGET_DIRS`` in
``config-host.mak``), not which files happen to be there: for every target both builds claim,
each must have every file of the target, so a target whose files exist on one side only, or a
``*-config-target.h`` missing on one side, is a difference.  The targets a comparison needs
(those of the build compared with upstream's) must be claimed by both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.qemu import QEMU_KEYS, build, build_args

#: The files QEMU's configure and meson write for each target of a build.
TARGET_FILES = ("-config-devices.mak", "-config-target.h")


def claimed_targets(build_dir: Path) -> set[str] | None:
    """The targets a build directory was configured for: configure's ``TARGET_DIRS`` in
    ``config-host.mak`` (``x86_64-softmmu``...); None when it has no such line."""
    try:
        text = (build_dir / "config-host.mak").read_text()
    except OSError:
        return None
    m = re.search(r"^TARGET_DIRS=(.*)$", text, re.M)
    return set(m.group(1).split()) if m else None


def configuration_names(targets: Iterable[str]) -> list[str]:
    """The names of the configuration files of the host and of *targets* (``x86_64-softmmu``...)."""
    return ["config-host.h", *(t + suffix for t in sorted(targets) for suffix in TARGET_FILES)]


def configuration_differences(a: Path, b: Path,
                              targets: Iterable[str] | None = None) -> list[str]:
    """How the configurations of build directories *a* and *b* differ (empty when alike).

    *targets* (``x86_64``...): the targets the comparison needs, each to be claimed by both
    builds (default: every target either claims, i.e. the two claim the same).  For every
    target both claim, and for the host, each file of :func:`configuration_names` must be in
    both directories with the same bytes."""
    claims = {"a": claimed_targets(a), "b": claimed_targets(b)}
    problems = [f"{side}: config-host.mak has no TARGET_DIRS (not a configured QEMU build "
                "directory)" for side, claim in claims.items() if claim is None]
    ca, cb = claims["a"] or set(), claims["b"] or set()
    needed = ca | cb if targets is None else {f"{t}-softmmu" for t in targets}
    for side, claim in (("a", ca), ("b", cb)):
        problems += [f"{side}: {t} not configured (TARGET_DIRS)" for t in sorted(needed - claim)]
    both = ca & cb
    if not both:
        problems.append("no target in common")
    for name in configuration_names(both):
        fa, fb = a / name, b / name
        missing = [side for side, f in (("a", fa), ("b", fb)) if not f.is_file()]
        if missing:
            problems += [f"{side}: {name} missing" for side in missing]
        elif fa.read_bytes() != fb.read_bytes():
            problems.append(f"{name} differs")
    return problems


def built_targets(generator: str, qemu: str) -> list[str]:
    """The targets the tests' *generator* build of QEMU *qemu* is asked for (its
    scripts/qemu-build --targets)."""
    args = build_args(generator, qemu)
    return [t.removesuffix("-softmmu") for t in args[args.index("--targets") + 1].split(",")]


@pytest.mark.parametrize("qemu", QEMU_KEYS)
@pytest.mark.parametrize("generator", ["qapic", "single"])
def test_builds_are_configured_like_upstreams(qemu: str, generator: str) -> None:
    upstream, other = build("upstream", qemu), build(generator, qemu)
    assert configuration_differences(upstream.build_dir, other.build_dir,
                                     built_targets(generator, qemu)) == []


def _configured(d: Path, targets: Iterable[str], devices: str = "CONFIG_Q35=y\n") -> Path:
    """A build directory as QEMU's configure leaves it, for *targets*."""
    d.mkdir()
    (d / "config-host.mak").write_text(
        "all:\nTARGET_DIRS=" + " ".join(f"{t}-softmmu" for t in targets) + "\n")
    (d / "config-host.h").write_text("#define CONFIG_LINUX 1\n")
    for t in targets:
        (d / f"{t}-softmmu-config-devices.mak").write_text(devices)
        (d / f"{t}-softmmu-config-target.h").write_text(f'#define TARGET_NAME "{t}"\n')
    return d


def test_a_configuration_difference_is_found(tmp_path: Path) -> None:
    """The check above has teeth: one device more on one side is reported, and so is a pair
    of directories with no target in common."""
    a = _configured(tmp_path / "a", ["x86_64"])
    b = _configured(tmp_path / "b", ["x86_64"])
    assert configuration_differences(a, b) == []
    (b / "x86_64-softmmu-config-devices.mak").write_text("CONFIG_Q35=y\nCONFIG_ISAPC=y\n")
    assert configuration_differences(a, b) == ["x86_64-softmmu-config-devices.mak differs"]
    c = _configured(tmp_path / "c", ["s390x"])
    assert configuration_differences(a, c, []) == ["no target in common"]


def test_a_target_of_one_side_only_is_found(tmp_path: Path) -> None:
    """A target both builds were configured for whose files only one side has (the other's
    configure or meson never wrote them) is a difference; so is a target the comparison needs
    that one build was not configured for, while a target neither needs nor both claim is
    not compared."""
    a = _configured(tmp_path / "a", ["x86_64", "s390x"])
    b = _configured(tmp_path / "b", ["x86_64", "s390x"])
    assert configuration_differences(a, b) == []
    for f in b.glob("s390x-*"):
        f.unlink()
    assert configuration_differences(a, b) == [
        "b: s390x-softmmu-config-devices.mak missing", "b: s390x-softmmu-config-target.h missing"]

    c = _configured(tmp_path / "c", ["x86_64"])
    assert configuration_differences(a, c) == [
        "b: s390x-softmmu not configured (TARGET_DIRS)"]
    assert configuration_differences(c, a, ["x86_64", "s390x"]) == [
        "a: s390x-softmmu not configured (TARGET_DIRS)"]
    # The comparison of a build of fewer targets (the "qapic" build's) with upstream's.
    assert configuration_differences(a, c, ["x86_64"]) == []


def test_a_missing_config_target_header_is_found(tmp_path: Path) -> None:
    """A ``*-config-target.h`` missing on one side, its devices file present on both."""
    a = _configured(tmp_path / "a", ["x86_64", "aarch64"])
    b = _configured(tmp_path / "b", ["x86_64", "aarch64"])
    (a / "aarch64-softmmu-config-target.h").unlink()
    assert configuration_differences(a, b) == ["a: aarch64-softmmu-config-target.h missing"]
    (b / "aarch64-softmmu-config-target.h").unlink()
    assert configuration_differences(a, b) == ["a: aarch64-softmmu-config-target.h missing",
                                               "b: aarch64-softmmu-config-target.h missing"]


def test_an_unconfigured_directory_is_found(tmp_path: Path) -> None:
    a = _configured(tmp_path / "a", ["x86_64"])
    b = tmp_path / "b"
    b.mkdir()
    assert configuration_differences(a, b, ["x86_64"]) == [
        "b: config-host.mak has no TARGET_DIRS (not a configured QEMU build directory)",
        "b: x86_64-softmmu not configured (TARGET_DIRS)", "no target in common",
        "b: config-host.h missing"]
