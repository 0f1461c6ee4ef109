"""Elasticsearch request bodies for result search (pure: ParsedQuery + filters -> dict).

Three requests per search: the *hits* request ranks and returns one page and the *count*
request gives the exact total, sent together (`_msearch`); then the *facets* request counts the
facets of every match, once it is known which reading (strict or relaxed) answers and how many
records match (a huge match set's facets are estimated from a sample). Split so the ranking can
stop early: with only the score to sort by and no exact total, Lucene skips documents that
cannot reach the page (block-max WAND), while the counts need no scores.

Scoring, in order of strength:
1. exact codes: the result number key, then any code (ID numbers, dates, codes read in text);
2. whole names found verbatim in the query (`search.keys*`): holder, parties, document type,
   agency, proper names of the text; most of all a type together with a holder or an agency;
3. free text over the folded fields (always, so a query typed without marks ranks like its
   accented twin) and adjacent syllables through the shingle sub-fields, accented as well when
   the user typed marks (exact accents win);
4. validity and recency: small additions, so among close scores the valid, then the newer,
   result comes first.
A *relaxed* search (domain.search.relax: the strict one found too little) is the same request
with each free-text syllable widened to itself or its corrections from the index vocabulary
(`Corrections`), all but one of them required, the names and pairs looked up over those
spellings too, and a bonus for matching the query as typed, so an exact match stays first.
A gate keeps only results matching a code or most of the query's syllables (one most records
hold taken as present), so totals and facets describe real matches rather than every document
containing "giấy". Known phrases (segments:
a document type, an agency) are matched through the role keys or, failing that, as most of
their adjacent pairs in the text,
and are left out of the free-text scoring: their syllables are common to every candidate, so
scoring them costs much and ranks nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.search.query import ParsedQuery, Segment
from domain.search.schema import (
    AGENCY,
    CODES,
    ENTITY,
    HIT_EXCLUDES,
    HIT_EXCLUDES_NO_TEXT,
    HOLDER,
    KEYS,
    KEYS_FOLDED,
    PARTY,
    RESULT_NUMBER_KEY,
    TEXT,
    TEXT_FOLDED,
    TEXT_FOLDED_SHINGLES,
    TEXT_SHINGLES,
    TYPE,
    WORDS,
)
from domain.validity import NOT_WITHDRAWN, WITHDRAWN, valid_filter

Options = Sequence[Sequence[str]]  # per syllable position: the spellings looked up


@dataclass(frozen=True)
class Corrections:
    """A relaxed search's spellings per query syllable, each the syllable as typed first.

    `close`: corrections that may stand for the syllable on their own (the gate, single
    syllables). `wide`: those and more, looked up only beside a neighbour as typed (pairs,
    whole names): a common word typed for another common word (`hùy` for `thùy`, `sinh` for
    `đinh`) is too common to stand alone, but its pair or the whole name is rare and decisive.
    """

    close: tuple[tuple[str, ...], ...]
    wide: tuple[tuple[str, ...], ...]

HIGHLIGHT_PRE = "\ue000"  # private-use characters: the caller escapes the fragment, then
HIGHLIGHT_POST = "\ue001"  # swaps these for markup
SORTS = ("relevance", "issued_on", "issued_on_asc")
MAX_SIZE = 100
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window

# A whole name/type/agency/proper name of the record found verbatim in the query (see
# domain.search.fields): prefix -> (n-gram lengths tried, boost). Proper names (`e`) are runs
# of any length, so a longer run found counts more (boost per syllable beyond the first).
KEY_ROLES: dict[str, tuple[range, float]] = {
    HOLDER: (range(2, 6), 3.0),
    PARTY: (range(2, 6), 2.0),  # other parties
    TYPE: (range(2, 13), 3.0),  # document type
    AGENCY: (range(2, 7), 3.0),  # agency (or the tail of its name)
    ENTITY: (range(2, 9), 2.0),  # proper names in the text
}
SCALED_ROLES = frozenset(ENTITY)
# Two roles found together: the officer's "<document type> <holder>" or "<type> <agency>".
KEY_PAIRS: tuple[tuple[str, str, float], ...] = ((TYPE, HOLDER, 15.0), (TYPE, AGENCY, 15.0))
SHINGLE_WEIGHT = 1.0
ACCENT_WEIGHT = 1.0  # the accented twin of every clause, added when the user typed marks
ACCENT_PAIR_WEIGHT = 0.5
WORDS_WEIGHT = 1.0
NUMBER_BOOST = 60.0  # the record's own result number, above any code merely mentioned
CODE_BOOST = 40.0
# Candidates the second phase reorders, the same on every page: a window that grew with the page
# asked would reorder a different set per page, and pages would repeat and miss results (the
# rescore documentation says as much). Further results keep the first phase's order.
RESCORE_WINDOW = 40
VALID_BOOST = 1.0  # added when the result is valid today
RECENCY_BOOST = 0.1  # at most this much for the newest: breaks ties, never outranks a match
RECENCY_PIVOT = "1825d"  # a result five years old gets half of it
GATE_MSM = "3<75%"  # up to 3 syllables: all; more: three quarters
CANDIDATE_WEIGHT = 0.8  # a corrected spelling scores a little less than the syllable as typed
EXACT_BOOST = 1.0  # relaxed search: matching the query as typed (the strict gate)
MAX_GRAMS = 256  # relaxed search: spellings of one n-gram looked up at most
# Facets over more matches than SAMPLE_ABOVE are estimated from about SAMPLE_SIZE of them: at a
# million records, counting five facets over all of them took 134 ms, over 2 % of them 17 ms,
# the counts within 2 %. The sampler aggregation's bucket name:
SAMPLE_ABOVE = 200_000
SAMPLE_SIZE = 20_000
# Facets counted with the total before it is known are drawn from this share of the matches:
# used only when the total proves over SAMPLE_ABOVE, so from SAMPLE_SIZE of them at least.
COUNT_SAMPLE = SAMPLE_SIZE / SAMPLE_ABOVE
SAMPLE_SEED = 20_221_225
SAMPLED = "sampled"
# Every facet's size (display names of codes: domain.search.vocabulary.load_facet_names).
FACET_SIZES = {"document_type": 50, "agency_code": 100, "agency_level": 5,
               "procedure_code": 100, "status": 5}


@dataclass(frozen=True)
class SearchFilters:
    agency_code: tuple[str, ...] = ()
    agency_level: tuple[str, ...] = ()
    document_type: tuple[str, ...] = ()
    procedure_code: tuple[str, ...] = ()
    valid_only: bool = False
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None


TERM_FILTERS = ("agency_code", "agency_level", "document_type", "procedure_code")


def chosen_filter_clauses(filters: SearchFilters, today: dt.date) -> list[dict[str, Any]]:
    """The filters the user chose (add new ones here), withdrawn records aside."""
    clauses: list[dict[str, Any]] = []
    for field in TERM_FILTERS:
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


def filter_clauses(filters: SearchFilters, today: dt.date) -> list[dict[str, Any]]:
    """Every filter of a search (hits, counts and suggestions alike): no withdrawn record, and
    the chosen ones."""
    return [NOT_WITHDRAWN, *chosen_filter_clauses(filters, today)]


def _match(field: str, text: str, boost: float) -> dict[str, Any]:
    return {"match": {field: {"query": text, "boost": boost}}}


def _exact(field: str, values: list[str], boost: float) -> dict[str, Any]:
    # Constant: a code either matches or not; how often it occurs says nothing.
    return {"constant_score": {"filter": {"terms": {field: values}}, "boost": boost}}


def _gated_text(folded_text: str) -> dict[str, Any]:
    # Folded syllables: scored, and required (most of them) unless a code matched. The same
    # clause gates and scores, so the commonest syllables' postings are read once.
    query = {"query": folded_text, "minimum_should_match": GATE_MSM}
    return {"match": {TEXT_FOLDED: query}}


def _gated_words(words: Sequence[str], common: frozenset[str]) -> dict[str, Any]:
    """The free-text gate over `words`, a common syllable taken as present: it is required
    only of the other ones, so Lucene leads with their postings instead of testing most of the
    index against the whole count (`ủy ban nhân dân quận`: 338 ms at a million records with
    every syllable counted, 205 ms like this). The common syllables are scored in the rescore
    (_common_words), where reading their postings costs forty documents, not every match."""
    rare = [w for w in words if w not in common]
    if len(rare) == len(words):
        return _gated_text(" ".join(words))
    if not rare:
        return {"match": {TEXT_FOLDED: " ".join(words)}}
    need = strict_need(len(words), len(words) - len(rare))
    return {"match": {TEXT_FOLDED: {"query": " ".join(rare), "minimum_should_match": need}}}


def _common_words(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """The common syllables the strict gate took as present beside rarer ones (_gated_words),
    scored as the gate scores the others."""
    rest = [parsed.folded[i] for i in parsed.rest]
    usual = [w for w in rest if w in parsed.common]
    if not usual or len(usual) == len(rest):
        return []
    return [{"match": {TEXT_FOLDED: " ".join(usual)}}]


def phrase_pairs(phrase: str) -> list[str]:
    """The adjacent syllable pairs of a folded phrase (terms of the shingle field)."""
    words = phrase.split()
    return [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]


def _phrase_in_text(phrase: str) -> dict[str, Any]:
    """Most of a phrase's adjacent pairs side by side in the text (GATE_MSM of them: a misread
    syllable breaks two). Pairs, not syllables: `quán thánh` scattered, or `quận ... Thanh`
    folded alike, is not the ward; and a pair's postings are far shorter than a common
    syllable's (`giấy chứng nhận đăng ký hộ kinh doanh`: eight syllables in most records)."""
    pairs = phrase_pairs(phrase)
    if not pairs:
        return _gated_text(phrase)
    return {"bool": {"should": [{"term": {TEXT_FOLDED_SHINGLES: p}} for p in pairs],
                     "minimum_should_match": GATE_MSM}}


def _segment_gate(segment: Segment) -> dict[str, Any]:
    """A known phrase: the record's own type/agency, or the phrase (mostly) in its text."""
    return {"bool": {"should": [{"term": {KEYS_FOLDED: segment.key}},
                                _phrase_in_text(segment.phrase)], "minimum_should_match": 1}}


def _text_gate(parsed: ParsedQuery) -> dict[str, Any]:
    rest = [parsed.folded[i] for i in parsed.rest]
    if not parsed.segments:
        return _gated_words(rest, parsed.common)
    gate: dict[str, Any] = {"filter": [_segment_gate(s) for s in parsed.segments]}
    if parsed.rest:
        gate["must"] = [_gated_words(rest, parsed.common)]
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


def _folded_pairs(parsed: ParsedQuery) -> list[str]:
    return [" ".join(parsed.folded[i : i + 2]) for a, b in _runs(parsed) for i in range(a, b - 1)]


def _pair_clauses(pairs: Sequence[str], weight: float) -> list[dict[str, Any]]:
    # One scored term per pair: what a `match` on the shingle field runs, pair by pair.
    return [{"term": {TEXT_FOLDED_SHINGLES: {"value": p, "boost": weight}}} for p in pairs]


def _one_corrected(options: Options) -> list[tuple[str, ...]]:
    """The positions as typed, and every spelling with one position corrected: a query carries
    one slip per name, and the product of every position's spellings grows as a power."""
    typed = tuple(spellings[0] for spellings in options)
    out = [typed]
    for k, spellings in enumerate(options):
        out += [(*typed[:k], other, *typed[k + 1:]) for other in spellings[1:]]
    return out


def _ngrams(options: Options, sizes: range) -> list[str]:
    """Every n-gram of the positions, as typed or with one correction (at most MAX_GRAMS
    spellings per n-gram)."""
    grams: list[str] = []
    for n in sizes:
        for i in range(len(options) - n + 1):
            spelt = _one_corrected(options[i : i + n])[:MAX_GRAMS]
            grams += [" ".join(words) for words in spelt]
    return grams


def _single(words: Sequence[str]) -> list[tuple[str]]:
    return [(w,) for w in words]


def _key_clauses(options: Options, field: str, weight: float) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    found: dict[str, dict[str, Any]] = {}
    for role, (sizes, boost) in KEY_ROLES.items():
        grams = _ngrams(options, sizes)
        if not grams:
            continue
        found[role] = {"terms": {field: [f"{role}:{g}" for g in grams]}}
        if role not in SCALED_ROLES:
            clauses.append(_exact(field, [f"{role}:{g}" for g in grams], boost * weight))
            continue
        for n in sizes:
            keys = [f"{role}:{g}" for g in _ngrams(options, range(n, n + 1))]
            if keys:
                clauses.append(_exact(field, keys, boost * (n - 1) * weight))
    for first, second, boost in KEY_PAIRS:
        if first in found and second in found:
            both = {"bool": {"filter": [found[first], found[second]]}}
            clauses.append({"constant_score": {"filter": both, "boost": boost * weight}})
    return clauses


def _spellings(spellings: Sequence[str], field: str = TEXT_FOLDED,
               weight: float = 1.0) -> dict[str, Any]:
    """One query syllable (or pair) as typed or corrected: the best of them counts, never
    their sum (a record holding several neighbours of a common syllable is no better a match)."""
    typed, *corrected = spellings
    queries = [{"term": {field: {"value": typed, "boost": weight}}}]
    queries += [{"term": {field: {"value": w, "boost": weight * CANDIDATE_WEIGHT}}}
                for w in corrected]
    return {"dis_max": {"queries": queries}}


def strict_msm(n: int) -> int:
    """GATE_MSM spelt out: all of up to three syllables, three quarters (rounded down) of more."""
    return n if n <= 3 else (3 * n) // 4


def strict_need(n: int, common: int) -> int:
    """How many of the uncommon syllables of `n` the strict gate requires, `common` of them
    taken as present: strict_msm(n) less those, at least one."""
    return max(1, strict_msm(n) - common)


def relaxed_msm(n: int) -> int:
    """All syllables but one; for more than four, the strict gate's three quarters (so the
    relaxed matches always include the strict ones)."""
    return max(1, n - 1) if n <= 4 else (3 * n) // 4


def _loose_within_strict(parsed: ParsedQuery, alts: Corrections) -> bool:
    """Whether every record the loose gate admits is a strict match already. The loose gate
    wants `relaxed_msm` of the positions, each as typed or corrected; the strict gate wants
    `strict_need` of the uncommon syllables as typed (any one when every one is common). A
    loose match may fill a position without a syllable the strict gate counts: at a common
    one, or by a correction. When those positions are too few to make up the loose gate, a
    loose match holds enough counted syllables as typed (`cho cửa àhng đồ`: `cửa` and `đồ`
    common, `àhng` held by no record, so every loose match holds `cho`). Then the strict gate
    alone holds the relaxed matches: a relaxed search only ranks them otherwise (corrected
    pairs and names)."""
    n = len(parsed.rest)
    common = sum(parsed.folded[i] in parsed.common for i in parsed.rest)
    counted = [i for i in parsed.rest if common == n or parsed.folded[i] not in parsed.common]
    corrected = sum(len(alts.close[i]) > 1 for i in counted)
    need = 1 if common == n else strict_need(n, common)
    return relaxed_msm(n) - (n - len(counted)) - corrected >= need


def _relaxed_gate(parsed: ParsedQuery, alts: Corrections, scored: bool) -> dict[str, Any]:
    """Known phrases as in the strict gate; of the other syllables, all but one must match,
    each as typed or as one of its corrections (exact term lookups), and two of them side by
    side; or the strict gate's matches, which take a common syllable as present (so the
    relaxed matches include them) and earn the bonus for matching the query as typed.
    Not this gate's own syllables: the one rare syllable left may be the slip (`Ngyuễn Thanh
    Phúc`, where `thanh` and `phúc` are in most records).

    Each part is in the request once: the strict gate, the phrases and the corrections are
    the costly lookups of a relaxed search. Unless `scored` (the hits request), the strict
    matches are left out where the loose ones include them (no syllable common): counting
    their union then costs what counting the loose ones does. When the loose matches are
    strict ones (_loose_within_strict), the side-by-side condition holds of every match and
    is left out; with no syllable common the two gates are one, and so is the bonus."""
    positions = [_spellings(alts.close[i]) for i in parsed.rest]
    loose: dict[str, Any] = {"bool": {"should": positions,
                                      "minimum_should_match": relaxed_msm(len(positions))}}
    strict = _gated_words([parsed.folded[i] for i in parsed.rest], parsed.common)
    within = _loose_within_strict(parsed, alts)
    same = within and not parsed.common  # the two gates admit the same records
    if within and not scored:
        loose = strict
    elif not same and (scored or parsed.common):
        exact = {"constant_score": {"filter": strict, "boost": EXACT_BOOST}}
        loose = {"bool": {"should": [loose, exact], "minimum_should_match": 1}}
    gate: dict[str, Any] = {"bool": {"must": [loose]}}
    pairs = [] if within else _rest_pairs(parsed, alts)
    if pairs:
        # With one syllable allowed to miss, the rest of a name may be common words (`Phương Hà`
        # of `Liều Phương Hà`: most records hold both); a relaxed match must also hold two of
        # the query's syllables side by side, in some spelling, or be a strict match.
        side_by_side = {"terms": {TEXT_FOLDED_SHINGLES: pairs}}
        gate["bool"]["filter"] = [{"bool": {"should": [side_by_side, strict],
                                            "minimum_should_match": 1}}]
    if parsed.segments:
        gate["bool"]["filter"] = [*gate["bool"].get("filter", []),
                                  *(_segment_gate(s) for s in parsed.segments)]
    return gate


def _rest_pairs(parsed: ParsedQuery, alts: Corrections) -> list[str]:
    """Adjacent free-text syllables of the query, as typed or with one side corrected."""
    rest = set(parsed.rest)
    return [" ".join(p) for i in parsed.rest if i + 1 in rest
            for p in _one_corrected(alts.wide[i : i + 2])]


def _gate(parsed: ParsedQuery, alts: Corrections | None = None,
          scored: bool = False) -> dict[str, Any]:
    """Required: a code matches, or most of the query's syllables do (scored); relaxed (with
    `alts`), or all but one syllable in some spelling does."""
    options: list[dict[str, Any]] = []
    if parsed.codes:
        options.append(_exact(CODES, list(parsed.code_terms), CODE_BOOST))
        options.append(_exact(RESULT_NUMBER_KEY, list(parsed.result_number_keys), NUMBER_BOOST))
    if alts and parsed.rest:  # includes the strict text gate's matches
        options.append(_relaxed_gate(parsed, alts, scored))
    elif parsed.folded:
        options.append(_text_gate(parsed))
    return {"bool": {"should": options, "minimum_should_match": 1}}


def _relaxed_pairs(parsed: ParsedQuery, alts: Corrections,
                   common: frozenset[str]) -> list[dict[str, Any]]:
    """Adjacent pairs, as typed or with one side corrected (the best spelling counts). A pair
    that most records hold as typed is left out: both its syllables are real and common, so
    it ranks little and costs much."""
    clauses: list[dict[str, Any]] = []
    for start, end in _runs(parsed):
        for i in range(start, end - 1):
            pairs = [" ".join(p) for p in _one_corrected(alts.wide[i : i + 2])]
            if pairs[0] in common:
                continue
            clauses.append(_spellings(pairs, TEXT_FOLDED_SHINGLES, SHINGLE_WEIGHT))
    return clauses


def relaxed_clauses(parsed: ParsedQuery, alts: Corrections,
                    common: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """A relaxed search's extra evidence: the query as typed (bonus), names and pairs in the
    corrected spellings."""
    return [*_relaxed_pairs(parsed, alts, common), *_key_clauses(alts.wide, KEYS_FOLDED, 1.0)]


def scoring_clauses(parsed: ParsedQuery, alts: Corrections | None = None,
                    common: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Evidence scored on every match besides the gate: phrases (folded shingles, but for the
    `common` pairs, left to the rescore) and whole names (exact keys, accented ones too when
    marks were typed)."""
    clauses: list[dict[str, Any]] = []
    if parsed.folded and alts:
        clauses += relaxed_clauses(parsed, alts, common)
    elif parsed.folded:
        rare = [p for p in _folded_pairs(parsed) if p not in common]
        clauses += _pair_clauses(rare, SHINGLE_WEIGHT)
        clauses += _key_clauses(_single(parsed.folded), KEYS_FOLDED, 1.0)
    if parsed.has_diacritics:
        clauses += _key_clauses(_single(parsed.syllables), KEYS, ACCENT_WEIGHT)
    return clauses


def refining_clauses(parsed: ParsedQuery,
                     common: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Evidence that only reorders close candidates: the common pairs (`common`) and syllables
    (parsed.common), accents and whole words. Scored on the best RESCORE_WINDOW matches only (a
    rescore), where it costs little."""
    clauses = _pair_clauses([p for p in _folded_pairs(parsed) if p in common], SHINGLE_WEIGHT)
    if parsed.has_diacritics:
        clauses += _shingle_clauses(parsed, TEXT_SHINGLES, parsed.syllables,
                                    ACCENT_PAIR_WEIGHT * SHINGLE_WEIGHT)
        if not clauses and parsed.rest:  # a lone syllable: no pair carries its marks
            clauses.append(_match(TEXT, parsed.rest_text, ACCENT_WEIGHT))
    clauses += _common_words(parsed)
    if parsed.words:  # whole words of the metadata (`giấy_phép`, `nguyễn_văn_an`)
        clauses.append(_match(WORDS, " ".join(parsed.words), WORDS_WEIGHT))
    return clauses


def ordering_clauses(today: dt.date) -> list[dict[str, Any]]:
    """Small additive scores: valid today, then recently issued (plain clauses: Lucene can
    bound their scores, unlike a function_score's)."""
    recency = {"field": "issued_on", "origin": today.isoformat(), "pivot": RECENCY_PIVOT,
               "boost": RECENCY_BOOST}
    return [{"constant_score": {"filter": valid_filter(today), "boost": VALID_BOOST}},
            {"distance_feature": recency}]


def build_query(parsed: ParsedQuery, filters: SearchFilters, today: dt.date,
                alts: Corrections | None = None,
                common: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The first-phase `query`: gate + scoring clauses, filtered. With no text, every result
    the filters allow, valid and newest first. `alts`: relaxed (see the module's docstring)."""
    if parsed.is_empty:
        must, should = [{"match_all": {}}], ordering_clauses(today)
    else:
        must, should = [_gate(parsed, alts, scored=True)], scoring_clauses(parsed, alts, common)
    # Withdrawn records excluded as a clause of their own rather than as a filter: Lucene then
    # skips the few withdrawn documents instead of testing every candidate against the filter.
    return {"bool": {"must": must, "filter": chosen_filter_clauses(filters, today),
                     "must_not": [WITHDRAWN], "should": should}}


def rescore(parsed: ParsedQuery, today: dt.date, window: int, relaxed: bool = False,
            common: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Second phase on the best `window` matches: refining + ordering scores are added. A
    relaxed search is not refined by accents and words as typed: they would reward exactly
    the syllables a misspelt query or a misread record lacks."""
    refining = [] if relaxed else refining_clauses(parsed, common)
    refine = {"bool": {"should": refining + ordering_clauses(today)}}
    return {"window_size": window,
            "query": {"rescore_query": refine, "query_weight": 1.0, "rescore_query_weight": 1.0}}


def match_filter(parsed: ParsedQuery, filters: SearchFilters, today: dt.date,
                 alts: Corrections | None = None) -> dict[str, Any]:
    """The same matches as build_query, without scores: what totals and facets count."""
    clauses = filter_clauses(filters, today)
    if not parsed.is_empty:
        clauses.insert(0, _gate(parsed, alts))
    return {"bool": {"filter": clauses}}


def _facet(field: str) -> dict[str, Any]:
    return {"terms": {"field": field, "size": FACET_SIZES[field]}}


def aggregations(today: dt.date, with_options: bool = False) -> dict[str, Any]:
    """Facets: counts per document type, agency, level, procedure, status, and how many are
    valid today; `with_options` adds every value in the index
    (a `global` aggregation: the search form's lists, in the same round trip)."""
    aggs: dict[str, Any] = {field: _facet(field) for field in FACET_SIZES}
    aggs["valid"] = {"filter": valid_filter(today)}
    if with_options:
        aggs["everything"] = {"global": {}, "aggs": {f: _facet(f) for f in FACET_SIZES}}
    return aggs


def highlight(parsed: ParsedQuery, alts: Corrections | None = None) -> dict[str, Any]:
    """Fragments from the full text and metadata; from the folded twins only when the user typed
    no marks (accented fields would light up just the syllables that happen to carry none).
    Each field gets its own plain `match` as highlight query: the highlighter need not pull
    terms out of the whole scoring query (most of the cost of a search otherwise)."""
    if alts:  # corrected spellings are in the folded field only
        field, text = TEXT_FOLDED, " ".join(w for spellings in alts.wide for w in spellings)
    elif parsed.has_diacritics:
        field, text = TEXT, parsed.text
    else:
        field, text = TEXT_FOLDED, parsed.folded_text
    fields: dict[str, Any] = {field: {"fragment_size": 150, "number_of_fragments": 3}}
    if text:
        fields[field]["highlight_query"] = {"match": {field: text}}
    # The best fragment first, not the first in the text.
    return {"pre_tags": [HIGHLIGHT_PRE], "post_tags": [HIGHLIGHT_POST], "order": "score",
            "fields": fields}


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
    alts: Corrections | None = None,
    common_pairs: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The hits request: one page, ranked, highlighted; no total (see build_facets_body).
    `common_pairs` (domain.search.term_stats): folded pairs scored in the rescore only."""
    size = max(1, min(int(size), MAX_SIZE))
    start = (max(1, int(page)) - 1) * size
    if start + size > MAX_WINDOW:
        raise ValueError(f"page {page} is beyond the first {MAX_WINDOW} results")
    body: dict[str, Any] = {
        "query": build_query(parsed, filters, today, alts, common_pairs),
        "sort": sort_clause(sort),
        "from": start,
        "size": size,
        "track_total_hits": False,
        "_source": {"excludes": list(HIT_EXCLUDES_NO_TEXT)},
    }
    if sort != "relevance":
        # Hits sorted by a field carry no score unless asked; sorted by score they do, and
        # asking anyway would make Lucene score every match (no early termination).
        body["track_scores"] = True
    if not parsed.is_empty:
        body["highlight"] = highlight(parsed, alts)
        # The full text is needed to put the accents back on fragments of folded fields.
        body["_source"] = {"excludes": list(HIT_EXCLUDES)}
        if sort == "relevance":  # a rescore cannot go with any other sort
            body["rescore"] = rescore(parsed, today, RESCORE_WINDOW, relaxed=bool(alts),
                                      common=common_pairs)
    return body


def facet_sample(total: int) -> float | None:
    """The share of `total` matches to count facets over: None (all of them) up to
    SAMPLE_ABOVE."""
    if total <= SAMPLE_ABOVE:
        return None
    return SAMPLE_SIZE / total  # < 0.5, as random_sampler wants


def _facet_aggs(today: dt.date, with_options: bool, sample: float | None) -> dict[str, Any]:
    """The facets' aggregations, counted over a random `sample` share of the matches when
    given (drawn with a fixed seed: the same query gives the same figures); the form's
    options (`with_options`) are always counted over every record."""
    aggs = aggregations(today, with_options)
    if sample is None:
        return aggs
    everything = aggs.pop("everything", None)
    aggs = {SAMPLED: {"random_sampler": {"probability": sample, "seed": SAMPLE_SEED},
                      "aggs": aggs}}
    if everything:
        aggs["everything"] = everything
    return aggs


def build_count_body(parsed: ParsedQuery, *, filters: SearchFilters, today: dt.date,
                     alts: Corrections | None = None, facets: bool = False,
                     with_options: bool = False, sample: float | None = None
                     ) -> dict[str, Any]:
    """The exact total of the matches, nothing scored; with `facets`, their facets counted in
    the same pass (over a `sample` share of the matches when given: see COUNT_SAMPLE)."""
    body = {"query": match_filter(parsed, filters, today, alts), "size": 0,
            "track_total_hits": True}
    if facets:
        body["aggs"] = _facet_aggs(today, with_options, sample)
    return body


def build_facets_body(parsed: ParsedQuery, *, filters: SearchFilters, today: dt.date,
                      with_options: bool = False, alts: Corrections | None = None,
                      sample: float | None = None) -> dict[str, Any]:
    """The facets of every match (the same matches as build_count_body). With `sample`
    (facet_sample), estimated from that share of the matches."""
    return {"query": match_filter(parsed, filters, today, alts), "size": 0,
            "track_total_hits": False, "aggs": _facet_aggs(today, with_options, sample)}
