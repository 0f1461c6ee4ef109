"""Completions for the search box: holder names, document types, agencies and result numbers
that start with what was typed, each with how many records carry it.

Prefixes are looked up in the term dictionaries of the name keys (`search.keys_folded`, role
prefixed) and of `result_number_key` with `_terms_enum` (no document is visited); the counts
then come from one request with a filter aggregation per candidate, under the same filters as
a search (so a record search would not show is not counted either). Pure: requests and answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.search.es_query import SearchFilters, filter_clauses
from domain.search.schema import AGENCY, HOLDER, KEYS_FOLDED, RESULT_NUMBER_KEY, TYPE
from domain.text.codes import code_key
from domain.text.vietnamese import fold_spelling, syllables

MAX_SIZE = 20
DEFAULT_SIZE = 8
MAX_CHARS = 200
MIN_CHARS = 2  # one letter starts thousands of names: nothing useful to show
# kind -> (field looked up, prefix of its terms, field whose value is shown)
KINDS: dict[str, tuple[str, str, str]] = {
    "holder": (KEYS_FOLDED, f"{HOLDER}:", "holder_name"),
    "document_type": (KEYS_FOLDED, f"{TYPE}:", "document_type"),
    "agency": (KEYS_FOLDED, f"{AGENCY}:", "agency_name"),
    "result_number": (RESULT_NUMBER_KEY, "", "result_number"),
}


@dataclass(frozen=True)
class Lookup:
    kind: str
    field: str
    prefix: str  # the term prefix `_terms_enum` is asked for


def lookups(q: str) -> list[Lookup]:
    """What to look up for the typed text (result numbers only when it holds a digit)."""
    text = q.strip()[:MAX_CHARS]
    folded = " ".join(fold_spelling(s) for s in syllables(text))
    if len(folded.replace(" ", "")) < MIN_CHARS:
        return []
    out = [Lookup(kind, field, f"{role}{folded}")
           for kind, (field, role, _) in KINDS.items() if role]
    if any(ch.isdigit() for ch in text):
        out.append(Lookup("result_number", RESULT_NUMBER_KEY, code_key(text)))
    return out


def count_body(found: Mapping[str, list[str]], filters: SearchFilters,
               today: dt.date) -> dict[str, Any]:
    """One request counting the records of each candidate term (by kind), with the value to
    show for it (the commonest spelling among its records)."""
    aggs: dict[str, Any] = {}
    for kind, terms in found.items():
        field, _, shown = KINDS[kind]
        if terms:
            aggs[kind] = {"filters": {"filters": {t: {"term": {field: t}} for t in terms}},
                          "aggs": {"shown": {"terms": {"field": shown, "size": 1}}}}
    return {"size": 0, "track_total_hits": False,
            "query": {"bool": {"filter": filter_clauses(filters, today)}}, "aggs": aggs}


def suggestions_from(response: Mapping[str, Any], size: int) -> list[dict[str, Any]]:
    """`[{"text", "kind", "count"}]`, commonest first, one per shown text and kind."""
    best: dict[tuple[str, str], int] = {}
    for kind, agg in response.get("aggregations", {}).items():
        for bucket in agg.get("buckets", {}).values():
            shown = bucket.get("shown", {}).get("buckets", [])
            if bucket.get("doc_count", 0) and shown:
                key = (shown[0]["key"], kind)
                best[key] = max(best.get(key, 0), int(bucket["doc_count"]))
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0][0]))
    return [{"text": text, "kind": kind, "count": count} for (text, kind), count in ranked[:size]]
