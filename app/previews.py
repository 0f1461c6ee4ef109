"""Page previews (PNG thumbnails) rendered from a record's stored originals, cached on disk.

A page is named only by the record (its files as indexed) and a page number, never by a path
from the client. Images are read with Pillow (multi-page TIFF by frame), PDF pages are rasterised
by `pdftoppm`. The cache is keyed by the original's SHA-256, so it never goes stale: a re-scanned
file has a new hash.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from domain.settings import Settings
from indexer.extract.core import MAX_PIXELS as MAX_SOURCE_PIXELS

WIDTHS = (240, 1200)  # thumbnail and full-page view; a fixed set keeps the cache bounded
# A preview fits in a box `width` wide and MAX_ASPECT widths tall: a taller page (a crafted
# 1:100 PDF page) is drawn narrower instead of as a gigapixel image. 1200 x 3600 at most.
MAX_ASPECT = 3
PDFTOPPM_TIMEOUT_S = 60
_PAGE_SIZE = re.compile(r"^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+)", re.MULTILINE)
_PAGE_ROT = re.compile(r"^Page\s+\d+\s+rot:\s+(\d+)", re.MULTILINE)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/tiff"})
# Clockwise turns (as the OCR recorded them) as Pillow transposes (which turn anticlockwise).
_CLOCKWISE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
              270: Image.Transpose.ROTATE_90}


class PreviewError(Exception):
    """No preview for this page (no such page, a text-only file, or the original is unreadable)."""


@dataclass(frozen=True)
class PageRef:
    file_index: int
    page_index: int  # 0-based within its file
    entry: Mapping[str, Any]
    rotation: int = 0  # clockwise degrees that make the page upright (found by the OCR)


def page_count(files: Sequence[Mapping[str, Any]]) -> int:
    return sum(int(f.get("pages") or 0) for f in files if f.get("media_type") != "text/plain")


def _rotation(pages: Sequence[Mapping[str, Any]], name: Any, page_index: int) -> int:
    mine = [p for p in pages if isinstance(p, Mapping) and p.get("file") == name]
    if page_index >= len(mine):
        return 0
    turn = mine[page_index].get("rotation") or 0
    return turn % 360 if isinstance(turn, int) and turn % 90 == 0 else 0


def locate_page(record: Mapping[str, Any], number: int) -> PageRef:
    """The n-th (1-based) previewable page over all files of a record, in order."""
    if number < 1:
        raise PreviewError("page numbers start at 1")
    remaining = number
    for index, entry in enumerate(record.get("files") or []):
        if entry.get("media_type") == "text/plain":
            continue
        pages = int(entry.get("pages") or 0)
        if remaining <= pages:
            turn = _rotation(record.get("pages") or [], entry.get("name"), remaining - 1)
            return PageRef(index, remaining - 1, entry, turn)
        remaining -= pages
    raise PreviewError(f"the record has no page {number}")


def max_preview_pixels(width: int) -> int:
    return width * width * MAX_ASPECT


def _fit(image: Image.Image, width: int, rotation: int) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    if rotation in _CLOCKWISE:
        image = image.transpose(_CLOCKWISE[rotation])
    if image.mode not in ("RGB", "L"):
        # Bilevel scans scale badly as 1-bit; palette/CMYK/alpha images become plain RGB.
        image = image.convert("L" if image.mode in ("1", "I;16", "I") else "RGB")
    scale = min(width / image.width, width * MAX_ASPECT / image.height)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if image.mode == "RGB":
        # A scan has few real colours (ink, paper, seal): 256 keep it legible at a third the size.
        image = image.quantize(256, method=Image.Quantize.MEDIANCUT)
    return image


def _render_image(path: Path, ref: PageRef, width: int, target: Path) -> None:
    try:
        with Image.open(path) as image:
            if ref.page_index >= getattr(image, "n_frames", 1):
                raise PreviewError("no such page in the image")
            image.seek(ref.page_index)
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise PreviewError("the page has more pixels than a scan may have")
            image.draft("RGB", (width, width * 2))  # JPEG: decode at a reduced scale, faster
            _fit(image, width, ref.rotation).save(target, "PNG")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, EOFError) as exc:
        reason = type(exc).__name__
        raise PreviewError(f"the original cannot be read as an image: {reason}") from exc


def _poppler(command: list[str]) -> str:
    try:
        run = subprocess.run(command, check=True, capture_output=True,
                             timeout=PDFTOPPM_TIMEOUT_S)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise PreviewError(f"{command[0]} could not read the page: {type(exc).__name__}") from exc
    return run.stdout.decode("utf-8", "replace")


def pdf_page_size(path: Path, page: int) -> tuple[float, float]:
    """Width and height (points) of a 1-based PDF page as displayed (its /Rotate applied)."""
    info = _poppler(["pdfinfo", "-f", str(page), "-l", str(page), str(path)])
    size, rot = _PAGE_SIZE.search(info), _PAGE_ROT.search(info)
    if size is None or float(size[1]) <= 0 or float(size[2]) <= 0:
        raise PreviewError("the PDF page has no usable size")
    width, height = float(size[1]), float(size[2])
    return (height, width) if rot and int(rot[1]) % 180 == 90 else (width, height)


def scale_options(page_size: tuple[float, float], width: int) -> list[str]:
    """pdftoppm's scaling: `width` wide, unless that would pass MAX_ASPECT widths in height."""
    page_width, page_height = page_size
    if page_height / page_width > MAX_ASPECT:
        return ["-scale-to-x", "-1", "-scale-to-y", str(width * MAX_ASPECT)]
    return ["-scale-to-x", str(width), "-scale-to-y", "-1"]


def _render_pdf(path: Path, ref: PageRef, width: int, target: Path) -> None:
    page = str(ref.page_index + 1)
    scale = scale_options(pdf_page_size(path, ref.page_index + 1), width)
    with tempfile.TemporaryDirectory(prefix="sohoa-preview-") as tmp:
        prefix = Path(tmp) / "page"
        _poppler(["pdftoppm", "-f", page, "-l", page, "-png", *scale, "-singlefile", str(path),
                  str(prefix)])
        produced = prefix.with_suffix(".png")
        if not produced.is_file():
            raise PreviewError("pdftoppm produced no image")
        if ref.rotation:
            with Image.open(produced) as image:
                _fit(image, width, ref.rotation).save(target, "PNG")
        else:
            os.replace(produced, target)


def preview_path(settings: Settings, record: Mapping[str, Any], number: int,
                 width: int) -> Path:
    """The cached PNG of page `number` of a record (its `files` and `pages` as indexed) at
    `width` pixels, rendered on first request."""
    if width not in WIDTHS:
        raise PreviewError(f"width must be one of {WIDTHS}")
    ref = locate_page(record, number)
    sha = str(ref.entry.get("sha256") or "")
    key = str(ref.entry.get("storage_key") or "")
    if not _SHA256.match(sha) or not key:
        raise PreviewError("the file has no stored original")
    original = settings.originals_dir / key
    if not original.resolve().is_relative_to(settings.originals_dir.resolve()):
        raise PreviewError("the file has no stored original")
    name = f"{sha}-p{ref.page_index}-r{ref.rotation}-w{width}.png"
    cached = settings.data_dir / "previews" / sha[:2] / name
    if cached.is_file():
        return cached
    if not original.is_file():
        raise PreviewError("the stored original is missing")
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Render to a temporary name, then rename: a concurrent request never reads half a PNG.
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, suffix=".png")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        media_type = ref.entry.get("media_type")
        if media_type == "application/pdf":
            _render_pdf(original, ref, width, tmp)
        elif media_type in IMAGE_TYPES:
            _render_image(original, ref, width, tmp)
        else:
            raise PreviewError(f"no preview for {media_type}")
        os.replace(tmp, cached)
    finally:
        tmp.unlink(missing_ok=True)
    return cached
