"""Whole numbers in query strings, as clients write them."""

from __future__ import annotations

import re

# "30" and also "30.0": OpenAPI tools and JSON serialisers write integral numbers either way.
# Only ASCII digits: int() alone would also take "+5", " 5", "٥" (Arabic-Indic) or "1_000".
_WHOLE = re.compile(r"([0-9]{1,12})(?:\.0*)?")


def whole_number(text: str) -> int | None:
    """The value of a non-negative whole number written in ASCII digits, or None."""
    match = _WHOLE.fullmatch(text.strip())
    return int(match[1]) if match else None
