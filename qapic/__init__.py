"""qapic: a QAPI schema compiler for QEMU."""

__version__ = "0.1.0"
