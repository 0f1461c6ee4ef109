"""One page image to text: flatbed scan or phone photo, never read worse than needed.

- A photo (the page lies on a visibly darker desk) is cropped, flattened to an upright
  rectangle at 300 dpi and its light evened out; two clean-ups are read, and so is the photo
  exactly as it came (what bare Tesseract would read); Tesseract's own confidence picks one,
  so a clean-up that went wrong never costs text bare Tesseract reads.
- A scan keeps the measured cheap path (red channel, light grey to white); only a scan with
  uneven light (a dark gradient, a shadow at the fold) is normalised first, so no threshold
  falls on the darker half.
- Blank pages are decided on ink after illumination normalisation, and confirmed by OCR.
- A first reading that is poor (few words, low confidence) gets a second chance: the page
  turned (orientation detection), or without the light-pixel clean-up; the better one is kept.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageFilter

from indexer.extract import capture, preprocess
from indexer.extract.model import Deadline, PageText
from indexer.extract.ocr import OcrResult, detect_rotation, recognise
from indexer.extract.syllables import correct_syllables

# A first pass this poor suggests a page fed in sideways or upside down. Upright pages of the
# sample score 91-96 after clean-up, the sideways scan about 45. So orientation detection runs
# on few pages (none of the sample's 56), and a second OCR only when OSD says "turn".
RETRY_BELOW_CONFIDENCE = 65.0
_MIN_WORDS = 5
_MIN_TRUSTED = 0.5  # less than one confident word: nothing Tesseract vouches for


@dataclass(frozen=True)
class _Reading:
    result: OcrResult
    image: Image.Image  # what was read (for turning it if needed)
    dpi: int | None
    rotation: int = 0


def _poor(result: OcrResult) -> bool:
    return result.words < _MIN_WORDS or (result.confidence or 0.0) < RETRY_BELOW_CONFIDENCE


def _better(first: OcrResult, second: OcrResult) -> bool:
    # Confidence alone would prefer a turned page that yields three sure words over a whole
    # page; the sum of confidences of real words weighs both.
    return second.trusted > first.trusted


def _best(readings: list[_Reading]) -> _Reading:
    best = readings[0]
    for reading in readings[1:]:
        if _better(best.result, reading.result):
            best = reading
    return best


class _Reader:
    """Tesseract calls for one page, sharing its deadline and its name in errors."""

    def __init__(self, deadline: Deadline, what: str) -> None:
        self.deadline, self.what = deadline, what

    def read(self, image: Image.Image, dpi: int | None) -> _Reading:
        result = recognise(image, dpi=dpi, deadline=self.deadline, what=self.what)
        return _Reading(result, image, dpi)

    def turned(self, reading: _Reading) -> _Reading:
        """`reading`, or the page turned when OSD says so and that reads better."""
        turn = detect_rotation(
            reading.image, dpi=reading.dpi, deadline=self.deadline, what=self.what
        )
        if not turn:
            return reading
        second = self.read(preprocess.rotate(reading.image, turn), reading.dpi)
        return (
            _Reading(second.result, second.image, second.dpi, turn)
            if _better(reading.result, second.result)
            else reading
        )


def photo_variants(normalised: Image.Image) -> list[Image.Image]:
    """The clean-ups of a flattened, evenly lit photo worth reading, most often best first:
    sharpened (soft focus) with everything lighter than the page's own ink/paper cut (Otsu)
    made white, which also drops a grey seal; and the sharpened grey as it is."""
    sharp = normalised.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2))
    return [capture.whiten_above(sharp, capture.otsu_level(sharp)), sharp]


def _read_photo(grey: Image.Image, quad: capture.Quad, original: Image.Image, dpi: int | None,
                reader: _Reader) -> _Reading:
    normalised = capture.normalise_illumination(capture.rectify(grey, quad))
    readings = [reader.read(v, capture.TARGET_DPI) for v in photo_variants(normalised)]
    # The photo as it came always competes (measured on the photo set: with it, no photo read
    # fewer words than bare Tesseract; without it two did, by one or two words in 170).
    readings.append(reader.read(preprocess.as_taken(original), dpi))
    return _best(readings)


def _read_scan(grey: Image.Image, dpi: int | None, reader: _Reader) -> _Reading:
    bg = capture.background(grey) if grey.mode == "L" else None
    if bg is not None and capture.unevenness(bg) > capture.UNEVEN_LIGHT:
        grey = capture.normalise_illumination(grey, bg)
    reading = reader.read(preprocess.whiten_light(grey), dpi)
    if _poor(reading.result) and grey.mode == "L":
        # Whitening can erase faint print; keep whichever reading Tesseract trusts more.
        reading = _best([reading, reader.read(grey, dpi)])
    return reading


def ocr_page(
    image: Image.Image, number: int, *, dpi: int | None, deadline: Deadline, what: str
) -> PageText:
    """PageText of one page image (any mode); `what` names the page in errors."""
    grey = preprocess.to_ocr_grey(image)
    ink = preprocess.ink_share(grey)
    if ink == 0.0:
        return PageText(number=number, text="", confidence=None, method="ocr", blank=True)
    reader = _Reader(deadline, what)
    quad = capture.find_page(grey) if grey.mode == "L" else None
    reading = (
        _read_photo(grey, quad, image, dpi, reader) if quad else _read_scan(grey, dpi, reader)
    )
    if _poor(reading.result):
        reading = reader.turned(reading)
    result = reading.result
    if ink < preprocess.BLANK_INK_SHARE and result.trusted < _MIN_TRUSTED:
        # Little ink, and OCR confirms there is no text on it.
        return PageText(number=number, text="", confidence=None, method="ocr", blank=True)
    # Impossible syllables repaired from the page's own spellings (measured: +0.001 recall on
    # the sample's scans, see docs/ocr.md).
    text = correct_syllables(unicodedata.normalize("NFC", result.text))
    return PageText(
        number=number,
        text=text,
        confidence=result.confidence,
        method="ocr",
        rotation=reading.rotation,
        blank=not text,
    )
