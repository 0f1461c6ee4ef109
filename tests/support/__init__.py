"""Helpers and fixtures shared by the test modules (served through tests/conftest.py)."""
