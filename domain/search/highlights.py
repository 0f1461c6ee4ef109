"""Highlight fragments made safe for HTML: the text is escaped, only our `<mark>` tags survive.

Elasticsearch marks matches with private-use characters (es_query.HIGHLIGHT_PRE/POST) and returns
the raw text, so nothing the OCR read (a `<` in an address, a stray `&`) can become markup.
Fragments from the folded fields (queries typed without marks) are mapped back onto the accented
text: folding (fold_spelling, as the folded fields are built) keeps one character per
character, so the same offsets find the accented words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from domain.search.es_query import HIGHLIGHT_POST, HIGHLIGHT_PRE
from domain.text.vietnamese import fold_spelling

MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"
_MARKERS = re.compile(f"[{HIGHLIGHT_PRE}{HIGHLIGHT_POST}]")
_SPACES = re.compile(r"\s+")
_ADJACENT = re.compile(f"{MARK_CLOSE}( ?){MARK_OPEN}")


def strip_markers(fragment: str) -> str:
    return _MARKERS.sub("", fragment)


def restore_accents(fragment: str, sources: Iterable[str],
                    folded_sources: Iterable[str] | None = None) -> str:
    """The same fragment cut from the accented text it was folded from (or as is, if not found).

    `folded_sources`: the sources folded as the folded field folds them (fold_spelling),
    in the same order; computed here when not given (a caller with several fragments of one
    record folds its sources once)."""
    plain = strip_markers(fragment)
    if not plain.strip():
        return fragment
    sources = list(sources)
    folded_all = list(folded_sources) if folded_sources is not None else \
        [fold_spelling(source) for source in sources]
    for source, folded in zip(sources, folded_all, strict=True):
        if len(folded) != len(source):
            continue  # offsets would not line up (text outside Vietnamese NFC)
        start = folded.find(plain)
        if start < 0:
            continue
        accented = source[start:start + len(plain)]
        out, pos = [], 0
        for ch in fragment:
            if ch in (HIGHLIGHT_PRE, HIGHLIGHT_POST):
                out.append(ch)
            else:
                out.append(accented[pos])
                pos += 1
        return "".join(out)
    return fragment


def to_html(fragment: str) -> str:
    """Escape the text, turn the markers into balanced <mark> tags, collapse whitespace."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{HIGHLIGHT_PRE}{HIGHLIGHT_POST}])", fragment):
        if piece == HIGHLIGHT_PRE:
            if not open_mark:
                out.append(MARK_OPEN)
                open_mark = True
        elif piece == HIGHLIGHT_POST:
            if open_mark:
                out.append(MARK_CLOSE)
                open_mark = False
        elif piece:
            out.append(html.escape(_SPACES.sub(" ", piece), quote=True))
    if open_mark:
        out.append(MARK_CLOSE)
    # "Phan Đình Toàn" reads as one match, not three boxes.
    return _ADJACENT.sub(r"\1", "".join(out)).strip()


def fragments(highlight: dict[str, list[str]],
              sources: Mapping[str, tuple[list[str], list[str]]],
              limit: int = 4) -> list[str]:
    """HTML fragments of one hit, full-text ones first, without duplicates.

    `sources` maps a highlighted field's base name (`search.text`) to the accented strings the
    folded twin was built from and those folded (schema.highlight_sources: the index's own,
    nothing to fold again).
    """
    out: list[str] = []
    for field in sorted(highlight, key=lambda f: (not f.startswith("search.text"), f)):
        base = field.removesuffix("_folded")
        for fragment in highlight[field]:
            if field != base:
                fragment = restore_accents(fragment, *sources.get(base, ([], [])))
            rendered = to_html(fragment)
            if rendered and rendered not in out:
                out.append(rendered)
    return out[:limit]
