"""Elasticsearch request bodies for result search (pure: ParsedQuery + filters -> dict).

Two requests per search, sent together (`_msearch`): the *hits* request ranks and returns one
page; the *facets* request counts every match (total and facets) without scoring any. Split so
the ranking can stop early: with only the score to sort by and no exact total, Lucene skips
documents that cannot reach the page (block-max WAND), while the counts need no scores.

Scoring, in order of strength:
1. exact codes: the result number key, then any code (ID numbers, dates, codes read in text);
2. whole names found verbatim in the query (`search.keys*`): holder, parties, document type,
   agency, proper names of the text; most of all a type together with a holder or an agency;
3. free text over the folded fields (always, so a query typed without marks ranks like its
   accented twin) and adjacent syllables through the shingle sub-fields, accented as well when
   the user typed marks (exact accents win);
4. validity and recency: small additions, so among close scores the valid, then the newer,
   result comes first.
A gate keeps only results matching a code or most of the query's syllables, so totals and facets
describe real matches rather than every document containing "giấy". Known phrases (segments:
a document type, an agency) are matched through the role keys or, failing that, in the text,
and are left out of the free-text scoring: their syllables are common to every candidate, so
scoring them costs much and ranks nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.search.query import ParsedQuery, Segment
from domain.validity import NOT_WITHDRAWN, valid_filter

HIGHLIGHT_PRE = "\ue000"  # private-use characters: the caller escapes the fragment, then
HIGHLIGHT_POST = "\ue001"  # swaps these for markup
SORTS = ("relevance", "issued_on", "issued_on_asc")
MAX_SIZE = 100
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window

# A whole name/type/agency/proper name of the record found verbatim in the query (see
# domain.search.fields): prefix -> (n-gram lengths tried, boost). Proper names (`e`) are runs
# of any length, so a longer run found counts more (boost per syllable beyond the first).
KEY_ROLES: dict[str, tuple[range, float]] = {
    "n": (range(2, 6), 3.0),  # holder
    "p": (range(2, 6), 2.0),  # other parties
    "t": (range(2, 13), 3.0),  # document type
    "a": (range(2, 7), 3.0),  # agency (or the tail of its name)
    "e": (range(2, 9), 2.0),  # proper names in the text
}
SCALED_ROLES = frozenset("e")
# Two roles found together: the officer's "<document type> <holder>" or "<type> <agency>".
KEY_PAIRS: tuple[tuple[str, str, float], ...] = (("t", "n", 15.0), ("t", "a", 15.0))
SHINGLE_WEIGHT = 1.0
ACCENT_WEIGHT = 1.0  # the accented twin of every clause, added when the user typed marks
WORDS_WEIGHT = 1.0
NUMBER_BOOST = 60.0  # the record's own result number, above any code merely mentioned
CODE_BOOST = 40.0
RESCORE_WINDOW = 100  # candidates the second phase reorders (more when a deeper page is asked)
VALID_BOOST = 1.0  # added when the result is valid today
RECENCY_BOOST = 0.1  # at most this much for the newest: breaks ties, never outranks a match
RECENCY_PIVOT = "1825d"  # a result five years old gets half of it
GATE_MSM = "3<75%"  # up to 3 syllables: all; more: three quarters


@dataclass(frozen=True)
class SearchFilters:
    agency_code: tuple[str, ...] = ()
    agency_level: tuple[str, ...] = ()
    document_type: tuple[str, ...] = ()
    procedure_code: tuple[str, ...] = ()
    valid_only: bool = False
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None


def filter_clauses(filters: SearchFilters, today: dt.date) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = [NOT_WITHDRAWN]
    for field in ("agency_code", "agency_level", "document_type", "procedure_code"):
        values = [v for v in getattr(filters, field) if v]
        if values:
            clauses.append({"terms": {field: values}})
    if filters.valid_only:
        clauses.append(valid_filter(today))
    issued: dict[str, str] = {}
    if filters.issued_from:
        issued["gte"] = filters.issued_from.isoformat()
    if filters.issued_to:
        issued["lte"] = filters.issued_to.isoformat()
    if issued:
        clauses.append({"range": {"issued_on": issued}})
    return clauses


def _match(field: str, text: str, boost: float) -> dict[str, Any]:
    return {"match": {field: {"query": text, "boost": boost}}}


def _exact(field: str, values: list[str], boost: float) -> dict[str, Any]:
    # Constant: a code either matches or not; how often it occurs says nothing.
    return {"constant_score": {"filter": {"terms": {field: values}}, "boost": boost}}


def _gated_text(folded_text: str) -> dict[str, Any]:
    # Folded syllables: scored, and required (most of them) unless a code matched. The same
    # clause gates and scores, so the commonest syllables' postings are read once.
    query = {"query": folded_text, "minimum_should_match": GATE_MSM}
    return {"match": {"search.text_folded": query}}


def _segment_gate(segment: Segment) -> dict[str, Any]:
    """A known phrase: the record's own type/agency, or the phrase (mostly) in its text."""
    return {"bool": {"should": [{"term": {"search.keys_folded": segment.key}},
                                _gated_text(segment.phrase)], "minimum_should_match": 1}}


def _text_gate(parsed: ParsedQuery) -> dict[str, Any]:
    if not parsed.segments:
        return _gated_text(parsed.folded_text)
    gate: dict[str, Any] = {"filter": [_segment_gate(s) for s in parsed.segments]}
    if parsed.rest:
        gate["must"] = [_gated_text(parsed.rest_folded_text)]
    return {"bool": gate}


def _runs(parsed: ParsedQuery) -> list[tuple[int, int]]:
    """Spans [start, end) whose adjacent pairs the shingle clauses score: every pair except
    those inside one segment (the pairs bridging a segment and its neighbour stay)."""
    inside = {i for s in parsed.segments for i in range(s.start, s.end - 1)}
    runs: list[tuple[int, int]] = []
    for i in range(len(parsed.syllables) - 1):
        if i in inside:
            continue
        if runs and runs[-1][1] == i + 1:
            runs[-1] = (runs[-1][0], i + 2)
        else:
            runs.append((i, i + 2))
    return runs


def _shingle_clauses(parsed: ParsedQuery, field: str, words: tuple[str, ...],
                     weight: float) -> list[dict[str, Any]]:
    return [_match(field, " ".join(words[a:b]), weight) for a, b in _runs(parsed)]


def _ngrams(words: tuple[str, ...], sizes: range) -> list[str]:
    return [" ".join(words[i : i + n]) for n in sizes for i in range(len(words) - n + 1)]


def _key_clauses(words: tuple[str, ...], field: str, weight: float) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    found: dict[str, dict[str, Any]] = {}
    for role, (sizes, boost) in KEY_ROLES.items():
        grams = _ngrams(words, sizes)
        if not grams:
            continue
        found[role] = {"terms": {field: [f"{role}:{g}" for g in grams]}}
        if role not in SCALED_ROLES:
            clauses.append(_exact(field, [f"{role}:{g}" for g in grams], boost * weight))
            continue
        for n in sizes:
            keys = [f"{role}:{g}" for g in _ngrams(words, range(n, n + 1))]
            if keys:
                clauses.append(_exact(field, keys, boost * (n - 1) * weight))
    for first, second, boost in KEY_PAIRS:
        if first in found and second in found:
            both = {"bool": {"filter": [found[first], found[second]]}}
            clauses.append({"constant_score": {"filter": both, "boost": boost * weight}})
    return clauses


def _gate(parsed: ParsedQuery) -> dict[str, Any]:
    """Required: a code matches, or most of the query's syllables do (scored)."""
    options: list[dict[str, Any]] = []
    if parsed.codes:
        options.append(_exact("codes", list(parsed.code_terms), CODE_BOOST))
        options.append(_exact("result_number_key", list(parsed.result_number_keys), NUMBER_BOOST))
    if parsed.folded:
        options.append(_text_gate(parsed))
    return {"bool": {"should": options, "minimum_should_match": 1}}


def scoring_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """Evidence scored on every match besides the gate: phrases (folded shingles) and whole
    names (exact keys, accented ones too when marks were typed)."""
    clauses: list[dict[str, Any]] = []
    if parsed.folded:
        clauses += _shingle_clauses(parsed, "search.text_folded.shingles", parsed.folded,
                                    SHINGLE_WEIGHT)
        clauses += _key_clauses(parsed.folded, "search.keys_folded", 1.0)
    if parsed.has_diacritics:
        clauses += _key_clauses(parsed.syllables, "search.keys", ACCENT_WEIGHT)
    return clauses


def refining_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """Evidence that only reorders close candidates: accents and whole words. Scored on the
    best RESCORE_WINDOW matches only (a rescore), where it decides and costs little."""
    clauses: list[dict[str, Any]] = []
    if parsed.has_diacritics:
        clauses += _shingle_clauses(parsed, "search.text.shingles", parsed.syllables,
                                    ACCENT_WEIGHT * SHINGLE_WEIGHT)
        if not clauses and parsed.rest:  # a lone syllable: no pair carries its marks
            clauses.append(_match("search.text", parsed.rest_text, ACCENT_WEIGHT))
    if parsed.words:  # whole words of the metadata (`giấy_phép`, `nguyễn_văn_an`)
        clauses.append(_match("search.words", " ".join(parsed.words), WORDS_WEIGHT))
    return clauses


def ordering_clauses(today: dt.date) -> list[dict[str, Any]]:
    """Small additive scores: valid today, then recently issued (plain clauses: Lucene can
    bound their scores, unlike a function_score's)."""
    recency = {"field": "issued_on", "origin": today.isoformat(), "pivot": RECENCY_PIVOT,
               "boost": RECENCY_BOOST}
    return [{"constant_score": {"filter": valid_filter(today), "boost": VALID_BOOST}},
            {"distance_feature": recency}]


def build_query(parsed: ParsedQuery, filters: SearchFilters, today: dt.date) -> dict[str, Any]:
    """The first-phase `query`: gate + scoring clauses, filtered. With no text, every result
    the filters allow, valid and newest first."""
    if parsed.is_empty:
        must, should = [{"match_all": {}}], ordering_clauses(today)
    else:
        must, should = [_gate(parsed)], scoring_clauses(parsed)
    return {"bool": {"must": must, "filter": filter_clauses(filters, today), "should": should}}


def rescore(parsed: ParsedQuery, today: dt.date, window: int) -> dict[str, Any]:
    """Second phase on the best `window` matches: refining + ordering scores are added."""
    refine = {"bool": {"should": refining_clauses(parsed) + ordering_clauses(today)}}
    return {"window_size": window,
            "query": {"rescore_query": refine, "query_weight": 1.0, "rescore_query_weight": 1.0}}


def match_filter(parsed: ParsedQuery, filters: SearchFilters, today: dt.date) -> dict[str, Any]:
    """The same matches as build_query, without scores: what totals and facets count."""
    clauses = filter_clauses(filters, today)
    if not parsed.is_empty:
        clauses.insert(0, _gate(parsed))
    return {"bool": {"filter": clauses}}


def aggregations(today: dt.date) -> dict[str, Any]:
    """Facets: counts per document type, agency, level, status, and how many are valid today."""
    terms = {"document_type": 50, "agency_code": 100, "agency_level": 5, "status": 5}
    aggs: dict[str, Any] = {k: {"terms": {"field": k, "size": n}} for k, n in terms.items()}
    aggs["valid"] = {"filter": valid_filter(today)}
    return aggs


def highlight(parsed: ParsedQuery) -> dict[str, Any]:
    """Fragments from the full text and metadata; from the folded twins only when the user typed
    no marks (accented fields would light up just the syllables that happen to carry none).
    Each field gets its own plain `match` as highlight query: the highlighter need not pull
    terms out of the whole scoring query (most of the cost of a search otherwise)."""
    suffix, text = ("", parsed.text) if parsed.has_diacritics else ("_folded", parsed.folded_text)
    fields: dict[str, Any] = {}
    field = f"search.text{suffix}"
    fields[field] = {"fragment_size": 150, "number_of_fragments": 3}
    if text:
        fields[field]["highlight_query"] = {"match": {field: text}}
    return {"pre_tags": [HIGHLIGHT_PRE], "post_tags": [HIGHLIGHT_POST], "fields": fields}


def sort_clause(sort: str) -> list[Any]:
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if sort == "relevance":
        # The score alone (ties: validity and recency are in it): any further sort key would
        # make Lucene score every match instead of skipping those that cannot make the page.
        return ["_score"]
    order = "desc" if sort == "issued_on" else "asc"
    return [{"issued_on": {"order": order, "missing": "_last"}}, "_score", {"result_id": "asc"}]


def build_search_body(
    parsed: ParsedQuery,
    *,
    filters: SearchFilters,
    today: dt.date,
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
) -> dict[str, Any]:
    """The hits request: one page, ranked, highlighted; no total (see build_facets_body)."""
    size = max(1, min(int(size), MAX_SIZE))
    start = (max(1, int(page)) - 1) * size
    if start + size > MAX_WINDOW:
        raise ValueError(f"page {page} is beyond the first {MAX_WINDOW} results")
    body: dict[str, Any] = {
        "query": build_query(parsed, filters, today),
        "sort": sort_clause(sort),
        "from": start,
        "size": size,
        "track_total_hits": False,
        "_source": {"excludes": ["text", "pages", "search", "codes"]},
    }
    if sort != "relevance":
        # Hits sorted by a field carry no score unless asked; sorted by score they do, and
        # asking anyway would make Lucene score every match (no early termination).
        body["track_scores"] = True
    if not parsed.is_empty:
        body["highlight"] = highlight(parsed)
        if sort == "relevance":  # a rescore cannot go with any other sort
            body["rescore"] = rescore(parsed, today, max(RESCORE_WINDOW, start + size))
    return body


def build_facets_body(parsed: ParsedQuery, *, filters: SearchFilters,
                      today: dt.date) -> dict[str, Any]:
    """The counts request: the exact total and the facets of every match, nothing scored."""
    return {
        "query": match_filter(parsed, filters, today),
        "size": 0,
        "track_total_hits": True,
        "aggs": aggregations(today),
    }
