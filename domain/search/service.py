"""Run a result search on Elasticsearch and answer in the shape docs/interfaces.md gives.

The request bodies come from es_query (a ranked page; counts and facets); this module sends both
in one `_msearch`, maps hits (validity on the effective today, replacement link, safe
highlights), turns aggregations into facets with counts, and adds paging figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError

from domain.search import highlights, match_bound, relax
from domain.search import suggest as suggest_terms
from domain.search.es_query import (
    COUNT_SAMPLE,
    SAMPLE_ABOVE,
    SAMPLED,
    Corrections,
    SearchFilters,
    build_count_body,
    build_facets_body,
    build_search_body,
    chosen_filter_clauses,
    facet_sample,
)
from domain.search.params import SearchRequest
from domain.search.query import ParsedQuery, parse_query
from domain.search.schema import highlight_sources
from domain.search.term_stats import TermStats, TermStatsCache
from domain.search.vocabulary import FacetNames, IndexCache, VocabularyCache, load_facet_names
from domain.settings import Settings
from domain.validity import LABELS, validity_state

SEARCH_TIMEOUT_S = 15
# Facets are counted exactly in the total's own request when the gate's matches are surely at
# most this many (domain.search.match_bound). Over SAMPLE_ABOVE matches that costs more than a
# sample, but less than a pass apart: at a million records, exact facets added 16-61 ms to a
# count of 140 000-460 000 matches, the pass apart took 30-85 ms and a round trip.
EXACT_WITH_TOTAL = 600_000
# Prefix lookups list terms in alphabetical order: take several times what is shown, so the
# commonest completions are among those counted.
ENUM_FACTOR = 5
# Fields each hit carries besides the documented ones (all additive).
EXTRA_FIELDS = ("procedure_code", "procedure_name", "agency_level", "valid_from", "valid_until",
                "replaced_by", "page_count")


VOCABULARIES = VocabularyCache()
FACET_NAMES = IndexCache(load_facet_names)
TERM_STATS = TermStatsCache()


class SearchUnavailable(Exception):
    """Elasticsearch cannot answer (down, overloaded, or the index is missing)."""


class SearchFailed(Exception):
    """Elasticsearch refused a search for another reason (a bug on our side, never the input)."""


def _buckets(agg: dict[str, Any], names: Mapping[str, str]) -> list[dict[str, Any]]:
    out = []
    for bucket in agg.get("buckets", []):
        item: dict[str, Any] = {"value": bucket["key"], "count": bucket["doc_count"]}
        if bucket["key"] in names:
            item["name"] = names[bucket["key"]]
        out.append(item)
    return out


def facets_from(aggs: dict[str, Any], names: FacetNames | None = None) -> dict[str, Any]:
    """Facets from the counts' aggregations, each code with its display name when known."""
    facets: dict[str, Any] = {}
    for name, agg in aggs.items():
        if name == "everything" or not isinstance(agg, dict):
            continue
        if "buckets" in agg:
            facets[name] = _buckets(agg, (names or {}).get(name, {}))
        elif "doc_count" in agg:
            facets[name] = agg["doc_count"]
    return facets


def map_hit(hit: dict[str, Any], today: dt.date) -> dict[str, Any]:
    source = hit.get("_source", {})
    state = validity_state(source, today)
    score = hit.get("_score")
    item: dict[str, Any] = {
        "result_id": source.get("result_id", hit["_id"]),
        "score": round(score, 4) if isinstance(score, (int, float)) else None,
        "result_number": source.get("result_number"),
        "document_type": source.get("document_type"),
        "agency_code": source.get("agency_code"),
        "agency_name": source.get("agency_name"),
        "issued_on": source.get("issued_on"),
        "status": source.get("status"),
        "valid": state == "valid",
        "validity": state,
        "validity_label": LABELS[state],
        "holder_name": source.get("holder_name"),
        # Records without a review object came with a full manifest: nothing to confirm.
        "review_state": (source.get("review") or {}).get("state") or "confirmed",
        "highlights": highlights.fragments(hit.get("highlight", {}), highlight_sources(source)),
    }
    item.update({f: source.get(f) for f in EXTRA_FIELDS})
    return item


def _unavailable(index: str, status: int) -> SearchUnavailable | None:
    if status == 404:
        return SearchUnavailable(f"index {index} does not exist; run `sohoa init`")
    if status in (429, 502, 503, 504):
        return SearchUnavailable(f"Elasticsearch answered {status}")
    return None


def _guarded(index: str, call: Callable[[], Any]) -> Any:
    """Run one Elasticsearch call, turning "cannot answer now" into SearchUnavailable."""
    try:
        return call()
    except (EsConnectionError, ConnectionTimeout) as exc:
        raise SearchUnavailable("Elasticsearch is unreachable") from exc
    except ApiError as exc:
        unavailable = _unavailable(index, exc.meta.status)
        if unavailable:
            raise unavailable from exc
        raise


def execute(client: Elasticsearch, index: str,
            bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send the bodies as one `_msearch` (Elasticsearch runs them side by side); responses in
    the same order, or SearchUnavailable / SearchFailed for the first that failed."""
    searches: list[dict[str, Any]] = []
    for body in bodies:
        searches += [{"index": index}, body]
    timed = client.options(request_timeout=SEARCH_TIMEOUT_S)
    responses = _guarded(index, lambda: timed.msearch(searches=searches).body["responses"])
    for response in responses:
        if "error" in response:
            status = int(response.get("status", 500))
            raise _unavailable(index, status) or SearchFailed(
                f"search refused ({status}): {response['error'].get('type')}")
    return responses


def parse(client: Elasticsearch, index: str, q: str) -> ParsedQuery:
    """The query, with the phrases this index knows recognised."""
    return parse_query(q, _guarded(index, lambda: VOCABULARIES.get(client, index)))


def _term_stats(client: Elasticsearch, index: str, parsed: ParsedQuery) -> TermStats:
    if not parsed.folded:
        return TermStats()
    keys = [segment.key for segment in parsed.segments]
    return _guarded(index, lambda: TERM_STATS.get(client, index, parsed.folded_text, keys))


@dataclass(frozen=True)
class _Reading:
    """One reading of the query that answered: its page and its total with the facets counted
    over a `sample` share of the matches (None: all of them), relaxed over `alts` or strict
    (None)."""
    ranked: dict[str, Any]
    counted: dict[str, Any]
    sample: float | None
    relaxed: bool = False
    did_you_mean: str | None = None
    alts: Corrections | None = None

    @property
    def total(self) -> int:
        return int(self.counted["hits"]["total"]["value"])


def _bodies(parsed: ParsedQuery, request: SearchRequest, today: dt.date,
            alts: Corrections | None = None, common: frozenset[str] = frozenset(),
            sample: float | None = None, with_options: bool = False) -> list[dict[str, Any]]:
    """The ranked page and the exact total (relaxed when `alts` are given), the facets counted
    with the total over a `sample` share of the matches (None: all)."""
    hits = build_search_body(parsed, filters=request.filters, today=today, sort=request.sort,
                             page=request.page, size=request.size, alts=alts,
                             common_pairs=common)
    return [hits, build_count_body(parsed, filters=request.filters, today=today, alts=alts,
                                   facets=True, with_options=with_options, sample=sample)]


def _count_sample(bound: int | None, floor: int = 0) -> float | None:
    """The share of the matches to count the facets over in the total's own request: all of
    them (None) when surely at most EXACT_WITH_TOTAL, else COUNT_SAMPLE; COUNT_SAMPLE too when
    surely over SAMPLE_ABOVE (the sample stands, and costs a fraction of an exact count)."""
    if floor > SAMPLE_ABOVE:
        return COUNT_SAMPLE
    return None if bound is not None and bound <= EXACT_WITH_TOTAL else COUNT_SAMPLE


def _floor(parsed: ParsedQuery, stats: TermStats, request: SearchRequest, today: dt.date) -> int:
    """At least how many records match (match_bound.strict_floor), known only with no filter."""
    chosen = chosen_filter_clauses(request.filters, today)
    return 0 if chosen else match_bound.strict_floor(parsed, stats)


def _facets(client: Elasticsearch, index: str, parsed: ParsedQuery, request: SearchRequest,
            today: dt.date, with_options: bool, reading: _Reading) -> dict[str, Any]:
    """The facets of the answering reading's matches as counted with its total: exact, or
    estimated from a sample when over SAMPLE_ABOVE match; a sample of fewer is replaced by
    an exact count (nothing to count when none match)."""
    total = reading.total
    if total == 0 and not with_options:
        return {}
    if reading.sample is None or total > SAMPLE_ABOVE or total == 0:
        return reading.counted
    body = build_facets_body(parsed, filters=request.filters, today=today, alts=reading.alts,
                             sample=facet_sample(total))
    exact = execute(client, index, [body])[0]
    if with_options:  # the form's options, counted over every record with the total already
        everything = reading.counted["aggregations"]["everything"]
        exact["aggregations"] = {**exact.get("aggregations", {}), "everything": everything}
    return exact


def _corrections(client: Elasticsearch, index: str, parsed: ParsedQuery,
                 stats: TermStats) -> tuple[Corrections, dict[str, int]]:
    """Corrections of the query's syllables, asked of the index's vocabulary, and how many
    records hold each syllable typed or offered."""
    asked = relax.suggest_body(parsed)
    return _read_corrections(parsed, stats, execute(client, index, [asked])[0] if asked else {})


def _read_corrections(parsed: ParsedQuery, stats: TermStats, suggested: Mapping[str, Any]
                      ) -> tuple[Corrections, dict[str, int]]:
    alts = relax.alternatives(parsed, relax.candidates_from(suggested, stats))
    return alts, {**stats.syllables, **relax.candidate_docs(suggested)}


def _top(response: dict[str, Any]) -> dict[str, Any] | None:
    return next((h.get("_source", {}) for h in response["hits"]["hits"]), None)


def search(client: Elasticsearch, settings: Settings, request: SearchRequest, *,
           with_options: bool = False) -> dict[str, Any]:
    """Search results; `with_options` adds every filter value in the index (for the form)."""
    return search_index(client, settings.index_name("results"), request,
                        today=settings.effective_today(), with_options=with_options)


def _relaxed(client: Elasticsearch, index: str, parsed: ParsedQuery, request: SearchRequest,
             today: dt.date, stats: TermStats, with_options: bool, alts: Corrections,
             docs: Mapping[str, int], strict_matches: int | None) -> _Reading:
    """The relaxed page and total (the facets with it when surely few), and its correction.
    `strict_matches`: the strict matches, counted or bounded (match_bound)."""
    sample = _count_sample(match_bound.relaxed_bound(parsed, alts, stats, docs, strict_matches),
                           _floor(parsed, stats, request, today))
    ranked, counted = execute(client, index, _bodies(parsed, request, today, alts,
                                                     stats.common_pairs(), sample, with_options))
    top = _top(ranked)
    return _Reading(ranked, counted, sample, relaxed=True, alts=alts,
                    did_you_mean=relax.did_you_mean(parsed, alts, top) if top else None)


def _corrections_first(client: Elasticsearch, index: str, parsed: ParsedQuery,
                       stats: TermStats) -> tuple[Corrections, dict[str, int]] | None:
    """For a query sure to be relaxed: its corrections, with no strict search at all (its page
    could not stand, and its matches are bounded from the term statistics); None when a
    relaxed search could find nothing new."""
    alts, docs = _corrections(client, index, parsed, stats)
    return (alts, docs) if relax.widens(parsed, alts) else None


def search_index(client: Elasticsearch, index: str, request: SearchRequest, *, today: dt.date,
                 with_options: bool = False) -> dict[str, Any]:
    """`search` on a named index with a given today (also what the evaluation runs).

    One `_msearch` holds the ranked page and the exact total. Only when that strict reading
    finds too little (domain.search.relax.worth_relaxing) are corrections of the query's
    syllables asked of the index, and a relaxed `_msearch` sent over them. A query with a
    syllable no record holds is sure to be relaxed (relax.surely_relaxed): no strict search is
    sent, only the request for corrections (its strict matches are bounded from the term
    statistics, match_bound.strict_bound). The facets of the
    answering reading are counted with its total: exactly when its matches are surely few
    enough (domain.search.match_bound), otherwise over a sample, replaced by an exact count
    apart when the total proves SAMPLE_ABOVE or fewer.
    """
    parsed = parse(client, index, request.q)
    stats = _term_stats(client, index, parsed)
    parsed = replace(parsed, common=stats.common_syllables())
    early = _corrections_first(client, index, parsed, stats) \
        if relax.surely_relaxed(parsed, stats.syllables) else None
    if early is not None:
        reading = _relaxed(client, index, parsed, request, today, stats, with_options, *early,
                           match_bound.strict_bound(parsed, stats))
    else:
        reading = _strict_first(client, index, parsed, request, today, stats, with_options)
    facets = _facets(client, index, parsed, request, today, with_options, reading)
    names = _guarded(index, lambda: FACET_NAMES.get(client, index))
    return _answer(request, today, reading.ranked, reading.total, facets, with_options,
                   names) | {"relaxed": reading.relaxed, "did_you_mean": reading.did_you_mean}


def _strict_first(client: Elasticsearch, index: str, parsed: ParsedQuery,
                  request: SearchRequest, today: dt.date, stats: TermStats,
                  with_options: bool) -> _Reading:
    """The strict page and total; relaxed after them when they found too little."""
    common = stats.common_pairs()
    sample = _count_sample(match_bound.strict_bound(parsed, stats),
                           _floor(parsed, stats, request, today))
    bodies = _bodies(parsed, request, today, common=common, sample=sample,
                     with_options=with_options)
    if request.page > 1:  # whether to relax is judged on the best match, whatever the page
        bodies.append(build_search_body(parsed, filters=request.filters, today=today, size=1,
                                        common_pairs=common))
    ranked, counted, *first = execute(client, index, bodies)
    strict = _Reading(ranked, counted, sample)
    top = _top(first[0] if first else ranked)
    if not relax.worth_relaxing(parsed, strict.total, top, common):
        return strict
    alts, docs = _corrections(client, index, parsed, stats)
    if not relax.widens(parsed, alts):
        # No correction, and the strict gate already lets a syllable miss: a relaxed search
        # would find the same records. The strict page stands, marked when it is partial.
        partial = top is not None and not relax.holds_every_syllable(parsed, top)
        return replace(strict, relaxed=partial)
    wide = _relaxed(client, index, parsed, request, today, stats, with_options, alts, docs,
                    strict.total)
    return wide if wide.total >= strict.total else strict


def _answer(request: SearchRequest, today: dt.date, ranked: dict[str, Any], total: int,
            facets: dict[str, Any], with_options: bool, names: FacetNames) -> dict[str, Any]:
    aggs = facets.get("aggregations", {})
    estimated = SAMPLED in aggs
    counts = aggs[SAMPLED] if estimated else aggs
    answer: dict[str, Any] = {
        "total": total,
        "page": request.page,
        "size": request.size,
        "pages": math.ceil(total / request.size) if total else 0,
        "sort": request.sort,
        "today": today.isoformat(),
        "hits": [map_hit(hit, today) for hit in ranked["hits"]["hits"]],
        "facets": facets_from(counts, names),
        "facets_estimated": estimated,
    }
    if with_options and "everything" in aggs:
        answer["options"] = facets_from(aggs["everything"], names)
    return answer


def suggest(client: Elasticsearch, settings: Settings, q: str,
            size: int = suggest_terms.DEFAULT_SIZE) -> list[dict[str, Any]]:
    """Completions for the search box (domain.search.suggest): prefix lookups in the term
    dictionaries, then one request counting the records of each candidate."""
    index = settings.index_name("results")
    found: dict[str, list[str]] = {}
    for lookup in suggest_terms.lookups(q):
        answer = _guarded(index, lambda lk=lookup: client.options(
            request_timeout=SEARCH_TIMEOUT_S).terms_enum(
                index=index, field=lk.field, string=lk.prefix, size=ENUM_FACTOR * size))
        found.setdefault(lookup.kind, []).extend(answer.get("terms", []))
    if not any(found.values()):
        return []
    body = suggest_terms.count_body(found, SearchFilters(), settings.effective_today())
    counted = execute(client, index, [body])[0]
    return suggest_terms.suggestions_from(counted, size)
