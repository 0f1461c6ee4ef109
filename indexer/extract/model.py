"""The values the extraction layer hands to the pipeline: pages of text, or one specific error."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class PageText:
    number: int  # 1-based page number within the file
    text: str  # Unicode NFC text of the page ('' if blank)
    confidence: float | None  # Tesseract mean word confidence 0..100; None for text layers/.txt
    method: str  # "ocr" | "pdf-text" | "txt" | "pdf-legacy-converted"
    rotation: int = 0  # degrees the page was turned clockwise before OCR (0/90/180/270)
    blank: bool = False  # near-blank page (no ink / no text)


class ExtractionError(Exception):
    """A file that cannot be turned into text, with a stable `code` and a sentence for humans.

    Codes: empty-file, missing-file, unreadable-file, unsupported-type, content-mismatch,
    too-large, truncated-image, corrupt-image, decompression-bomb, encrypted-pdf, corrupt-pdf,
    render-failed, bad-encoding, ocr-timeout, ocr-failed, ocr-unavailable.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ExtractionError], tuple[str, str]]:
        # Celery pickles exceptions; the default reduce would pass only the joined string.
        return (type(self), (self.code, self.message))


class Deadline:
    """One time budget for a whole file, so a 200-page scan cannot run `pages x timeout`."""

    def __init__(self, seconds: float, what: str) -> None:
        self._end = time.monotonic() + seconds
        self._what = what

    def remaining(self) -> float:
        """Seconds left for the next subprocess; raises ocr-timeout once the budget is spent."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise ExtractionError("ocr-timeout", f"{self._what}: extraction ran out of time")
        return left
