"""Decoding scans page by page (multi-page TIFF included) without trusting their headers."""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from indexer.extract.model import ExtractionError

MAX_PAGES = 2000  # more frames than any real dossier: a crafted TIFF, not a scan
_EXIF_ORIENTATION = 0x0112
# What Pillow's format parsers raise on damaged files (a TIFF without dimensions: TypeError).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    struct.error,
    zlib.error,
)
_CUT_OFF_HINTS = ("truncated", "broken", "eof", "not enough data", "expecting to read")


@contextmanager
def _decoding(where: str) -> Iterator[None]:
    """Map whatever Pillow raises while parsing `where` to truncated-image or corrupt-image."""
    try:
        # Pillow warns about corrupt EXIF and about sizes over its own limit; the errors below
        # and our own max_pixels check are what decides.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except Image.DecompressionBombError as exc:  # Pillow's limit, hit before ours can apply
        raise ExtractionError(
            "decompression-bomb", f"{where} refused before decoding, too many pixels: {exc}"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ExtractionError("corrupt-image", f"{where}: not a readable image") from exc
    except _DECODE_ERRORS as exc:
        text = f"{type(exc).__name__} {exc}".lower()
        if isinstance(exc, EOFError) or any(hint in text for hint in _CUT_OFF_HINTS):
            raise ExtractionError(
                "truncated-image", f"{where}: the file ends before the image data does ({exc})"
            ) from exc
        raise ExtractionError("corrupt-image", f"{where}: cannot be decoded ({exc})") from exc


def image_dpi(image: Image.Image) -> int | None:
    """The resolution the scanner recorded, when it is plausible."""
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 70 <= value <= 1200 else None


def _upright(image: Image.Image) -> Image.Image:
    # Phone photos store their orientation in EXIF instead of rotating the pixels.
    if image.format == "JPEG" and image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return ImageOps.exif_transpose(image)
    return image


def iter_image_pages(path: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Yield each page of an image file decoded; size is checked before any pixel is decoded."""
    with _decoding(path.name):
        image = Image.open(path)
    with image:
        with _decoding(path.name):
            frames = getattr(image, "n_frames", 1)  # walks a TIFF's page chain
        if frames > MAX_PAGES:
            raise ExtractionError(
                "too-large", f"{path.name} has {frames} pages, over the limit of {MAX_PAGES}"
            )
        for index in range(frames):
            where = f"{path.name} page {index + 1}"
            with _decoding(where):
                image.seek(index)
            width, height = image.size
            if width * height > max_pixels:
                raise ExtractionError(
                    "decompression-bomb",
                    f"{where} declares {width}x{height} = {width * height:,} pixels, over the "
                    f"limit of {max_pixels:,}; refused before decoding",
                )
            with _decoding(where):
                image.load()
                page = _upright(image)
            # Frames share one decoder: hand out a copy when the caller may keep it past seek().
            yield page.copy() if frames > 1 else page
