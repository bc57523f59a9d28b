"""The tools for QMP users: what a QEMU build exposes (targets, introspect, diff, docs, carried
conditions) and typed Python clients that know it (bindings)."""
