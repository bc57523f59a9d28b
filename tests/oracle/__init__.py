"""Test oracles: expectations computed outside qapic (upstream's generator, QEMU's build rules)."""
