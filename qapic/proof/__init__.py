"""The proof tools: harnesses that run qapic's generated code against upstream's on a QEMU
build, and the fuzzer that drives them."""
