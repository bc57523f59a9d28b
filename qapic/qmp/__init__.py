"""The tools for QMP users: what a QEMU build exposes, and typed clients for it."""
