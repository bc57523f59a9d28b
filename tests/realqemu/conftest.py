from tests.qemu.fixtures import qemu_build, qemu_upstream

__all__ = ["qemu_build", "qemu_upstream"]
