"""Relaxing a query that found (almost) nothing: corrections from the index's own vocabulary.

Fuzziness is applied once per query syllable against the index's term dictionary, not inside
the search: Elasticsearch's term suggester lists, for each long enough syllable of the query,
the indexed syllables one edit away (a letter dropped, doubled, swapped with its neighbour or
replaced) with their frequencies. The relaxed search then looks those candidates up as exact
terms (domain.search.es_query), which costs what a few more query words cost, where a `fuzzy`
query on every field would expand each syllable over every document's terms at search time.

All pure: the suggest request body, reading its answer, and the "did you mean" query taken from
the best relaxed hit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from domain.search.query import ParsedQuery, parse_query
from domain.search.schema import TEXT_FOLDED, search_text_values
from domain.text.vietnamese import fold_spelling, normalize, syllables

SUGGESTER = "syllables"
FREQ = "typed"
# A syllable as typed held by at least this share of the records (and REAL_WORD_DOCS) is a
# common real word: it is only widened to much rarer neighbours (misreads of it in OCR text),
# never to other common words. A rarer one may be a slip for any neighbour (`khán` for `khánh`).
COMMON_SHARE = 0.01
REAL_WORD_DOCS = 3
MISREAD_RATIO = 0.2
MISREAD_DOCS = 2  # a neighbour in this few records is a misread whatever the index's size
CANDIDATES = 20  # per syllable: the syllable space is dense, and a misread is rare

MAX_TERM_FREQ = 2_000_000_000  # absolute document count: every syllable may be misread
Alternatives = tuple[tuple[str, ...], ...]  # per folded syllable: itself, then candidates
_TOKEN_RE = re.compile(r"[^\W_]+")
# Longer free text is not relaxed: the strict gate already lets a quarter of it miss, and the
# relaxed request grows with every syllable (Elasticsearch caps a query's clauses).
MAX_RELAXED_SYLLABLES = 12


def suggest_body(parsed: ParsedQuery) -> dict[str, Any] | None:
    """A request asking only for corrections of the query's long syllables (no hits)."""
    words = [parsed.folded[i] for i in parsed.fuzzy_positions]
    if not words:
        return None
    term = {"field": TEXT_FOLDED, "suggest_mode": "always", "max_edits": 1, "prefix_length": 0,
            "min_word_length": 1, "size": CANDIDATES, "max_term_freq": MAX_TERM_FREQ}
    # How many records hold each syllable as typed: decides which way a correction may go.
    counts = {w: {"term": {TEXT_FOLDED: w}} for w in words}
    return {"size": 0, "track_total_hits": False, "query": {"match_none": {}},
            "aggs": {FREQ: {"global": {}, "aggs": {FREQ: {"filters": {"filters": counts}}}}},
            "suggest": {"text": " ".join(words), SUGGESTER: {"term": term}}}


def _typed_counts(response: Mapping[str, Any]) -> tuple[dict[str, int], int]:
    """(records holding each syllable as typed, records in the index)."""
    every = response.get("aggregations", {}).get(FREQ, {})
    buckets = every.get(FREQ, {}).get("buckets", {})
    counts = {word: int(b.get("doc_count", 0)) for word, b in buckets.items()}
    return counts, int(every.get("doc_count", 0))


def _keep(typed_docs: int, candidate_docs: int, records: int) -> bool:
    """A rare or unknown syllable may become any neighbour (a slip); a common real word only
    a much rarer one (the record's text misread it)."""
    common = typed_docs >= max(REAL_WORD_DOCS, COMMON_SHARE * records)
    return not common or candidate_docs <= max(MISREAD_DOCS, typed_docs * MISREAD_RATIO)


def candidates_from(response: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Folded syllable -> indexed syllables one edit away worth trying, most frequent first."""
    typed, records = _typed_counts(response)
    out: dict[str, tuple[str, ...]] = {}
    for entry in response.get("suggest", {}).get(SUGGESTER, []):
        word = entry["text"]
        options = sorted(entry.get("options", []), key=lambda o: (-o.get("freq", 0), o["text"]))
        out[word] = tuple(o["text"] for o in options if o["text"] != word
                          and _keep(typed.get(word, 0), int(o.get("freq", 0)), records))
    return out


def alternatives(parsed: ParsedQuery, candidates: Mapping[str, Sequence[str]]) -> Alternatives:
    """Each folded syllable with its candidates (only at the positions that may be corrected)."""
    fuzzy = set(parsed.fuzzy_positions)
    return tuple((word, *(candidates.get(word, ()) if i in fuzzy else ()))
                 for i, word in enumerate(parsed.folded))


def _pairs(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(words))


def holds_as_typed(parsed: ParsedQuery, source: Mapping[str, Any]) -> bool:
    """Whether the record holds every free-text syllable of the query as typed, and most of
    its adjacent pairs side by side (not merely scattered over a long text)."""
    held: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for value in search_text_values(source, source.get("text")):
        words = [fold_spelling(s) for s in syllables(value)]
        held.update(words)
        pairs |= _pairs(words)
    rest = set(parsed.rest)
    if any(parsed.folded[i] not in held for i in rest):
        return False
    wanted = [(parsed.folded[i], parsed.folded[i + 1]) for i in rest if i + 1 in rest]
    return 2 * sum(pair in pairs for pair in wanted) > len(wanted) if wanted else True


def worth_relaxing(parsed: ParsedQuery, strict_total: int,
                   top: Mapping[str, Any] | None) -> bool:
    """Relax when there is free text (at most MAX_RELAXED_SYLLABLES syllables of it) and the
    strict reading found too little: nothing, or a
    best match holding the query's words only scattered (what a close spelling would find
    side by side is then likely elsewhere)."""
    if not parsed.rest or len(parsed.rest) > MAX_RELAXED_SYLLABLES:
        return False
    return strict_total == 0 or top is None or not holds_as_typed(parsed, top)


def _spellings(source: Mapping[str, Any]) -> dict[str, str]:
    """Folded syllable -> its accented spelling in this record (metadata before the text)."""
    text, *values = search_text_values(source, source.get("text"))
    out: dict[str, str] = {}
    for value in [*values, text]:
        for syllable in syllables(value):
            out.setdefault(fold_spelling(syllable), syllable)
    return out


def _chosen(variants: tuple[str, ...], spellings: Mapping[str, str]) -> str | None:
    """The accented candidate this record holds when it lacks the syllable as typed."""
    if variants[0] in spellings:
        return None
    return next((spellings[v] for v in variants[1:] if v in spellings), None)


def did_you_mean(parsed: ParsedQuery, alts: Alternatives,
                 source: Mapping[str, Any]) -> str | None:
    """The query as typed, each syllable the best relaxed hit lacks replaced by the candidate it
    holds; None when nothing would change."""
    spellings = _spellings(source)
    fixes = {i: word for i, variants in enumerate(alts)
             if len(variants) > 1 and (word := _chosen(variants, spellings))}
    if not fixes:
        return None
    text = normalize(parsed.raw)
    out, pos, j = [], 0, 0
    for match in _TOKEN_RE.finditer(text):
        if j < len(parsed.syllables) and match.group() == parsed.syllables[j]:
            if j in fixes:
                out += [text[pos:match.start()], fixes[j]]
                pos = match.end()
            j += 1
    out.append(text[pos:])
    fixed = " ".join("".join(out).split())
    # Offered only when the record holds the corrected query side by side: a correction that
    # merely made the words scattered over its text again corrects nothing.
    return fixed if holds_as_typed(parse_query(fixed), source) else None
