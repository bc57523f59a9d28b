"""Real QEMU built with ``qapic qemu-setup --single-binary`` against QEMU built per target."""
