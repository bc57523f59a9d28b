"""The C backend: QEMU's generated QAPI code (types, visitors, commands, events, introspection)."""
