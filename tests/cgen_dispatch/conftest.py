from tests.cgen_dispatch.fixtures import qapic_out, upstream_out
from tests.oracle.fixtures import oracle_10_0
from tests.qemu.fixtures import qemu_build, qemu_upstream

__all__ = ["oracle_10_0", "qapic_out", "qemu_build", "qemu_upstream", "upstream_out"]
