"""JSON parsing with a nesting limit.

`json.loads` recurses once per nesting level and raises RecursionError (not ValueError) past
Python's stack limit, so `[` × 2000 from a client would be an internal error. Records, forms and
API bodies nest a few levels at most; anything deeper is refused as bad input before parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonTooDeep(ValueError):
    """The document nests arrays/objects deeper than allowed."""


def nesting_depth(text: str) -> int:
    """The deepest array/object nesting of a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(text: str | bytes, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """`json.loads`, refusing with JsonTooDeep (a ValueError) what nests over `max_depth`."""
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if nesting_depth(text) > max_depth:
        raise JsonTooDeep(f"JSON nested more than {max_depth} levels deep")
    return json.loads(text, **kwargs)
