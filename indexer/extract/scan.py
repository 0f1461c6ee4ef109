"""One scanned page to text: clean up, skip blanks, OCR, and turn the page only when needed."""

from __future__ import annotations

import unicodedata

from PIL import Image

from indexer.extract import preprocess
from indexer.extract.model import Deadline, PageText
from indexer.extract.ocr import OcrResult, detect_rotation, recognise

# A first pass this poor suggests a page fed in sideways or upside down. Upright pages of the
# sample score 91-96 after clean-up, the sideways scan about 45. So orientation detection runs
# on few pages (none of the sample's 56), and a second OCR only when OSD says "turn".
RETRY_BELOW_CONFIDENCE = 65.0
_MIN_WORDS = 5


def _poor(result: OcrResult) -> bool:
    return result.words < _MIN_WORDS or (result.confidence or 0.0) < RETRY_BELOW_CONFIDENCE


def _better(first: OcrResult, second: OcrResult) -> bool:
    # Confidence alone would prefer a turned page that yields three sure words over a whole page.
    def score(r: OcrResult) -> float:
        return (r.confidence or 0.0) * r.words

    return score(second) > score(first)


def ocr_page(
    image: Image.Image, number: int, *, dpi: int | None, deadline: Deadline, what: str
) -> PageText:
    """PageText of one page image (any mode); `what` names the page in errors."""
    grey = preprocess.to_ocr_grey(image)
    if preprocess.is_blank(grey):
        return PageText(number=number, text="", confidence=None, method="ocr", blank=True)
    grey = preprocess.whiten_light(grey)
    result, rotation = recognise(grey, dpi=dpi, deadline=deadline, what=what), 0
    if _poor(result):
        turn = detect_rotation(grey, dpi=dpi, deadline=deadline, what=what)
        if turn:
            second = recognise(preprocess.rotate(grey, turn), dpi=dpi, deadline=deadline, what=what)
            if _better(result, second):
                result, rotation = second, turn
    text = unicodedata.normalize("NFC", result.text)
    return PageText(
        number=number,
        text=text,
        confidence=result.confidence,
        method="ocr",
        rotation=rotation,
        blank=not text,
    )
