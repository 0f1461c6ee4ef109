"""Is a file one the worker can read? Answered at intake, before anything is stored or queued.

Runs the extraction's own checks (magic bytes, size, text encoding, PDF structure, image
headers, pixel bombs, truncated image data) without OCR, so a file the worker would refuse is
refused while the client is still waiting for the answer. The worker keeps its checks.
"""

from __future__ import annotations

from pathlib import Path

from indexer.extract.core import MAX_PIXELS
from indexer.extract.images import iter_image_pages
from indexer.extract.media import DEFAULT_MAX_BYTES, check_file
from indexer.extract.pdf import check_pdf
from indexer.extract.textfile import extract_text_file


def check_readable(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                   max_pixels: int = MAX_PIXELS) -> str:
    """The file's media type; raises ExtractionError (with its code) for a file to refuse."""
    media_type = check_file(path, max_bytes)
    if media_type == "text/plain":
        extract_text_file(path)  # undecodable text is refused, as the worker would
    elif media_type == "application/pdf":
        check_pdf(path)
    else:
        # Every page is decoded once (sizes are checked before): only decoding finds a
        # truncated scan. One page at a time, so memory stays at one page's bitmap.
        for _page in iter_image_pages(path, max_pixels):
            pass
    return media_type
