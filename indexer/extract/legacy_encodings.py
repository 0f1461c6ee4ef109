"""Vietnamese text in the pre-Unicode font encodings still found in PDFs: TCVN3 (ABC) and VNI.

Such a PDF's text layer decodes as Latin-1 nonsense ("Céng hoµ x· héi chñ nghÜa ViÖt Nam",
"Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"). Detection converts the text both ways and keeps a
conversion only when it turns mostly non-words into mostly Vietnamese syllables.
"""

from __future__ import annotations

import re
import unicodedata

from indexer.extract.textcheck import syllable_share, tokens

# TCVN 5712 (VN3, the ".Vn" fonts): the characters for bytes 0xA1..0xFF in order. 0xB0..0xB4
# are combining tone marks, composed by NFC afterwards. Generated from glibc's TCVN5712-1.
_TCVN3_HIGH = (
    "ĂÂÊÔƠƯĐăâêôơưđẰ\u0300"
    "\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴẮ"
    "ẦẨẪẤỀặầẩẫấậèỂẻẽé"
    "ẹềểễếệìỉỄẾỒĩíịòỔ"
    "ỏõóọồổỗốộờởỡớợùỖ"
    "ủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3 = str.maketrans({chr(0xA1 + i): ch for i, ch in enumerate(_TCVN3_HIGH)})
TCVN3_HIGH = _TCVN3_HIGH

# VNI Windows: a vowel followed by one mark byte; a few letters have a byte of their own.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
_TONES = (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)
_VNI_MARKS = {
    "ù": _ACUTE,
    "ø": _GRAVE,
    "û": _HOOK,
    "õ": _TILDE,
    "ï": _DOT,
    "â": _CIRCUMFLEX,
    "á": _CIRCUMFLEX + _ACUTE,
    "à": _CIRCUMFLEX + _GRAVE,
    "å": _CIRCUMFLEX + _HOOK,
    "ã": _CIRCUMFLEX + _TILDE,
    "ä": _CIRCUMFLEX + _DOT,
    "ê": _BREVE,
    "é": _BREVE + _ACUTE,
    "è": _BREVE + _GRAVE,
    "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT,
}
_VNI_MARKS |= {k.upper(): v for k, v in _VNI_MARKS.items()}
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_LETTERS |= {k.upper(): v.upper() for k, v in _VNI_LETTERS.items()}
VNI_MARKS, VNI_LETTERS = _VNI_MARKS, _VNI_LETTERS
_TONE_BASES = set("aeiouyAEIOUY")
_HAT_BASES = set("aeoAEO")  # circumflex: â ê ô
_BREVE_BASES = set("aA")  # ă

MIN_SHARE = 0.75  # converted text: at least this share of its odd words are syllables
MIN_GAIN = 0.25  # and that much more than before conversion
_MIN_WORDS = 3


def tcvn3_to_unicode(text: str) -> str:
    return unicodedata.normalize("NFC", text.translate(_TCVN3))


def _accepts(previous: str, marks: str) -> bool:
    """Can the letter `previous` (NFD) carry `marks`? A hat or breve only on a bare vowel."""
    base, has = previous[0], previous[1:]
    if _BREVE in marks:
        return base in _BREVE_BASES and not has
    if _CIRCUMFLEX in marks:
        return base in _HAT_BASES and not has
    return base in _TONE_BASES and not any(m in has for m in _TONES)


def vni_to_unicode(text: str) -> str:
    out: list[str] = []
    for ch in text:
        marks = _VNI_MARKS.get(ch)
        if marks and out and _accepts(previous := unicodedata.normalize("NFD", out[-1]), marks):
            out[-1] = unicodedata.normalize("NFC", previous + marks)
        else:
            out.append(_VNI_LETTERS.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


CONVERTERS = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}


def _odd_words(text: str) -> list[str]:
    # Only words with non-ASCII characters tell the encodings apart.
    return [t for t in tokens(text) if not t.isascii()]


def detect_legacy_encoding(text: str) -> str | None:
    """ "tcvn3" or "vni" when `text` reads as Vietnamese only after that conversion, else None."""
    words = _odd_words(text)
    if len(words) < _MIN_WORDS:
        return None
    before = syllable_share(words)
    best_share, best = max(
        (syllable_share(_odd_words(convert(" ".join(words)))), name)
        for name, convert in CONVERTERS.items()
    )
    return best if best_share >= MIN_SHARE and best_share - before >= MIN_GAIN else None


def convert_legacy(text: str) -> tuple[str, str | None]:
    """(Unicode text, encoding converted from or None when `text` was not legacy-encoded)."""
    encoding = detect_legacy_encoding(text)
    return (CONVERTERS[encoding](text), encoding) if encoding else (text, None)


# Font names tell the encoding outright: ".VnTime", ".VnArialH" (TCVN3; an "H" font is the
# capitals font, drawn from the lower-case codes), "VNI-Times" (VNI). A subset prefix
# ("ABCDEF+") and a style suffix (",Bold", "-Italic") may be around the name.
_SUBSET_RE = re.compile(r"^[A-Z]{6}\+")
_TCVN3_FONT_RE = re.compile(r"^\.?Vn[A-Z]")
_VNI_FONT_RE = re.compile(r"^VNI[-_ ]?[A-Za-z]", re.IGNORECASE)


def font_encoding(fontname: str | None) -> tuple[str | None, bool]:
    """(encoding the font's name declares or None, whether it is a TCVN3 capitals font)."""
    name = _SUBSET_RE.sub("", fontname or "")
    if _VNI_FONT_RE.match(name):
        return "vni", False
    if _TCVN3_FONT_RE.match(name):
        family = re.split(r"[,-]", name, maxsplit=1)[0].replace(" ", "")
        return "tcvn3", family.endswith("H")
    return None, False


def convert_run(raw: str, encoding: str, capitals: bool = False) -> str:
    """One run of text in one legacy font (its glyph codes as Latin-1 characters) to Unicode."""
    text = CONVERTERS[encoding](raw)
    return text.upper() if capitals else text


def converted_confidently(text: str) -> bool:
    """A converted page reads as Vietnamese: its non-ASCII words are mostly syllables."""
    words = _odd_words(text)
    return len(words) < _MIN_WORDS or syllable_share(words) >= MIN_SHARE
