"""Post-OCR repair of syllables that cannot exist in Vietnamese, from the document's own words.

The syllable inventory is closed: onset + rhyme + tone, with a few hard rules (a final c, ch, p
or t takes only the sắc or nặng tone; ă and â need a final; a glide-ended rhyme takes none).
Tesseract's typical damage is to the marks (`quyết -> quyet`, `Việt -> Viet`), which often
leaves such an impossible syllable. A syllable is repaired only towards a form that differs in
its marks alone and that the same document spells that way elsewhere: the page's own context
decides, never a guess from outside it, so names and codes are left as they are.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter

from domain.text.vietnamese import syllable_parts

_TONE_MARKS = {"\u0301": 1, "\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_TONE_BY_ID = {v: k for k, v in _TONE_MARKS.items()}
_SHARP, _HEAVY = 1, 5


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split(" "))


_ONSETS = _words("b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x") | {""}
_FINALS = _words("c ch m n ng nh p t") | {""}
_STOPS = _words("c ch p t")
# Vowel clusters (with the medial o/u) and whether they need, allow or refuse a final.
_NEEDS_FINAL = _words("ă â iê yê oă uâ uô ươ uyê")
_NO_FINAL = _words(
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu oai oay oao oeo uây uôi uya uyu "
    "ươi ươu yêu iêu"
)
_EITHER = _words("a e ê i o ô ơ u ư y oa oe uê uy uơ")
_CLUSTERS = _NEEDS_FINAL | _NO_FINAL | _EITHER
_CH_NH_AFTER = _words("a ê i oa uê uy")  # ch and nh follow these only
_FAMILIES = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "i": "i", "y": "y"}
_BASE_OF = {v: base for base, family in _FAMILIES.items() for v in family}
_VOWELS = frozenset(_BASE_OF)
_WORD_RE = re.compile(r"[^\W\d_]+")
_MAX_LETTERS = 7


def split_tone(word: str) -> tuple[str, int]:
    """(lower-case letters without the tone mark, tone 0..5); vowel marks (ă â ê ô ơ ư) stay."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [_TONE_MARKS[ch] for ch in decomposed if ch in _TONE_MARKS]
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return base, (tones[0] if len(tones) == 1 else (-1 if tones else 0))


def _parts(base: str) -> tuple[str, str, str] | None:
    onset, cluster, final = syllable_parts(base)
    if onset == "g" and cluster == "i" and not final:
        return "gi", "i", ""  # "gì"
    return onset, cluster, final


def is_valid(word: str) -> bool:
    """Can `word` be one Vietnamese syllable (onset + rhyme + tone, by the rules above)?"""
    base, tone = split_tone(word)
    parts = _parts(base) if tone >= 0 else None
    if parts is None:
        return False
    onset, cluster, final = parts
    if onset not in _ONSETS or cluster not in _CLUSTERS or final not in _FINALS:
        return False
    if (final and cluster in _NO_FINAL) or (not final and cluster in _NEEDS_FINAL):
        return False
    if final in ("ch", "nh") and cluster not in _CH_NH_AFTER:
        return False
    return not (final in _STOPS and tone not in (_SHARP, _HEAVY))


def _mark_variants(base: str) -> set[str]:
    """Every spelling of `base` with other vowel marks (a/ă/â, o/ô/ơ…) and d/đ swapped."""
    options = [
        _FAMILIES[_BASE_OF[ch]] if ch in _BASE_OF else ("dđ" if ch in "dđ" else ch) for ch in base
    ]
    if sum(len(o) > 1 for o in options) > 4:
        return set()  # too many combinations to be a plausible one-mark slip
    return {"".join(p) for p in itertools.product(*options)}


def _key(word: str) -> tuple[str, int]:
    base, tone = split_tone(word)
    return base, tone


def _match_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def correct_syllables(text: str) -> str:
    """`text` with each impossible syllable replaced by the one spelling of it, differing in
    marks only, that the same text uses elsewhere (the most frequent one if several)."""
    seen: Counter[tuple[str, int]] = Counter()
    spellings: dict[tuple[str, int], Counter[str]] = {}
    for word in _WORD_RE.findall(text):
        if is_valid(word):
            key = _key(word)
            seen[key] += 1
            # The document's own spelling, tone-mark placement included (hoà or hòa).
            spellings.setdefault(key, Counter())[unicodedata.normalize("NFC", word.lower())] += 1
    if not seen:
        return text
    cache: dict[str, str] = {}

    def repair(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in cache:
            return cache[word]
        fixed = word
        if len(word) <= _MAX_LETTERS and not is_valid(word):
            base, _ = split_tone(word)
            candidates = [
                (seen[(variant, tone)], variant, tone)
                for variant in _mark_variants(base)
                for tone in range(6)
                if seen.get((variant, tone))
            ]
            if candidates:
                _, variant, tone = max(candidates)
                spelling = spellings[(variant, tone)].most_common(1)[0][0]
                fixed = _match_case(spelling, word)
        cache[word] = fixed
        return fixed

    return _WORD_RE.sub(repair, text)
