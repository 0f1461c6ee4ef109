"""Repair of OCR-damaged words against a Vietnamese word list (underthesea's Viet74K).

A phrase the list does not know, whose folded form matches exactly one phrase it does know
(`thục phẩm` -> `thực phẩm`, `giầy chứng nhận` -> `giấy chứng nhận`), is replaced by it. Only
multi-syllable phrases are repaired: one syllable alone has too many accented readings.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from domain.text.vietnamese import fold_diacritics, normalize

_LOCK = threading.Lock()
_MAX_LEN = 4


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str], dict[str, tuple[str, ...]]]:
    """(multi-syllable words, single syllables, words of either kind by folded form)."""
    with _LOCK:
        import underthesea  # the package ships the word list; loaded on first use only

        path = Path(underthesea.__file__).parent / "corpus" / "data" / "Viet74K.txt"
        entries = {normalize(line.strip())
                   for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
        words = frozenset(e for e in entries if " " in e)
        singles = frozenset(e for e in entries if " " not in e)
        by_fold: dict[str, set[str]] = {}
        for word in entries:
            by_fold.setdefault(fold_diacritics(word), set()).add(word)
        return words, singles, {k: tuple(sorted(v)) for k, v in by_fold.items()}


def _sure_single(syllable: str, singles: frozenset[str],
                 by_fold: dict[str, tuple[str, ...]]) -> bool:
    """A known syllable, and not one written without marks that has marked readings too
    (`ho`: hồ, họ, hộ…), which may be a lost mark."""
    if syllable not in singles:
        return False
    folded = fold_diacritics(syllable)
    return syllable != folded or len(by_fold.get(folded, ())) <= 1


def repair_phrase(text: str) -> tuple[str, bool, bool]:
    """(repaired lower-case text, whether anything was repaired, whether every syllable is a
    known word or sits in one)."""
    words, singles, by_fold = _lexicon()
    syllables = normalize(text).split()
    out: list[str] = []
    repaired = False
    covered = True
    i = 0
    while i < len(syllables):
        for length in range(min(_MAX_LEN, len(syllables) - i), 1, -1):
            phrase = " ".join(syllables[i:i + length])
            if phrase in words:
                out.append(phrase)
                break
            candidates = [c for c in by_fold.get(fold_diacritics(phrase), ()) if " " in c]
            if len(candidates) == 1:
                out.append(candidates[0])
                repaired = True
                break
        else:
            out.append(syllables[i])
            covered = covered and _sure_single(syllables[i], singles, by_fold)
            i += 1
            continue
        i += length
    return " ".join(out), repaired, covered
