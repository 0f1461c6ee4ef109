"""The review queue and confirmations, shared by the API (`/api/v1/review`) and the officers'
page `/duyet`: list pending records least certain first; apply an officer's corrections and
confirm. Every confirmation is in the audit log."""

from __future__ import annotations

from typing import Any

from elasticsearch import NotFoundError

from app import extensions
from domain.clock import utc_now_iso
from domain.history import StaleVersion, Who, commit, current_version
from domain.review import CONFIRMED, PENDING, check_changes
from domain.search.fields import build_search_fields

QUEUE_FIELDS = ("result_id", "result_number", "document_type", "agency_code", "agency_name",
                "issued_on", "holder_name", "review", "ingested_at")


class ReviewConflict(Exception):
    """The record changed while the officer was looking at it."""


class BadChanges(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def pending_queue(agency_code: str | None, page: int, size: int) -> dict[str, Any]:
    settings = extensions.settings()
    filters: list[dict[str, Any]] = [{"term": {"review.state": PENDING}}]
    if agency_code:
        filters.append({"term": {"agency_code": agency_code}})
    response = extensions.es().search(
        index=settings.index_name("results"), from_=(page - 1) * size, size=size,
        query={"bool": {"filter": filters}}, source=list(QUEUE_FIELDS), track_total_hits=True,
        sort=[{"review.min_confidence": {"order": "asc", "missing": "_first"}},
              {"ingested_at": {"order": "asc", "unmapped_type": "date"}}, {"result_id": "asc"}])
    hits = []
    for hit in response["hits"]["hits"]:
        source = hit["_source"]
        review = source.get("review") or {}
        hits.append({**{f: source.get(f) for f in QUEUE_FIELDS if f != "review"},
                     "review_state": review.get("state"),
                     "min_confidence": review.get("min_confidence"),
                     "fields": review.get("fields", {}),
                     "mismatches": review.get("mismatches", {})})
    return {"total": response["hits"]["total"]["value"], "page": page, "size": size,
            "hits": hits}


def _party_ids(source: dict[str, Any]) -> list[str]:
    return sorted({str(n) for n in [source.get("holder_id_number"),
                                    *(p.get("id_number") for p in source.get("other_parties")
                                      or [])] if n})


def confirm(result_id: str, raw_changes: Any, *, by: str, confirm_record: bool = True
            ) -> dict[str, Any] | None:
    """Apply the corrections and (by default) confirm; None when no such record."""
    changes, errors = check_changes(raw_changes if raw_changes is not None else {})
    if errors:
        raise BadChanges(errors)
    settings = extensions.settings()
    client = extensions.es()
    index = settings.index_name("results")
    try:
        found = client.get(index=index, id=result_id)
    except NotFoundError:
        return None
    source = found["_source"]
    version = current_version(source)
    before = {name: source.get(name) for name in changes}
    source.update(changes)
    source["party_id_numbers"] = _party_ids(source)
    source.update(build_search_fields(source, source.get("text") or ""))
    review = dict(source.get("review") or {"fields": {}})
    if confirm_record:
        review.update(state=CONFIRMED, confirmed_by=by, confirmed_at=utc_now_iso())
    review["changes"] = {name: {"from": before[name], "to": changes[name]} for name in changes
                         if before[name] != changes[name]}
    source["review"] = review
    # Through the shared write path: a compare-and-swap on the version read above, and one
    # version (`source: "review"`) in the record's history (domain.history).
    try:
        done = commit(client, settings, result_id, lambda _current: source,
                      Who(by, "review", None), expected_version=version, record_unchanged=True)
    except StaleVersion as exc:
        raise ReviewConflict(result_id) from exc
    source = done.doc if done else source
    return source
