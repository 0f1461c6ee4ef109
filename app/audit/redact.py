"""Masking of personal identifiers, for the audit log and for application logs."""

from __future__ import annotations

import re

# 9 to 12 digits standing alone: a citizen ID (12) or an old identity card number (9).
_ID_LIKE = re.compile(r"(?<!\d)(\d{4})\d{1,4}(\d{4})(?!\d)")


def mask_id(id_number: str | None) -> str:
    """`001082489830` → `0010****9830`; short or odd values are masked entirely."""
    value = (id_number or "").strip()
    if len(value) < 9:
        return "****"
    return f"{value[:4]}****{value[-4:]}"


def redact(text: str) -> str:
    """Mask every ID-like digit run inside free text."""
    return _ID_LIKE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)

