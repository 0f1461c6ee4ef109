"""Masking of personal identifiers, for the audit log, for application logs and for what one
citizen sees of another. Pure functions.

An ID number is 9 (old identity card) or 12 (citizen ID) digits, but people and URLs write it
many ways: `001082489830`, `001-082-489-830`, `0010.8248.9830`, `0010 8248 9830`,
`0010+8248+9830` (a form-encoded space), `%30%30%31…` (percent-encoded), full-width `００１…` or
other scripts' digits. `ID_LIKE` finds 9 to 12 digits of any script with at most one separator
between two digits, standing alone (not part of a longer run); `redact` also looks through
percent-encoding.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

_SEP = r"[ \t.\-_+\u2010-\u2015\u2212\uff0d\u3000]"
# `\d` is any Unicode decimal digit (full-width, Arabic-Indic…). Not `/` nor `,`: result
# numbers (12345/2024) and amounts stay readable.
ID_LIKE = re.compile(rf"(?<!\d)(?<!\d{_SEP})\d(?:{_SEP}?\d){{8,11}}(?!{_SEP}?\d)")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def digits_of(text: str) -> str:
    """The ASCII digits of a number however it is written (`００１-0８2` → `001082`)."""
    return "".join(str(d) for c in text if (d := unicodedata.digit(c, None)) is not None)


def mask_id(id_number: str | None) -> str:
    """`001082489830` → `0010****9830`; short or odd values are masked entirely."""
    value = digits_of(id_number or "") or (id_number or "").strip()
    if len(value) < 9:
        return "****"
    return f"{value[:4]}****{value[-4:]}"


def _mask_match(match: re.Match[str]) -> str:
    return mask_id(digits_of(match.group()))


def redact(text: str) -> str:
    """Mask every ID-like number inside free text, however it is written or encoded."""
    masked = ID_LIKE.sub(_mask_match, text)
    if _PERCENT.search(masked):
        # Percent-decoding may join digits into an ID (`%30%30…`, `0010%208248…`): when it
        # does, the decoded, masked form replaces the line (readable, and nothing in clear).
        decoded = unquote(masked, errors="replace")
        if ID_LIKE.search(decoded):
            return ID_LIKE.sub(_mask_match, decoded)
    return masked
