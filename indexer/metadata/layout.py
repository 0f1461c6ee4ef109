"""Lines of a document as the extraction rules see them.

OCR of a two-column header or signature block puts both columns on one line ("UBND QUẬN X
CỘNG HÒA XÃ HỘI ..."), so the national motto is cut out wherever it sits and what is left on
either side is kept as separate segments. Every segment keeps its accented text and a folded
lower-case twin of the same length (fold_diacritics maps one character to one), so a rule can
match on the folded form and slice the accented one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.text.vietnamese import fold_diacritics, normalize_text

_MOTTO = re.compile(
    r"c[o0]ng\s*h[o0]a\s*x[a4]\s*h[o0]i\s*ch[u]\s*ngh[i1l]a\s*v[i1l][e3]t\s*nam"
    r"|d[o0]c\s*l[a4]p\s*[-–—~.,]*\s*t[u]\s*d[o0]\s*[-–—~.,]*\s*h[a4]nh\s*ph[u]c",
)
# Column gaps OCR leaves: a pipe, an underscore, or a run of spaces.
_COLUMN_GAP = re.compile(r"\s+[|_]+\s+|\s{3,}")
_TRIM = " \t|_~–—`'\""


@dataclass(frozen=True)
class Segment:
    text: str  # accented, NFC, one tone placement
    folded: str  # fold_diacritics(text).lower(), same length
    line: int  # index of the physical line
    page: int


def _segments_of(raw: str, line: int, page: int) -> list[Segment]:
    text = normalize_text(raw).replace("\t", " ")
    folded = fold_diacritics(text).lower()
    pieces: list[tuple[int, int]] = []
    start = 0
    for m in _MOTTO.finditer(folded):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    out = []
    for lo, hi in pieces:
        part = text[lo:hi]
        for chunk in _COLUMN_GAP.split(part):
            cleaned = chunk.strip(_TRIM)
            if cleaned and not _is_noise(cleaned):
                out.append(Segment(cleaned, fold_diacritics(cleaned).lower(), line, page))
    return out


def _is_noise(text: str) -> bool:
    letters = sum(ch.isalnum() for ch in text)
    return letters < 2


def document_segments(text: str) -> list[Segment]:
    """Every non-empty segment in reading order; pages split on form feeds."""
    segments: list[Segment] = []
    line_no = 0
    for page_no, page in enumerate(text.split("\f"), start=1):
        for raw in page.splitlines():
            segments.extend(_segments_of(raw, line_no, page_no))
            line_no += 1
    return segments


def is_upper_line(text: str) -> bool:
    """Printed in capitals (titles, agency lines, signer titles): most letters upper case."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 3:
        return False
    return sum(ch.isupper() for ch in letters) / len(letters) >= 0.85


def title_case(text: str) -> str:
    """`PHAN ĐÌNH TOÀN` -> `Phan Đình Toàn` (each word capitalised, the rest lower)."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())


def sentence_case(text: str) -> str:
    """`GIẤY PHÉP XÂY DỰNG` -> `Giấy phép xây dựng`."""
    lowered = " ".join(text.split()).lower()
    return lowered[:1].upper() + lowered[1:]
