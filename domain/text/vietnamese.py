"""Vietnamese text normalisation for search: one spelling per word on both index and query side.

Elasticsearch here has no ICU/asciifolding, so every form it matches is produced here:
`normalize` (NFC, one tone-mark placement, Đ repair, lower case), `fold_diacritics` (for queries
typed without marks), `fold_spelling` (that, plus one spelling of the i/y variants: what the
folded search fields hold), `syllables` and `segment_words` (underthesea). All pure; the
per-word work is cached because OCR text of every page passes through it and the vocabulary is
small.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# The five tone marks (combining, after NFD). Vowel-quality marks (circumflex, breve, horn) are
# part of the letter and stay where they are.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")
_FINALS = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t"})
_ONSETS = frozenset({"b", "c", "ch", "d", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
                     "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"})
# Look-alikes of Đ/đ that OCR and legacy encodings produce (Icelandic eth, African D).
_LOOKALIKE_D = {"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"}
_D_REPAIR = str.maketrans(_LOOKALIKE_D)
_WORD_RE = re.compile(r"[^\W\d_]+")
_TOKEN_RE = re.compile(r"[^\W_]+")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def _nfc_repaired(text: str) -> str:
    """NFC, with the look-alikes of Đ/đ made Đ/đ. `translate` with a table walks every
    character in Python, so it runs only on text holding one of them (rare)."""
    text = unicodedata.normalize("NFC", text)
    if any(ch in text for ch in _LOOKALIKE_D):
        return text.translate(_D_REPAIR)
    return text


def syllable_parts(lower: str) -> tuple[str, str, str]:
    """(onset, vowel cluster, final) of a lower-case syllable without tone. In "qu" and "gi" the
    u/i belongs to the onset when another vowel follows (quý, già, giữa)."""
    i = 0
    while i < len(lower) and lower[i] not in _VOWELS:
        i += 1
    j = i
    while j < len(lower) and lower[j] in _VOWELS:
        j += 1
    onset, cluster, final = lower[:i], lower[i:j], lower[j:]
    if len(cluster) > 1 and (onset, cluster[0]) in (("q", "u"), ("g", "i")):
        onset, cluster = onset + cluster[0], cluster[1:]
    return onset, cluster, final


def _split_syllable(lower: str) -> tuple[str, str, str] | None:
    """`syllable_parts`, or None if the word is not shaped like a Vietnamese syllable (foreign
    word, OCR junk): those are left as they are."""
    onset, cluster, final = syllable_parts(lower)
    if not cluster or final not in _FINALS or len(cluster) > 3:
        return None
    return onset, cluster, final


def _tone_index(onset: str, cluster: str, final: str) -> int:
    """Position (in the syllable) of the vowel carrying the tone, old style (hòa, thúy, khỏe)."""
    marked = [k for k, ch in enumerate(cluster) if ch in _MARKED_VOWELS]
    if marked:
        k = marked[-1]  # ươ -> ơ, iê -> ê, uô -> ô, ưa -> ư
    elif final or len(cluster) == 1:
        k = len(cluster) - 1  # hoàng, thuyền, toán
    elif len(cluster) == 2:
        k = 0  # hòa, thúy, mùa, tài (old style: the first of an open pair)
    else:
        k = 1  # ngoài, khuỷu
    return len(onset) + k


@lru_cache(maxsize=200_000)
def _canonical_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word  # no tone (nothing to move) or garbage with several
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    parts = _split_syllable(bare.lower())
    if parts is None or len(bare) != sum(map(len, parts)):
        return word
    k = _tone_index(*parts)
    return unicodedata.normalize("NFC", bare[: k + 1] + tones[0] + bare[k + 1 :])


def _canonical_match(match: re.Match[str]) -> str:
    word = match.group()
    return _canonical_word(word) if _NON_ASCII_RE.search(word) else word


def normalize_text(text: str) -> str:
    """NFC, Đ repaired, one tone placement per word; case and layout kept (for highlights)."""
    return _WORD_RE.sub(_canonical_match, _nfc_repaired(text))


def normalize(text: str) -> str:
    """`normalize_text` plus case folding: the accented form that index and query share."""
    return normalize_text(text).lower()


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_match(match: re.Match[str]) -> str:
    word = match.group()
    return _fold_word(word) if _NON_ASCII_RE.search(word) else word


def fold_diacritics(text: str) -> str:
    """Drop every mark, đ -> d; one character out per character in for Vietnamese NFC text, so
    offsets in the folded form line up with the accented one."""
    return _WORD_RE.sub(_fold_match, _nfc_repaired(text))


def _i_for_y(word: str) -> str:
    """`ly`, `ky`, `quy`, `ty` -> `li`, `ki`, `qui`, `ti`: after a consonant in an open syllable
    both spellings are in use (lý/lí, kỹ/kĩ, công ty/công ti). `y` alone, `uy`, `ay` stay."""
    if len(word) < 2 or word[-1] not in "yY":
        return word
    parts = _split_syllable(word.lower())
    if parts is None or parts[0] not in _ONSETS or parts[1] != "y" or parts[2]:
        return word
    return word[:-1] + ("i" if word[-1] == "y" else "I")


@lru_cache(maxsize=200_000)
def _spelling_word(word: str) -> str:
    return _i_for_y(_fold_word(word))


def _spelling_match(match: re.Match[str]) -> str:
    return _spelling_word(match.group())


def fold_spelling(text: str) -> str:
    """`fold_diacritics` plus one spelling for variants people write either way (i/y after a
    consonant); the form of every folded search field, on the index and the query side alike.
    Still one character out per character in (highlights rely on it). Codes do not use it: a
    code is compared letter for letter."""
    return _WORD_RE.sub(_spelling_match, _nfc_repaired(text))


def has_diacritics(text: str) -> bool:
    """Whether the user typed any Vietnamese mark (then exact accented matches should win)."""
    folded = fold_diacritics(text)
    return folded != _nfc_repaired(text)


def syllables(text: str) -> list[str]:
    """Normalised lower-case syllables (and numbers), punctuation dropped."""
    return _TOKEN_RE.findall(normalize(text))


_SEGMENTER_LOCK = threading.Lock()
_segmenter_ready = False


def _segmenter() -> Callable[[str], list[str]]:
    """underthesea's word_tokenize, its CRF model loaded once.

    The model loads on the first call (kept off import time), and that first load is not safe
    when several threads of a web worker call at once: warm it under a lock.
    """
    global _segmenter_ready
    from underthesea import word_tokenize

    if not _segmenter_ready:
        with _SEGMENTER_LOCK:
            if not _segmenter_ready:
                word_tokenize("khởi động")
                _segmenter_ready = True
    return word_tokenize


def warm_segmenter() -> None:
    """Load the segmenter's model now (about a second): a server calls this before it takes
    requests, so its first search does not wait for it."""
    _segmenter()


def segment_words(text: str) -> list[str]:
    """underthesea words, lower case, syllables of one word joined by `_` (`giấy_phép`).

    The text is normalised first and every token again after, so underthesea's own token
    normalisation cannot make index and query spell a word differently. Costs about 30k
    syllables/s per core: meant for short fields and queries, not for every OCR page.
    """
    words: list[str] = []
    for token in _segmenter()(normalize_text(text)):
        parts = syllables(token)
        if parts:
            words.append("_".join(parts))
    return words


_RUN_TOKEN_RE = re.compile(r"(\w+)([^\w\s]*)")


def capitalized_runs(text: str, min_len: int = 2, max_len: int = 8) -> list[str]:
    """Runs of capitalised words on one line (`Đặng Công Quân`, `CỬA HÀNG BÁNH BÀ HOA`), lower
    case: the proper names of a document (people, businesses, places), whatever its type.
    Punctuation and line breaks end a run; longer runs (headlines) are dropped. Expects
    `normalize_text` output (callers have it already; the runs are then normalised too)."""
    runs: list[str] = []
    for line in text.splitlines():
        run: list[str] = []
        for m in _RUN_TOKEN_RE.finditer(line):
            word, punct = m.groups()
            if word[0].isupper() and not word[0].isdigit():
                run.append(word)
            else:
                run = _flush(run, runs, min_len, max_len)
                continue
            if punct:
                run = _flush(run, runs, min_len, max_len)
        _flush(run, runs, min_len, max_len)
    return runs


_HONORIFICS = frozenset({"ông", "bà"})  # "Ông Lê Đình Hiếu": the name is what people type


def _flush(run: list[str], runs: list[str], min_len: int, max_len: int) -> list[str]:
    if run and run[0].lower() in _HONORIFICS:
        run = run[1:]
    if min_len <= len(run) <= max_len:
        runs.append(" ".join(run).lower())
    return []
