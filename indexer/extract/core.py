"""extract_file: route a file by its real media type to the reader for that type."""

from __future__ import annotations

from pathlib import Path

from indexer.extract.images import image_dpi, iter_image_pages
from indexer.extract.media import DEFAULT_MAX_BYTES, check_file
from indexer.extract.model import Deadline, PageText
from indexer.extract.pdf import extract_pdf
from indexer.extract.scan import ocr_page
from indexer.extract.textfile import extract_text_file

MAX_PIXELS = 80_000_000  # one page's bitmap, checked before decoding


def _extract_image(path: Path, deadline: Deadline, max_pixels: int) -> list[PageText]:
    return [
        ocr_page(
            page, number, dpi=image_dpi(page), deadline=deadline, what=f"{path.name} page {number}"
        )
        for number, page in enumerate(iter_image_pages(path, max_pixels), start=1)
    ]


def extract_file(
    path: Path,
    *,
    timeout_s: int = 300,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[PageText]:
    """Text of every page of `path`; raises ExtractionError (with a code) for any bad input.

    `timeout_s` bounds the whole file (all Tesseract and pdftoppm calls together);
    `max_pixels` bounds one page's bitmap, checked before decoding.
    """
    path = Path(path)
    media_type = check_file(path, max_bytes)
    deadline = Deadline(timeout_s, path.name)
    if media_type == "text/plain":
        return extract_text_file(path)
    if media_type == "application/pdf":
        return extract_pdf(path, deadline=deadline, max_pixels=max_pixels)
    return _extract_image(path, deadline, max_pixels)
