"""Cheap image clean-up before OCR; each step kept only because it measured better on the sample.

Measured on ../shared/corpus/sample (56 scan pages), word recall vs plain Tesseract's 0.9792:
- red channel as grey (seal suppression): 0.9867 — a red seal is bright in the red channel
  while black text stays dark; a blue signature stays too, but it is no text anyway.
- then pixels lighter than 140 become white: 0.9900 (threshold 160: 0.9876, 120: 0.9863) —
  grey seals on grey scans and the paper texture go, which also lets Tesseract's page layout
  separate the signature block, and makes OCR cheaper.
Tried and dropped (no gain, or worse, for their cost): deskew by projection profile (0.9892;
skews here are <= 1.5 degrees, which Tesseract's line finder absorbs), 3x3 median (0.9848),
upscaling 200-dpi scans to 300 dpi (0.9900, slower OCR), a character blacklist (no change),
the brightest channel instead of red (0.9902: noise, and it would erase blue printed text)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from indexer.extract import capture

LIGHT_THRESHOLD = 140  # grey levels at or above this become paper white
# Share of dark pixels (at 1/4 scale) under which a page counts as blank. The emptiest real
# page in the sample (a second page with only a few lines) has 0.4 %, a scanned blank 0 %.
BLANK_INK_SHARE = 0.0005
_INK_LEVEL = 160  # normalised grey (paper = 255) darker than this is ink
_WHITEN_LUT = [v if v < LIGHT_THRESHOLD else 255 for v in range(256)]
# Clockwise degrees (Tesseract's and PDF's convention) -> PIL's counter-clockwise transposes.
_CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Transparent areas onto white paper (as is, they would turn black)."""
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(paper, rgba).convert("RGB")


def as_taken(image: Image.Image) -> Image.Image:
    """The page as it came, in a mode Tesseract reads the way it reads the file itself."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        return _flatten_alpha(image)
    return to_ocr_grey(image) if image.mode.startswith("I") else image.convert("RGB")


def to_ocr_grey(image: Image.Image) -> Image.Image:
    """One channel for OCR: bilevel stays bilevel, colour becomes its red channel."""
    if image.mode in ("1", "L"):
        return image
    if image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        image = _flatten_alpha(image)
    if image.mode.startswith("I"):  # 16/32-bit grey: keep the high byte
        wide = np.asarray(image, dtype=np.uint32)
        return Image.fromarray((wide >> (8 if wide.max() < 65536 else 24)).astype(np.uint8))
    if image.mode != "RGB":
        image = image.convert("RGB")  # CMYK, YCbCr, palette
    return image.getchannel("R")


def whiten_light(grey: Image.Image) -> Image.Image:
    """Light grey (seal, paper texture, scanner haze) to white; dark strokes unchanged."""
    return grey.point(_WHITEN_LUT) if grey.mode == "L" else grey


def ink_share(grey: Image.Image) -> float:
    """Share of clearly dark pixels on the page, measured after illumination normalisation (a
    photo lit from one side has no pixel under a fixed cut, yet plenty of text) and once
    small specks are averaged away (4x4 box: an isolated speck of dust turns light grey)."""
    small = grey.convert("L") if grey.mode != "L" else grey
    small = small.reduce(4) if min(small.size) >= 400 else small
    values = np.asarray(capture.normalise_illumination(small))
    return float(np.count_nonzero(values < _INK_LEVEL)) / max(1, values.size)


def is_blank(grey: Image.Image) -> bool:
    """Near-blank page: almost no ink (a page with less may still be confirmed by OCR)."""
    return ink_share(grey) < BLANK_INK_SHARE


def rotate(image: Image.Image, clockwise: int) -> Image.Image:
    """Rotate clockwise by a multiple of 90 degrees (lossless transpose)."""
    return image.transpose(_CLOCKWISE[clockwise % 360]) if clockwise % 360 else image
