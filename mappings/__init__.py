"""Versioned index mappings (`<name>-v<N>.json`), shipped as package data."""
