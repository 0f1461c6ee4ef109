"""The document type: the title printed in capitals under the header, matched against the
types the index already holds (so OCR damage to a known title is repaired)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from domain.text.vietnamese import fold_diacritics, normalize
from indexer.metadata.layout import Segment, is_upper_line, sentence_case
from indexer.metadata.lexicon import repair_phrase

_NOT_TITLE = re.compile(
    r"^(?:ubnd|uy ban|so\b|phong\b|chi cuc|cuc\b|ban\b|van phong|trung tam|quan\b|huyen\b|"
    r"phuong\b|xa\b|thi xa|thi tran|thanh pho|noi nhan|kt\b|tm\b|tl\b)"
)
_NEAR = 0.9


def _title_segments(segments: Sequence[Segment]) -> list[Segment]:
    for i, seg in enumerate(segments):
        if seg.page != 1:
            break
        if not is_title_line(seg):
            continue
        parts = [seg]
        for nxt in segments[i + 1:i + 3]:
            if nxt.line > parts[-1].line + 2 or not is_title_line(nxt):
                break
            parts.append(nxt)
        return parts
    return []


def is_title_line(seg: Segment) -> bool:
    return (is_upper_line(seg.text) and len(seg.text.split()) >= 2 and ":" not in seg.text
            and not seg.text.startswith("(") and not _NOT_TITLE.match(seg.folded)
            and not any(ch.isdigit() for ch in seg.text))


def _key(text: str) -> str:
    return " ".join(fold_diacritics(normalize(text)).split())


def find_document_type(segments: Sequence[Segment], known_types: Iterable[str]
                       ) -> tuple[str, float] | None:
    parts = _title_segments(segments)
    if not parts:
        return None
    printed = " ".join(w for p in parts for w in p.text.split() if any(c.isalpha() for c in w))
    repaired, was_repaired, covered = repair_phrase(printed)
    title = sentence_case(repaired)
    key = _key(title)
    best, best_ratio = None, 0.0
    for known in known_types:
        ratio = 1.0 if _key(known) == key else SequenceMatcher(None, key, _key(known)).ratio()
        if ratio > best_ratio:
            best, best_ratio = known, ratio
    if best is not None and best_ratio == 1.0:
        return best, 0.96
    if best is not None and best_ratio >= _NEAR:
        return best, 0.85
    # A title the index has not seen: as printed (OCR damage repaired from the word list).
    if covered:
        return title, 0.85 if was_repaired else 0.9
    return title, 0.7
