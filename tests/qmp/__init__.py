"""QMP behaviour of QEMU binaries: a request corpus (corpus/*.jsonl) and its runner (runner.py)."""
