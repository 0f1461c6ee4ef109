"""Validity (còn hiệu lực) of a result on a date, exactly as docs/interfaces.md defines it.

Valid on D: status == "active" and valid_from <= D and (valid_until is null or valid_until >= D).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

# Vietnamese labels for the UI; the state codes are the API's.
LABELS = {
    "valid": "Còn hiệu lực",
    "expired": "Hết hiệu lực",
    "not-yet-valid": "Chưa có hiệu lực",
    "revoked": "Đã thu hồi",
    "replaced": "Đã được thay thế",
    "unknown": "Chưa rõ hiệu lực",
}


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def validity_state(record: Mapping[str, Any], on: dt.date) -> str:
    status = record.get("status")
    if status == "revoked":
        return "revoked"
    if status == "replaced":
        return "replaced"
    if status != "active":
        return "unknown"
    valid_from = _date(record.get("valid_from"))
    valid_until = _date(record.get("valid_until"))
    if valid_from is None or valid_from > on:
        return "not-yet-valid" if valid_from else "unknown"
    if valid_until is not None and valid_until < on:
        return "expired"
    return "valid"



def valid_filter(on: dt.date) -> dict[str, Any]:
    """The same definition as an Elasticsearch filter (no scripts needed)."""
    day = on.isoformat()
    return {"bool": {"filter": [
        {"term": {"status": "active"}},
        {"range": {"valid_from": {"lte": day}}},
        {"bool": {"should": [
            {"range": {"valid_until": {"gte": day}}},
            {"bool": {"must_not": {"exists": {"field": "valid_until"}}}},
        ], "minimum_should_match": 1}},
    ]}}


# A withdrawn record (ingested in error) is kept, with its history, but no search, citizen view
# or coverage figure counts it. Documents without the field are not withdrawn.
WITHDRAWN: dict[str, Any] = {"term": {"withdrawn": True}}
NOT_WITHDRAWN: dict[str, Any] = {"bool": {"must_not": WITHDRAWN}}
