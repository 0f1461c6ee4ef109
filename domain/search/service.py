"""Run a result search on Elasticsearch and answer in the shape docs/interfaces.md gives.

The request bodies come from es_query (a ranked page; counts and facets); this module sends both
in one `_msearch`, maps hits (validity on the effective today, replacement link, safe
highlights), turns aggregations into facets with counts, and adds paging figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError

from domain.search import highlights
from domain.search.es_query import build_facets_body, build_search_body
from domain.search.fields import search_text_values
from domain.search.params import SearchRequest
from domain.search.query import ParsedQuery, parse_query
from domain.search.vocabulary import VocabularyCache
from domain.settings import Settings
from domain.validity import LABELS, validity_state

SEARCH_TIMEOUT_S = 15
# Facets whose buckets also carry a display name, taken from a sub-aggregation.
NAMED_FACETS = {"agency_code": "agency_name", "procedure_code": "procedure_name"}
FACET_SIZES = {"document_type": 50, "agency_code": 100, "agency_level": 5,
               "procedure_code": 100, "status": 5}
# Fields each hit carries besides the documented ones (all additive).
EXTRA_FIELDS = ("procedure_code", "procedure_name", "agency_level", "valid_from", "valid_until",
                "replaced_by", "page_count")


VOCABULARIES = VocabularyCache()


class SearchUnavailable(Exception):
    """Elasticsearch cannot answer (down, overloaded, or the index is missing)."""


class SearchFailed(Exception):
    """Elasticsearch refused a search for another reason (a bug on our side, never the input)."""


def _add_aggs(body: dict[str, Any], with_options: bool) -> None:
    """Facets es_query does not build itself: names for codes, procedures; and, for the search
    form, every value in the index (a `global` aggregation, same request, so one round trip)."""
    aggs = body.setdefault("aggs", {})
    aggs.setdefault("procedure_code", {"terms": {"field": "procedure_code",
                                                 "size": FACET_SIZES["procedure_code"]}})
    for code_field, name_field in NAMED_FACETS.items():
        if code_field in aggs:
            aggs[code_field].setdefault("aggs", {})["name"] = {
                "terms": {"field": name_field, "size": 1}}
    if with_options:
        every = {f: {"terms": {"field": f, "size": n}} for f, n in FACET_SIZES.items()}
        for code_field, name_field in NAMED_FACETS.items():
            every[code_field]["aggs"] = {"name": {"terms": {"field": name_field, "size": 1}}}
        aggs["everything"] = {"global": {}, "aggs": every}


def _buckets(agg: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for bucket in agg.get("buckets", []):
        item: dict[str, Any] = {"value": bucket["key"], "count": bucket["doc_count"]}
        names = bucket.get("name", {}).get("buckets")
        if names:
            item["name"] = names[0]["key"]
        out.append(item)
    return out


def facets_from(aggs: dict[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    for name, agg in aggs.items():
        if name == "everything" or not isinstance(agg, dict):
            continue
        if "buckets" in agg:
            facets[name] = _buckets(agg)
        elif "doc_count" in agg:
            facets[name] = agg["doc_count"]
    return facets


def _highlight_sources(source: dict[str, Any]) -> dict[str, list[str]]:
    """The accented strings each folded search field was built from (see search_fields)."""
    return {"search.text": search_text_values(source, source.get("text"))}


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
        "highlights": highlights.fragments(hit.get("highlight", {}), _highlight_sources(source)),
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


def search(client: Elasticsearch, settings: Settings, request: SearchRequest, *,
           with_options: bool = False) -> dict[str, Any]:
    """Search results; `with_options` adds every filter value in the index (for the form)."""
    today = settings.effective_today()
    index = settings.index_name("results")
    parsed = parse(client, index, request.q)
    body = build_search_body(parsed, filters=request.filters, today=today, sort=request.sort,
                             page=request.page, size=request.size)
    if "highlight" in body:
        body["highlight"].setdefault("order", "score")  # the best fragment first, not the first
        # The full text is needed to put the accents back on fragments of folded fields.
        excludes = body.get("_source", {}).get("excludes", [])
        body["_source"] = {"excludes": [f for f in excludes if f != "text"]}
    counts = build_facets_body(parsed, filters=request.filters, today=today)
    _add_aggs(counts, with_options)
    ranked, counted = execute(client, index, [body, counts])
    total = counted["hits"]["total"]["value"]
    aggs = counted.get("aggregations", {})
    answer: dict[str, Any] = {
        "total": total,
        "page": request.page,
        "size": request.size,
        "pages": math.ceil(total / request.size) if total else 0,
        "sort": request.sort,
        "today": today.isoformat(),
        "hits": [map_hit(hit, today) for hit in ranked["hits"]["hits"]],
        "facets": facets_from(aggs),
    }
    if with_options and "everything" in aggs:
        answer["options"] = facets_from(aggs["everything"])
    return answer
