from tests.qemu.fixtures import qemu_build_10_2

__all__ = ["qemu_build_10_2"]
