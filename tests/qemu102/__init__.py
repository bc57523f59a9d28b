"""QEMU 10.2.2 built with qapic's generator (``qapic qemu-setup``, per target) against the same
tree built with upstream's own generator: QAPI unit tests, the QMP corpus, introspection."""
