"""Every comparison between QEMU builds compares builds configured alike.

The tests hold the "qapic" and "single" builds of a QEMU release to its "upstream" build: same
replies, same libvirt capabilities. That proves something about the QAPI code only when nothing
else differs: the same host configuration (``config-host.h``), and for every target both have the
same devices (``ARCH-softmmu-config-devices.mak``, test builds select their boards with
``scripts/test-devices``) and the same target configuration (``ARCH-softmmu-config-target.h``).
Those files are what QEMU's configure and meson wrote; they are compared byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.qemu import QEMU_KEYS, build


def configuration_files(build_dir: Path) -> dict[str, Path]:
    """The configuration QEMU's build wrote into *build_dir*, by file name."""
    files = [build_dir / "config-host.h",
             *build_dir.glob("*-softmmu-config-devices.mak"),
             *build_dir.glob("*-softmmu-config-target.h")]
    return {p.name: p for p in files if p.is_file()}


def configuration_differences(a: Path, b: Path) -> list[str]:
    """How the configurations of build directories *a* and *b* differ, for the host and the
    targets both have (empty when alike)."""
    fa, fb = configuration_files(a), configuration_files(b)
    problems = []
    if "config-host.h" not in fa or "config-host.h" not in fb:
        problems.append("config-host.h missing: not a configured QEMU build directory")
    for name in sorted(fa.keys() & fb.keys()):
        if fa[name].read_bytes() != fb[name].read_bytes():
            problems.append(f"{name} differs")
    if not any(n.endswith("-config-devices.mak") for n in fa.keys() & fb.keys()):
        problems.append("no target in common")
    return problems


@pytest.mark.parametrize("qemu", QEMU_KEYS)
@pytest.mark.parametrize("generator", ["qapic", "single"])
def test_builds_are_configured_like_upstreams(qemu: str, generator: str) -> None:
    upstream, other = build("upstream", qemu), build(generator, qemu)
    assert configuration_differences(upstream.build_dir, other.build_dir) == []


def test_a_configuration_difference_is_found(tmp_path: Path) -> None:
    """The check above has teeth: one device more on one side is reported, and so is a pair
    of directories with no target in common."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "config-host.h").write_text("#define CONFIG_LINUX 1\n")
        (d / "x86_64-softmmu-config-devices.mak").write_text("CONFIG_Q35=y\n")
    assert configuration_differences(a, b) == []
    (b / "x86_64-softmmu-config-devices.mak").write_text("CONFIG_Q35=y\nCONFIG_ISAPC=y\n")
    assert configuration_differences(a, b) == ["x86_64-softmmu-config-devices.mak differs"]
    (b / "x86_64-softmmu-config-devices.mak").rename(b / "s390x-softmmu-config-devices.mak")
    assert configuration_differences(a, b) == ["no target in common"]
