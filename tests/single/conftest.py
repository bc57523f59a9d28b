"""Fixtures for the single-binary tests: QEMU 10.0's schema generated with ``--single-binary``
(targets from QEMU's source tree, CONFIG_KVM as meson.build decides it for this host's CPU), and
the upstream build of QEMU 10.0 whose flags and libqemuutil the C tests use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.qemu.fixtures import qemu_build, qemu_upstream
from tests.support import REPO

__all__ = ["qemu_build", "qemu_upstream", "single_out"]

def generate_single(schema: Path, outdir: Path, *options: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "qapic", "generate", "--single-binary",
                           "-o", str(outdir), *options, str(schema)],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="session")
def single_out(qemu_10_0: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """qapic's single-binary output for QEMU 10.0's schema, with -b as QEMU's build uses."""
    out = tmp_path_factory.mktemp("single") / "qapi"
    generate_single(qemu_10_0 / "qapi" / "qapi-schema.json", out, "-b")
    return out
