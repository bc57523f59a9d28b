"""The QMP users' tools: targets, diff, docs, carried conditions (and bindings)."""
