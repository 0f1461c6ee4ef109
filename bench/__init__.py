"""Benchmarks (`make bench` → BENCHMARKS.md). Not tests: nothing here asserts a timing."""
