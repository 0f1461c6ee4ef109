"""Query understanding: what the officer typed, split into codes and normalised free text.

Codes (result numbers, ID numbers, dossier/enterprise codes, dates) go to exact keyword fields;
the rest is normalised exactly as documents are (domain.search.fields), folded, and segmented.
Known phrases (document types, agency names and their tails, as the index holds them: see
`Vocabulary`) are recognised as *segments*: a query such as `giay phep xay dung ba dinh` is one
type and one agency, and es_query matches those through the records' role keys instead of scoring
their common syllables over every document of that type.

Nothing here produces Elasticsearch query syntax: the text is only ever sent as the *value* of
`match`/`term` queries, so quotes, brackets or backslashes are ordinary characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from domain.search.fields import agency_name_tails, name_key
from domain.search.schema import AGENCY, TYPE
from domain.text.codes import Code, code_terms, find_codes
from domain.text.vietnamese import (
    fold_spelling,
    has_diacritics,
    normalize,
    segment_words,
    syllables,
)

MAX_QUERY_CHARS = 500  # longer input is cut: nobody types more, and it bounds the query's cost
# Syllables shorter than this are never corrected: one edit on `an`, `ba`, `huy` reaches too
# many other real syllables to mean anything.
FUZZY_MIN_CHARS = 3


@dataclass(frozen=True)
class Vocabulary:
    """Phrases the index knows by role: folded key (`giay phep xay dung`) -> role prefix."""

    phrases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_names(cls, document_types: Iterable[str], agency_names: Iterable[str]) -> Vocabulary:
        phrases: dict[str, str] = {}
        for name in agency_names:
            for tail in agency_name_tails(name):
                phrases[fold_spelling(tail)] = AGENCY
        for name in document_types:  # a type wins over an agency spelt the same
            phrases[fold_spelling(name_key(name))] = TYPE
        return cls({k: v for k, v in phrases.items() if len(k.split()) >= 2})


@dataclass(frozen=True)
class Segment:
    """Query syllables [start, end) that spell a known phrase of `role`."""

    start: int
    end: int
    role: str
    phrase: str  # folded, as in `search.keys_folded` after the role prefix

    @property
    def key(self) -> str:
        return f"{self.role}:{self.phrase}"


def find_segments(folded: tuple[str, ...], vocabulary: Vocabulary) -> tuple[Segment, ...]:
    """Known phrases in the folded syllables, longest first, never overlapping."""
    taken = [False] * len(folded)
    found: list[Segment] = []
    for size in range(len(folded), 1, -1):
        for start in range(len(folded) - size + 1):
            end = start + size
            phrase = " ".join(folded[start:end])
            role = vocabulary.phrases.get(phrase)
            if role and not any(taken[start:end]):
                found.append(Segment(start, end, role, phrase))
                taken[start:end] = [True] * size
    return tuple(sorted(found, key=lambda s: s.start))


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    codes: tuple[Code, ...] = ()
    # Free text left once codes are taken out: normalised syllables and their folded twins.
    syllables: tuple[str, ...] = ()
    folded: tuple[str, ...] = ()
    has_diacritics: bool = False
    # underthesea words (`giấy_phép`) of the syllables outside segments; only segmented when
    # marks were typed, since the segmenter is trained on accented text and guesses at folded
    # input.
    words: tuple[str, ...] = ()
    segments: tuple[Segment, ...] = ()
    # Folded syllables most records of the index hold (domain.search.term_stats), set before
    # the requests are built: the gate takes them as present (see domain.search.es_query).
    common: frozenset[str] = frozenset()

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
    def rest(self) -> tuple[int, ...]:
        """Positions of the syllables outside every segment."""
        inside = {i for s in self.segments for i in range(s.start, s.end)}
        return tuple(i for i in range(len(self.syllables)) if i not in inside)

    @property
    def rest_text(self) -> str:
        """Accented syllables outside every segment."""
        return " ".join(self.syllables[i] for i in self.rest)

    @property
    def rest_folded_text(self) -> str:
        return " ".join(self.folded[i] for i in self.rest)

    @property
    def fuzzy_positions(self) -> tuple[int, ...]:
        """Syllables outside segments long enough, and letters only, to be corrected."""
        return tuple(i for i in self.rest
                     if len(self.folded[i]) >= FUZZY_MIN_CHARS and self.folded[i].isalpha())

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


def parse_query(q: str, vocabulary: Vocabulary | None = None) -> ParsedQuery:
    """Split a search box input into codes, known phrases and normalised free text."""
    raw = (q or "")[:MAX_QUERY_CHARS]
    text = normalize(raw)
    codes = find_codes(text)
    rest = _strip_spans(text, codes)
    accented = tuple(syllables(rest))
    marked = has_diacritics(rest)
    folded = tuple(fold_spelling(s) for s in accented)
    segments = find_segments(folded, vocabulary) if vocabulary else ()
    parsed = ParsedQuery(raw=raw, codes=tuple(codes), syllables=accented, folded=folded,
                         has_diacritics=marked, segments=segments)
    if not marked:
        return parsed
    return replace(parsed, words=tuple(segment_words(parsed.rest_text)))
