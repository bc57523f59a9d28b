# Devices of the test builds of scripts/qemu-build for this target (configured with
# --without-default-devices): the board that libvirt and the tests probe, and what it selects.
CONFIG_S390_CCW_VIRTIO=y
