"""Is this text Vietnamese, or the garbage a broken PDF font yields? Cheap structural checks."""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# One Vietnamese syllable, tone marks removed: onset, vowel nucleus, coda.
_SYLLABLE_RE = re.compile(
    r"^(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?"
    r"[aăâeêioôơuưy]{1,3}"
    r"(?:ch|nh|ng|[cmnpt])?$"
)
_EDGE_PUNCT = "\"'()[]{}.,;:!?-–—/…“”‘’"
_CID_RE = re.compile(r"\(cid:\d+\)")
_BAD_CATEGORIES = {"Co", "Cn", "Cs"}  # private use, unassigned, surrogates: no real text
MIN_SYLLABLE_SHARE = 0.5


def is_syllable(token: str) -> bool:
    """True if `token` is shaped like one Vietnamese syllable (at most one tone mark)."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tones = sum(ch in _TONES for ch in decomposed)
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return tones <= 1 and bool(_SYLLABLE_RE.match(base))


def tokens(text: str) -> list[str]:
    """Whitespace tokens without edge punctuation (legacy encodings put letters in symbols)."""
    return [t for t in (raw.strip(_EDGE_PUNCT) for raw in text.split()) if t]


def syllable_share(words: list[str]) -> float:
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


def is_usable_text(text: str) -> bool:
    """A text layer worth indexing: real characters, mostly Vietnamese-shaped words."""
    if _CID_RE.search(text) or "\ufffd" in text:
        return False  # glyphs pdfminer could not map to Unicode
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return False
    bad = sum(unicodedata.category(ch) in _BAD_CATEGORIES for ch in visible)
    letters = sum(ch.isalpha() for ch in visible)
    if bad > 0.02 * len(visible) or letters < 0.4 * len(visible):
        return False
    # Numbers, codes and abbreviations say nothing about the font; symbols inside words do.
    words = [
        t
        for t in tokens(text)
        if len(t) > 1
        and not t.isupper()
        and any(map(str.isalpha, t))
        and not any(map(str.isdigit, t))
    ]
    return len(words) < 3 or syllable_share(words) >= MIN_SYLLABLE_SHARE
