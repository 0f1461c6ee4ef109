"""A citizen's own records: those naming their ID number as holder or among other parties —
and every witness of the sign-in (see `identity.CitizenIdentity.witnesses`)."""

from __future__ import annotations

from typing import Any

from app import extensions
from app.citizen.identity import party_ids
from app.citizen.privacy import view_for
from app.results import load_result, public_record
from domain.review import PENDING_QUERY
from domain.validity import LABELS, NOT_WITHDRAWN, validity_state

MAX_RESULTS = 500
SUMMARY_FIELDS = ("result_id", "result_number", "document_type", "procedure_name",
                  "agency_name", "issued_on", "valid_from", "valid_until", "status",
                  "holder_name")


def is_pending(source: dict[str, Any]) -> bool:
    """Extracted fields not yet confirmed by an officer: not shown to citizens."""
    return (source.get("review") or {}).get("state") == "pending"


def belongs_to(source: dict[str, Any], id_number: str,
               witnesses: frozenset[str] = frozenset()) -> bool:
    """The record names the citizen and every witness of their sign-in."""
    return {id_number, *witnesses} <= party_ids(source)


def own_results(id_number: str, witnesses: frozenset[str] = frozenset()
                ) -> list[dict[str, Any]]:
    """Summaries of the citizen's records: valid ones first, then newest first."""
    settings = extensions.settings()
    response = extensions.es().search(
        index=settings.index_name("results"), size=MAX_RESULTS,
        query={"bool": {"filter": [
            *({"term": {"party_id_numbers": who}} for who in sorted({id_number, *witnesses})),
            NOT_WITHDRAWN], "must_not": [PENDING_QUERY]}},
        source_includes=[*SUMMARY_FIELDS, "holder_id_number"])
    today = settings.effective_today()
    items = []
    for hit in response["hits"]["hits"]:
        source = hit["_source"]
        state = validity_state(source, today)
        item = {field: source.get(field) for field in SUMMARY_FIELDS}
        item.update(valid=state == "valid", validity=state, validity_label=LABELS[state],
                    role="holder" if source.get("holder_id_number") == id_number else "party")
        items.append(item)
    items.sort(key=lambda i: i.get("issued_on") or "", reverse=True)
    items.sort(key=lambda i: not i["valid"])  # stable: valid first, each group newest first
    return items


def own_record(result_id: str, id_number: str, witnesses: frozenset[str] = frozenset()
               ) -> dict[str, Any] | None:
    """The stored record when it is the citizen's; None when it is not *or* does not exist."""
    source = load_result(result_id)
    if (source is None or source.get("withdrawn") or is_pending(source)
            or not belongs_to(source, id_number, witnesses)):
        return None
    return source


def citizen_view(source: dict[str, Any], file_endpoint: str, viewer: str) -> dict[str, Any]:
    """What `viewer` may see: shared fields, their own personal data, nobody else's."""
    record = view_for(public_record(source, extensions.settings(), file_endpoint), viewer)
    record["validity_label"] = LABELS[record["validity"]]
    return record
