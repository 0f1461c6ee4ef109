"""PDFs whose text layer is in a legacy Vietnamese font encoding, as old office PCs made them.

The text is encoded the way the ".Vn" (TCVN3/ABC) and "VNI-" fonts expect, and the fonts are
declared as such documents declare them: a TrueType font by its legacy name with the Windows
code page (WinAnsiEncoding), so a reader maps the bytes to Latin letters (0xAD, TCVN3's "ư",
becomes a hyphen, 0x80-0x9F become typographic signs). TCVN3 has no code for capitals with a
tone mark: typists used the capitals font (".VnTimeH") with the lower-case codes, as here.
"""

from __future__ import annotations

import unicodedata

from indexer.evaluation.minimal_pdf import assemble_pdf
from indexer.extract.legacy_encodings import TCVN3_HIGH, VNI_LETTERS, VNI_MARKS

_TCVN3_CODES = {ch: 0xA1 + i for i, ch in enumerate(TCVN3_HIGH) if not unicodedata.combining(ch)}
_VNI_LETTER_CODES = {v: k for k, v in VNI_LETTERS.items()}
_VNI_MARK_CODES = {(v, k.isupper()): k for k, v in VNI_MARKS.items()}
_FONT_SIZE = 11
_LEADING = 14
_TOP = 800
_BOTTOM = 50
_LINES_PER_PAGE = (_TOP - _BOTTOM) // _LEADING


def tcvn3_bytes(text: str) -> tuple[bytes, bool]:
    """TCVN3 bytes of `text`, and whether it needs the capitals font (an accented capital)."""
    out, capitals = bytearray(), False
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ord(ch))
        elif ch in _TCVN3_CODES:
            out.append(_TCVN3_CODES[ch])
        elif ch.lower() in _TCVN3_CODES:
            out.append(_TCVN3_CODES[ch.lower()])
            capitals = True
        else:
            out += b"?"
    return bytes(out), capitals


def _vni_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if ch in _VNI_LETTER_CODES:
        return _VNI_LETTER_CODES[ch]
    base, *marks = unicodedata.normalize("NFD", ch)
    letter = base
    if "\u031b" in marks:  # horn: ơ/ư are letters of their own in VNI
        letter = _VNI_LETTER_CODES[unicodedata.normalize("NFC", base + "\u031b")]
        marks.remove("\u031b")
    if base in "dD" and not marks:
        return letter
    # NFD puts a dot below before a circumflex; VNI's mark bytes are vowel mark, then tone.
    mark = "".join(sorted(marks, key=lambda m: m not in "\u0302\u0306"))
    if not mark:
        return letter
    return letter + _VNI_MARK_CODES.get((mark, base.isupper()), "?")


def vni_bytes(text: str) -> bytes:
    out = "".join(_vni_char(ch) for ch in unicodedata.normalize("NFC", text))
    return out.encode("latin-1", errors="replace")


def _literal(raw: bytes) -> bytes:
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _descriptor(name: bytes) -> bytes:
    return (
        b"<< /Type /FontDescriptor /FontName /" + name + b" /Flags 34 "
        b"/FontBBox [-200 -250 1100 950] /ItalicAngle 0 /Ascent 900 /Descent -250 "
        b"/CapHeight 700 /StemV 80 >>"
    )


def _font(name: bytes, descriptor: int) -> bytes:
    widths = b" ".join(b"500" for _ in range(32, 256))
    return (
        b"<< /Type /Font /Subtype /TrueType /BaseFont /"
        + name
        + b" /FirstChar 32 /LastChar 255 /Widths ["
        + widths
        + b"] /Encoding /WinAnsiEncoding /FontDescriptor %d 0 R >>" % descriptor
    )


def _content(lines: list[str], encoding: str) -> bytes:
    parts = [b"BT %d TL 50 %d Td" % (_LEADING, _TOP)]
    for line in lines:
        if encoding == "tcvn3":
            raw, capitals = tcvn3_bytes(line)
            parts.append(b"/F%d %d Tf " % (2 if capitals else 1, _FONT_SIZE) + _literal(raw))
        else:
            parts.append(b"/F1 %d Tf " % _FONT_SIZE + _literal(vni_bytes(line)))
        parts.append(b"Tj T*")
    parts.append(b"ET")
    return b" ".join(parts)


def legacy_pdf(pages: list[str], encoding: str) -> bytes:
    """A PDF of `pages` (text, lines split by newlines) in `encoding` ("tcvn3" or "vni")."""
    names = (b".VnTime", b".VnTimeH") if encoding == "tcvn3" else (b"VNI-Times", b"VNI-Times")
    chunks = []
    for page in pages:
        lines = page.splitlines()
        for start in range(0, max(1, len(lines)), _LINES_PER_PAGE):
            chunks.append(lines[start : start + _LINES_PER_PAGE])
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        _font(names[0], 5),
        _font(names[1], 6),
        _descriptor(names[0]),
        _descriptor(names[1]),
    ]
    kids = []
    for chunk in chunks:
        content = _content(chunk, encoding)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
            b"<< /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    return assemble_pdf(objects)
