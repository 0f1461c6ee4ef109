"""Elasticsearch aggregations behind coverage: counts per agency and per month, never records.

Every figure is computed by the cluster (terms / filter / date_histogram aggregations over the
results index), so the cost does not grow with the number of records pulled into Python.
Withdrawn records (ingested in error) count nowhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from domain.review import PENDING_QUERY
from domain.validity import NOT_WITHDRAWN

# Bound on distinct agency codes in one answer (Hanoi has ~650). A terms aggregation whose size
# is at least the number of distinct codes is exact on any number of shards.
MAX_AGENCIES = 10_000


class TooManyAgencies(RuntimeError):
    """More distinct agency codes in the records than MAX_AGENCIES: the counts would be partial."""


@dataclass(frozen=True)
class AgencyCounts:
    digitized: int = 0               # issued on/before the cut-off, digitised by the as-of date
    digitized_after_cutoff: int = 0  # issued after the cut-off (digitised at reception)
    pending_review: int = 0  # of all these, records whose extracted fields await an officer


def _day(value: dt.date) -> str:
    return value.isoformat()


def _check_complete(agg: dict[str, Any]) -> None:
    if agg.get("sum_other_doc_count", 0):
        raise TooManyAgencies(f"more than {MAX_AGENCIES} agency codes in the records")


def digitized_by_agency(client: Elasticsearch, index: str, cutoff: dt.date, as_of: dt.date
                        ) -> dict[str, AgencyCounts]:
    """Records digitised by `as_of` per agency code, split at the inventory cut-off."""
    response = client.search(index=index, size=0, track_total_hits=False, query={
        "bool": {"filter": [{"range": {"digitized_effective": {"lte": _day(as_of)}}},
                            NOT_WITHDRAWN]},
    }, aggs={
        "issued": {"filters": {"filters": {
            "before": {"range": {"issued_on": {"lte": _day(cutoff)}}},
            "after": {"range": {"issued_on": {"gt": _day(cutoff)}}},
        }}, "aggs": {"agency": {"terms": {"field": "agency_code", "size": MAX_AGENCIES}}}},
        # Pending records count as digitised (the scan is in); they are reported beside it.
        "pending": {"filter": PENDING_QUERY, "aggs": {
            "agency": {"terms": {"field": "agency_code", "size": MAX_AGENCIES}}}},
    })
    pending_agg = response["aggregations"]["pending"]["agency"]
    _check_complete(pending_agg)
    pending = {b["key"]: b["doc_count"] for b in pending_agg["buckets"]}
    buckets = response["aggregations"]["issued"]["buckets"]
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for name, target in (("before", before), ("after", after)):
        agg = buckets[name]["agency"]
        _check_complete(agg)
        target.update((b["key"], b["doc_count"]) for b in agg["buckets"])
    return {code: AgencyCounts(before.get(code, 0), after.get(code, 0), pending.get(code, 0))
            for code in before.keys() | after.keys()}


def agency_details(client: Elasticsearch, index: str, codes: Iterable[str]
                   ) -> dict[str, dict[str, Any]]:
    """Name, level and record count of agency codes as the records spell them (for orphans)."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    response = client.search(index=index, size=0, track_total_hits=False,
                             query={"bool": {"filter": [{"terms": {"agency_code": codes}},
                                                        NOT_WITHDRAWN]}}, aggs={
        "agency": {"terms": {"field": "agency_code", "size": len(codes)}, "aggs": {
            "name": {"terms": {"field": "agency_name", "size": 1}},
            "level": {"terms": {"field": "agency_level", "size": 1}},
        }},
    })
    details = {}
    for bucket in response["aggregations"]["agency"]["buckets"]:
        name = bucket["name"]["buckets"]
        level = bucket["level"]["buckets"]
        details[bucket["key"]] = {"agency_name": name[0]["key"] if name else None,
                                  "agency_level": level[0]["key"] if level else None,
                                  "records": bucket["doc_count"]}
    return details


def unregistered_agencies(client: Elasticsearch, index: str, registered: Iterable[str]
                          ) -> dict[str, dict[str, Any]]:
    """Agency codes found in records but absent from the register, with what the records say."""
    response = client.search(index=index, size=0, track_total_hits=False, query={
        "bool": {"must_not": [{"terms": {"agency_code": sorted(set(registered))}}],
                 "filter": [{"exists": {"field": "agency_code"}}, NOT_WITHDRAWN]},
    }, aggs={"agency": {"terms": {"field": "agency_code", "size": MAX_AGENCIES}}})
    agg = response["aggregations"]["agency"]
    _check_complete(agg)
    return agency_details(client, index, (b["key"] for b in agg["buckets"]))


def monthly_digitized(client: Elasticsearch, index: str, cutoff: dt.date,
                      codes: list[str] | None, start: dt.date, end: dt.date
                      ) -> tuple[int, list[tuple[dt.date, int]]]:
    """Inventory records digitised before `start`, then per calendar month up to `end`.

    `codes` None means every agency; an empty list means none (a group without agencies).
    """
    if codes is not None and not codes:
        months = _month_starts(start, end)
        return 0, [(m, 0) for m in months]
    filters: list[dict[str, Any]] = [
        {"range": {"issued_on": {"lte": _day(cutoff)}}},
        {"range": {"digitized_effective": {"lte": _day(end)}}},
        NOT_WITHDRAWN,
    ]
    if codes is not None:
        filters.append({"terms": {"agency_code": codes}})
    response = client.search(index=index, size=0, track_total_hits=False,
                             query={"bool": {"filter": filters}}, aggs={
        "before": {"filter": {"range": {"digitized_effective": {"lt": _day(start)}}}},
        "window": {"filter": {"range": {"digitized_effective": {"gte": _day(start)}}}, "aggs": {
            "months": {"date_histogram": {
                "field": "digitized_effective", "calendar_interval": "month", "min_doc_count": 0,
                "format": "yyyy-MM-dd",
                "extended_bounds": {"min": _day(start), "max": _day(end)},
            }},
        }},
    })
    aggs = response["aggregations"]
    counts = {b["key_as_string"]: b["doc_count"] for b in aggs["window"]["months"]["buckets"]}
    series = [(month, counts.get(_day(month), 0)) for month in _month_starts(start, end)]
    return aggs["before"]["doc_count"], series


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months = []
    year, month = start.year, start.month
    # Whole (year, month) steps: adding days to 9999-12 would leave the calendar (OverflowError).
    while (year, month) <= (end.year, end.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def flagged_records(client: Elasticsearch, index: str, flag: str | None,
                    agency_codes: list[str] | None, offset: int, size: int
                    ) -> tuple[int, list[dict[str, Any]], dict[str, int]]:
    """Records with quality flags, worst OCR confidence first, and the count of each flag."""
    filters: list[dict[str, Any]] = [{"exists": {"field": "quality_flags"}}, NOT_WITHDRAWN]
    if agency_codes is not None:
        filters.append({"terms": {"agency_code": agency_codes}})
    # The flag narrows the hits only (post_filter), so the counts still show every flag.
    post_filter = {"term": {"quality_flags": flag}} if flag else None
    response = client.search(
        index=index, from_=offset, size=size, track_total_hits=True,
        query={"bool": {"filter": filters}}, post_filter=post_filter,
        sort=[{"ocr_confidence": {"order": "asc", "missing": "_first"}},
              {"result_id": "asc"}],
        source_includes=["result_id", "result_number", "document_type", "agency_code",
                         "agency_name", "agency_level", "issued_on", "digitized_on",
                         "quality_flags", "page_count", "ocr_confidence", "duplicate_of"],
        aggs={"flags": {"terms": {"field": "quality_flags", "size": 100}}},
    )
    flags = {b["key"]: b["doc_count"] for b in response["aggregations"]["flags"]["buckets"]}
    hits = [hit["_source"] for hit in response["hits"]["hits"]]
    return response["hits"]["total"]["value"], hits, flags
