"""PDF pages: the text layer when it is real text, converted legacy text, else render and OCR."""

from __future__ import annotations

import io
import itertools
import math
import struct
import subprocess
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTPage, LTTextBox, LTTextLine
from pdfminer.pdfcolor import PDFColorSpace
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.pdffont import PDFFont
from pdfminer.pdfinterp import PDFGraphicState, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.psexceptions import PSException
from pdfminer.utils import Matrix
from PIL import Image, UnidentifiedImageError

from indexer.extract.images import MAX_PAGES
from indexer.extract.legacy_encodings import (
    convert_legacy,
    convert_run,
    converted_confidently,
    detect_legacy_encoding,
    font_encoding,
)
from indexer.extract.model import Deadline, ExtractionError, PageText
from indexer.extract.scan import ocr_page
from indexer.extract.textcheck import is_usable_text

RENDER_DPI = 300  # what Tesseract is trained for; the baseline renders at the same resolution
_MIN_RENDER_DPI = 72
# A scanned page that carries a few words of text layer (a stamp, a scanner's header) is still
# a scan: OCR it when images cover this much of the page and the layer is this short.
_SCAN_IMAGE_SHARE = 0.5
_SHORT_LAYER_CHARS = 80
# What pdfminer raises on damaged files, besides its own exception classes.
_PARSE_ERRORS = (
    PSException,
    PDFException,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    struct.error,
    zlib.error,
    RecursionError,
)


def _open_document(handle: BinaryIO, path: Path) -> PDFDocument:
    try:
        return PDFDocument(PDFParser(handle))  # tries the empty user password
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ExtractionError(
            "encrypted-pdf",
            f"{path.name} is password-protected; cannot read it without the password",
        ) from exc
    except _PARSE_ERRORS as exc:
        raise ExtractionError("corrupt-pdf", f"{path.name} is not a readable PDF ({exc})") from exc


class _CodeKeepingAggregator(PDFPageAggregator):
    """Keeps each glyph's raw code beside its mapped text: for a legacy font the codes are the
    text (TCVN3/VNI bytes), whatever Latin letters its declared encoding maps them to (WinAnsi
    turns TCVN3's 0xAD, "ư", into a hyphen)."""

    def render_char(
        self,
        matrix: Matrix,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> float:
        advance = super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)
        # pdfminer offers no hook per glyph; the glyph just added is the container's last.
        glyph = self.cur_item._objs[-1]
        glyph.code = None if font.is_multibyte() or cid > 0xFF else cid
        # A font's own name: pdfminer's `fontname` comes from the descriptor, often missing.
        glyph.font_key = getattr(font, "basefont", None) or glyph.fontname
        return advance


Run = tuple[str | None, str, str]  # font name, raw codes as Latin-1 text, mapped text


def _line_runs(line: LTTextLine) -> list[Run]:
    """A line's glyphs as (font, raw, text), with a space where the glyphs jump backwards.

    Two text runs that overlap on the page (a letterhead column running into the next) share a
    line in pdfminer, which inserts spaces only for gaps, so "TRƯNG" + "CỘNG" would fuse.
    """
    out: list[Run] = []
    previous: LTChar | None = None
    for item in line:
        text = item.get_text()
        if isinstance(item, LTChar):
            backwards = previous is not None and item.x0 < previous.x1 - previous.width / 2
            if backwards and out and not out[-1][2].isspace():
                out.append((None, " ", " "))
            previous = item
            code = getattr(item, "code", None)
            font = getattr(item, "font_key", item.fontname)
            out.append((font, text if code is None else chr(code), text))
        else:
            out.append((None, text, text))
    return out


def _font_encodings(lines: list[list[Run]]) -> dict[str, tuple[str, bool]]:
    """Fonts of the page whose runs are legacy-encoded: by the font's name, else by content
    (all of the font's text on the page converted and checked as one)."""
    raw_by_font: dict[str, list[str]] = {}
    for runs in lines:
        last: str | None = None
        for font, raw, _ in runs:
            # Spaces pdfminer inserts belong to no font: they split the words of the last one.
            last = font or last
            if last is not None:
                raw_by_font.setdefault(last, []).append(raw if font else " ")
        if last is not None:
            raw_by_font[last].append(" ")
    found: dict[str, tuple[str, bool]] = {}
    for font, parts in raw_by_font.items():
        encoding, capitals = font_encoding(font)
        encoding = encoding or detect_legacy_encoding("".join(parts))
        if encoding:
            found[font] = (encoding, capitals)
    return found


def _join_runs(runs: list[Run], encodings: dict[str, tuple[str, bool]]) -> str:
    """A line's text, each same-font stretch of a legacy font converted as one run (VNI puts
    a letter's marks in the bytes after it)."""
    out: list[str] = []
    for font, group in itertools.groupby(runs, key=lambda run: run[0]):
        items = list(group)
        if font in encodings:
            encoding, capitals = encodings[font]
            out.append(convert_run("".join(raw for _, raw, _ in items), encoding, capitals))
        else:
            out.append("".join(text for _, _, text in items))
    return "".join(out).strip()


@dataclass(frozen=True)
class _Layer:
    text: str
    image_share: float  # share of the page that images cover
    legacy: bool  # some of the text was converted from a legacy font encoding


def _page_text(layout: LTPage) -> _Layer:
    """The text layer of a laid-out page, legacy-encoded fonts converted."""
    boxes: list[list[list[Run]]] = []
    image_area = 0.0

    def walk(items: LTPage | LTFigure) -> None:
        nonlocal image_area
        for item in items:
            if isinstance(item, LTTextBox):
                boxes.append([_line_runs(line) for line in item])
            elif isinstance(item, LTImage):
                image_area += item.width * item.height
            elif isinstance(item, LTFigure):
                walk(item)

    walk(layout)
    encodings = _font_encodings([line for box in boxes for line in box])
    parts = ["\n".join(_join_runs(line, encodings) for line in box) for box in boxes]
    page_area = max(layout.width * layout.height, 1.0)
    text = unicodedata.normalize("NFC", "\n".join(p.strip("\n") for p in parts)).strip()
    return _Layer(text, min(image_area / page_area, 1.0), bool(encodings))


def _layouts(document: PDFDocument, path: Path) -> Iterator[tuple[PDFPage, LTPage]]:
    resources = PDFResourceManager(caching=True)
    device = _CodeKeepingAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    number = 0
    try:
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if number > MAX_PAGES:
                raise ExtractionError("too-large", f"{path.name} has more than {MAX_PAGES} pages")
            interpreter.process_page(page)
            yield page, device.get_result()
    except _PARSE_ERRORS as exc:
        raise ExtractionError(
            "corrupt-pdf", f"{path.name} page {number + 1}: cannot be parsed ({exc})"
        ) from exc


def _render_dpi(page: PDFPage, max_pixels: int, where: str) -> int:
    """RENDER_DPI, lowered for oversized pages so the bitmap stays under `max_pixels`."""
    try:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    except (TypeError, ValueError) as exc:
        raise ExtractionError("corrupt-pdf", f"{where}: page has no usable size") from exc
    area_in2 = abs(x1 - x0) * abs(y1 - y0) / 72**2
    dpi = min(RENDER_DPI, math.floor(math.sqrt(max_pixels / area_in2))) if area_in2 else RENDER_DPI
    if dpi < _MIN_RENDER_DPI:
        raise ExtractionError(
            "too-large", f"{where}: page is {area_in2:,.0f} square inches, too big to render"
        )
    return dpi


def render_page(path: Path, number: int, dpi: int, deadline: Deadline) -> Image.Image:
    """Page `number` rendered by pdftoppm in colour (the red seal is removed later)."""
    where = f"{path.name} page {number}"
    command = ["pdftoppm", "-f", str(number), "-l", str(number), "-r", str(dpi), str(path)]
    try:
        run = subprocess.run(
            command, capture_output=True, timeout=deadline.remaining(), check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("ocr-timeout", f"{where}: rendering took too long") from exc
    except FileNotFoundError as exc:
        raise ExtractionError(
            "ocr-unavailable", "pdftoppm (poppler-utils) is not installed"
        ) from exc
    if run.returncode != 0 or not run.stdout:
        detail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExtractionError("render-failed", f"{where}: pdftoppm failed ({detail[0]})")
    try:
        image = Image.open(io.BytesIO(run.stdout))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ExtractionError("render-failed", f"{where}: unreadable render ({exc})") from exc
    return image


def check_pdf(path: Path) -> int:
    """Open the PDF and walk its page tree, without laying out or rendering anything: what
    `extract_pdf` would refuse up front (encrypted, unparseable, no pages, too many pages) is
    refused here too. Returns the page count."""
    count = 0
    with path.open("rb") as handle:
        document = _open_document(handle, path)
        try:
            for count, _page in enumerate(PDFPage.create_pages(document), start=1):
                if count > MAX_PAGES:
                    raise ExtractionError(
                        "too-large", f"{path.name} has more than {MAX_PAGES} pages")
        except _PARSE_ERRORS as exc:
            raise ExtractionError(
                "corrupt-pdf", f"{path.name} page {count + 1}: cannot be parsed ({exc})"
            ) from exc
    if not count:
        raise ExtractionError("corrupt-pdf", f"{path.name} has no pages")
    return count


def extract_pdf(path: Path, *, deadline: Deadline, max_pixels: int) -> list[PageText]:
    pages: list[PageText] = []
    with path.open("rb") as handle:
        document = _open_document(handle, path)
        for number, (page, layout) in enumerate(_layouts(document, path), start=1):
            layer = _page_text(layout)
            text = layer.text
            converted, encoding = (text, "font") if layer.legacy else convert_legacy(text)
            scan_with_stamp = (
                layer.image_share >= _SCAN_IMAGE_SHARE and len(text) < _SHORT_LAYER_CHARS
            )
            # A legacy page that still does not read as Vietnamese after conversion is OCR'd.
            if encoding and not scan_with_stamp and converted_confidently(converted):
                pages.append(PageText(number, converted, None, "pdf-legacy-converted"))
            elif not encoding and is_usable_text(text) and not scan_with_stamp:
                pages.append(PageText(number, text, None, "pdf-text"))
            else:
                where = f"{path.name} page {number}"
                dpi = _render_dpi(page, max_pixels, where)
                image = render_page(path, number, dpi, deadline)
                pages.append(ocr_page(image, number, dpi=dpi, deadline=deadline, what=where))
    if not pages:
        raise ExtractionError("corrupt-pdf", f"{path.name} has no pages")
    return pages
