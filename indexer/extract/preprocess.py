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

LIGHT_THRESHOLD = 140  # grey levels at or above this become paper white
# Share of dark pixels (at 1/4 scale) under which a page counts as blank. The emptiest real
# page in the sample (a second page with only a few lines) has 0.4 %, a scanned blank 0 %.
BLANK_INK_SHARE = 0.0005
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


def is_blank(grey: Image.Image) -> bool:
    """Near-blank page: almost no dark pixels once small specks are averaged away."""
    small = grey.convert("L") if grey.mode == "1" else grey
    # A 4x4 box average turns an isolated speck of dust light grey, while text strokes stay dark.
    small = small.reduce(4) if min(small.size) >= 400 else small
    dark = np.count_nonzero(np.asarray(small) < 128)
    return dark < BLANK_INK_SHARE * small.width * small.height


def rotate(image: Image.Image, clockwise: int) -> Image.Image:
    """Rotate clockwise by a multiple of 90 degrees (lossless transpose)."""
    return image.transpose(_CLOCKWISE[clockwise % 360]) if clockwise % 360 else image
