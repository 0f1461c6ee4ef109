"""The signature block: the signer's title (the last title line; "KT. CHỦ TỊCH" above it says on
whose behalf) and the signer's name, the first name line below the title."""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.metadata.layout import Segment, title_case
from indexer.metadata.names import split_name

_TITLE = re.compile(
    r"(?:\b(?P<on_behalf>kt|tm|tl|q|ktl)\s*[.,]?\s*)?"
    r"(?P<title>(?:pho\s+)?(?:chu\s+tich|giam\s+doc|truong\s+phong|chanh\s+van\s+phong|"
    r"cuc\s+truong|chi\s+cuc\s+truong|truong\s+ban|bo\s+truong|thu\s+truong|"
    r"can\s+bo\s+tu\s+phap(?:\s*-\s*ho\s+tich)?|cong\s+chuc\s+tu\s+phap(?:\s*-\s*ho\s+tich)?))"
    r"\s*[.:]?\s*$"
)
# How the common titles are written in records.
_CANONICAL = {
    "chu tich": "Chủ Tịch", "pho chu tich": "Phó Chủ Tịch", "giam doc": "Giám Đốc",
    "pho giam doc": "Phó Giám Đốc", "truong phong": "Trưởng Phòng",
    "pho truong phong": "Phó Trưởng Phòng", "chanh van phong": "Chánh Văn Phòng",
    "cuc truong": "Cục Trưởng", "chi cuc truong": "Chi Cục Trưởng",
}
_LOOKAHEAD = 6


def _title_at(segment: Segment) -> tuple[str, bool, float] | None:
    m = _TITLE.search(segment.folded)
    if not m:
        return None
    raw = segment.text[m.start("title"):m.end("title")]
    if sum(ch.isupper() for ch in raw if ch.isalpha()) < 0.8 * sum(ch.isalpha() for ch in raw):
        return None  # a title in running text ("đề nghị Chủ tịch ..."), not the block
    key = " ".join(m["title"].split())
    if key in _CANONICAL:
        return _CANONICAL[key], bool(m["on_behalf"]), 0.95
    return title_case(raw), bool(m["on_behalf"]), 0.8


def find_signature(segments: Sequence[Segment]) -> tuple[tuple[str, float] | None,
                                                          tuple[str, float] | None]:
    """((signer_title, confidence), (signer, confidence)), each None when absent."""
    titles = [(i, t) for i, seg in enumerate(segments) if (t := _title_at(seg))]
    if not titles:
        return None, None
    # The block's own title is the last title not written "KT. …" (on behalf of).
    own = [item for item in titles if not item[1][1]] or titles
    index, (title, _, title_conf) = own[-1]
    for seg in segments[index + 1:index + 1 + _LOOKAHEAD]:
        found = split_name(seg.text)
        if found and len(seg.text.split()) <= 5:
            name, known = found
            return (title, title_conf), (name, 0.93 if known else 0.7)
    return (title, title_conf), None
