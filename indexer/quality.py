"""Quality flags a manager can review: pure checks over one record's extracted pages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from domain.text.codes import loose_key

LOW_CONFIDENCE = 60.0  # Tesseract mean word confidence below which a page deserves a human look

BLANK_PAGE = "blank-page"
LOW_CONFIDENCE_FLAG = "low-confidence"
NO_TEXT = "no-text"
NUMBER_NOT_FOUND = "result-number-not-found"
HOLDER_ID_NOT_FOUND = "holder-id-not-found"
DUPLICATE_CONTENT = "duplicate-content"

ALL_FLAGS = (
    BLANK_PAGE,
    LOW_CONFIDENCE_FLAG,
    NO_TEXT,
    NUMBER_NOT_FOUND,
    HOLDER_ID_NOT_FOUND,
    DUPLICATE_CONTENT,
)


class PageLike(Protocol):
    text: str
    confidence: float | None
    blank: bool


def quality_flags(
    metadata: Mapping[str, Any],
    pages: Sequence[PageLike],
    text: str,
    duplicate_of: Iterable[str] = (),
) -> list[str]:
    flags: list[str] = []
    if any(page.blank for page in pages):
        flags.append(BLANK_PAGE)
    if any(
        p.confidence is not None and p.confidence < LOW_CONFIDENCE and not p.blank for p in pages
    ):
        flags.append(LOW_CONFIDENCE_FLAG)
    if not text.strip():
        flags.append(NO_TEXT)
    # Separator-free keys survive OCR's eaten slashes and inserted spaces.
    body = loose_key(text)
    number = metadata.get("result_number")
    if number and body and loose_key(str(number)) not in body:
        flags.append(NUMBER_NOT_FOUND)
    holder_id = metadata.get("holder_id_number")
    if holder_id and body and re.sub(r"\D", "", str(holder_id)) not in body:
        flags.append(HOLDER_ID_NOT_FOUND)
    if list(duplicate_of):
        flags.append(DUPLICATE_CONTENT)
    return flags
