"""Vietnamese text processing and the codes people type: pure functions, no I/O."""
