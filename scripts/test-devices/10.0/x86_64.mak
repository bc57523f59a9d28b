# Devices of the test builds of scripts/qemu-build for this target (configured with
# --without-default-devices): the boards that libvirt and the tests probe ("pc", QEMU's default
# machine here, and "q35"), and what they select.
CONFIG_I440FX=y
CONFIG_Q35=y
