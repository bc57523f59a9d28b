"""QEMU's side: the C code generated from a schema (per target and single-binary), setting a
QEMU tree up for qapic, and the run-time C and QEMU patches that ship with it."""
