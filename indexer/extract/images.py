"""Decoding scans page by page (multi-page TIFF included) without trusting their headers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from indexer.extract.model import ExtractionError

MAX_PAGES = 2000  # more frames than any real dossier: a crafted TIFF, not a scan
_EXIF_ORIENTATION = 0x0112


def _bomb(path: Path, width: int, height: int, max_pixels: int) -> ExtractionError:
    return ExtractionError(
        "decompression-bomb",
        f"{path.name} declares {width}x{height} = {width * height:,} pixels, over the limit of "
        f"{max_pixels:,}; refused before decoding",
    )


def _open(path: Path) -> Image.Image:
    try:
        # Pillow warns above its own limit and raises at twice it; our max_pixels check below is
        # the one that decides, so its warning is noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ExtractionError(
            "decompression-bomb", f"{path.name} refused before decoding, too many pixels: {exc}"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ExtractionError("corrupt-image", f"{path.name}: not a readable image") from exc
    except OSError as exc:
        raise ExtractionError("corrupt-image", f"{path.name}: cannot be opened ({exc})") from exc


def _decode(image: Image.Image, path: Path, index: int) -> None:
    where = f"{path.name} page {index + 1}"
    try:
        image.load()
    except OSError as exc:
        # Pillow reports cut-off files as "image file is truncated" / "broken data stream".
        text = str(exc).lower()
        if "truncated" in text or "broken" in text:
            raise ExtractionError(
                "truncated-image", f"{where}: the file ends before the image data does ({exc})"
            ) from exc
        raise ExtractionError("corrupt-image", f"{where}: cannot be decoded ({exc})") from exc
    except (SyntaxError, ValueError, EOFError) as exc:  # Pillow's parsers raise these too
        raise ExtractionError("corrupt-image", f"{where}: cannot be decoded ({exc})") from exc


def image_dpi(image: Image.Image) -> int | None:
    """The resolution the scanner recorded, when it is plausible."""
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 70 <= value <= 1200 else None


def iter_image_pages(path: Path, max_pixels: int) -> Iterator[Image.Image]:
    """Yield each page of an image file decoded; size is checked before any pixel is decoded."""
    with _open(path) as image:
        frames = getattr(image, "n_frames", 1)
        if frames > MAX_PAGES:
            raise ExtractionError(
                "too-large", f"{path.name} has {frames} pages, over the limit of {MAX_PAGES}"
            )
        for index in range(frames):
            try:
                image.seek(index)
            except (EOFError, OSError) as exc:
                raise ExtractionError(
                    "truncated-image", f"{path.name}: page {index + 1} of {frames} is missing"
                ) from exc
            width, height = image.size
            if width * height > max_pixels:
                raise _bomb(path, width, height, max_pixels)
            _decode(image, path, index)
            # Phone photos store their orientation in EXIF instead of rotating the pixels.
            page = image
            if image.format == "JPEG" and image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
                page = ImageOps.exif_transpose(image)
            # Frames share one decoder: hand out a copy when the caller may keep it past seek().
            yield page.copy() if frames > 1 else page
