"""Query understanding: what the officer typed, split into codes and normalised free text.

Codes (result numbers, ID numbers, dossier/enterprise codes, dates) go to exact keyword fields;
the rest is normalised exactly as documents are (indexer.search_fields), folded, and segmented.
Nothing here produces Elasticsearch query syntax: the text is only ever sent as the *value* of
`match`/`term` queries, so quotes, brackets or backslashes are ordinary characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from indexer.text.codes import Code, code_terms, find_codes
from indexer.text.vietnamese import (
    fold_diacritics,
    has_diacritics,
    normalize,
    segment_words,
    syllables,
)

MAX_QUERY_CHARS = 500  # longer input is cut: nobody types more, and it bounds the query's cost


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    codes: tuple[Code, ...] = ()
    # Free text left once codes are taken out: normalised syllables and their folded twins.
    syllables: tuple[str, ...] = ()
    folded: tuple[str, ...] = ()
    has_diacritics: bool = False
    # underthesea words (`giấy_phép`); only segmented when marks were typed, since the
    # segmenter is trained on accented text and guesses at folded input.
    words: tuple[str, ...] = ()

    @property
    def code_terms(self) -> tuple[str, ...]:
        """Keyword terms for the `codes` field (keys, separator-free keys, ISO dates)."""
        return tuple(dict.fromkeys(t for c in self.codes for t in code_terms(c)))

    @property
    def result_number_keys(self) -> tuple[str, ...]:
        # Any code may be a result number: 13-digit household codes are printed as the number.
        return tuple(dict.fromkeys(c.key for c in self.codes if c.kind != "date"))

    @property
    def dates(self) -> tuple[dt.date, ...]:
        return tuple(dt.date.fromisoformat(c.key) for c in self.codes if c.kind == "date")

    @property
    def text(self) -> str:
        """Accented free text, lower case, one space between syllables."""
        return " ".join(self.syllables)

    @property
    def folded_text(self) -> str:
        return " ".join(self.folded)

    @property
    def is_empty(self) -> bool:
        return not self.codes and not self.syllables


def _strip_spans(text: str, codes: list[Code]) -> str:
    # Blank out each code's text (first occurrence after the previous one) so the free text does
    # not also search the code's pieces (`125`, `gpxd`) across the whole corpus.
    out, pos = [], 0
    for code in codes:
        start = text.find(code.raw, pos)
        if start < 0:
            continue
        out.append(text[pos:start])
        out.append(" ")
        pos = start + len(code.raw)
    out.append(text[pos:])
    return "".join(out)


def parse_query(q: str) -> ParsedQuery:
    """Split a search box input into codes and normalised free text."""
    raw = (q or "")[:MAX_QUERY_CHARS]
    text = normalize(raw)
    codes = find_codes(text)
    rest = _strip_spans(text, codes)
    accented = tuple(syllables(rest))
    marked = has_diacritics(rest)
    return ParsedQuery(
        raw=raw,
        codes=tuple(codes),
        syllables=accented,
        folded=tuple(fold_diacritics(s) for s in accented),
        has_diacritics=marked,
        words=tuple(segment_words(rest)) if marked else (),
    )
