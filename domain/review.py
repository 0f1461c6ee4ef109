"""Review of extracted fields: which fields can be extracted, which hold a record back, and
the review state of a record. Pure.

A record is **pending** while any key field is an unconfirmed extraction, or while a key field
the record cannot do without (issued_on, agency_code) is neither given nor extracted. Fields the
manifest gives, even as null, are authoritative and never extracted over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

EXTRACTABLE = ("result_number", "document_type", "procedure_code", "agency_code", "agency_name",
               "agency_level", "issued_on", "signer", "signer_title", "holder_name",
               "holder_id_number", "holder_birth_date", "holder_address", "valid_from",
               "valid_until", "other_parties")
KEY_FIELDS = ("result_number", "issued_on", "agency_code", "document_type", "holder_name",
              "holder_id_number", "holder_birth_date", "other_parties")
INDISPENSABLE = ("issued_on", "agency_code")
PENDING, CONFIRMED = "pending", "confirmed"
# The query clause that finds records still waiting for an officer (citizens never see them).
PENDING_QUERY = {"term": {"review.state": "pending"}}
UNCERTAIN_BELOW = 0.9  # the review page marks fields under this confidence


def review_state(given: Iterable[str], extracted: Mapping[str, Any]) -> str | None:
    """`pending`, or None (nothing holds the record back) for a freshly ingested record."""
    given = set(given)
    if any(f in extracted for f in KEY_FIELDS if f not in given):
        return PENDING
    if any(f not in given and f not in extracted for f in INDISPENSABLE):
        return PENDING
    return None


def min_confidence(fields: Mapping[str, Mapping[str, Any]]) -> float:
    """The least certain key field (what the queue sorts on); 0 when a key field is missing."""
    values = [float(item["confidence"]) for name, item in fields.items() if name in KEY_FIELDS]
    return min(values) if values else 0.0


EDITABLE = (*EXTRACTABLE, "procedure_name", "summary")
_DATE_FIELDS = ("issued_on", "valid_from", "valid_until", "holder_birth_date")


def _check_change(name: str, value: Any) -> str | None:
    """Why `value` cannot be stored in `name`, or None when it can."""
    if value is None:
        return None
    if name == "other_parties":
        if not isinstance(value, list) or not all(
                isinstance(p, dict) and set(p) <= {"name", "id_number"} for p in value):
            return 'must be a list of {"name", "id_number"} objects'
        return None
    if not isinstance(value, str):
        return "must be a string or null"
    if name in _DATE_FIELDS:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a date YYYY-MM-DD"
        if len(value) != 10:
            return f"{value!r} must be written YYYY-MM-DD"
    if name == "agency_level" and value not in ("city", "district", "commune"):
        return "must be city, district or commune"
    return None


def check_changes(changes: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean changes, {field: reason} for each bad one)."""
    if not isinstance(changes, dict):
        return {}, {"changes": "must be an object {field: value}"}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            errors[name] = "not a field a review can change"
        elif isinstance(value, str) and not value.strip():
            clean[name] = None
        elif reason := _check_change(name, value):
            errors[name] = reason
        else:
            clean[name] = value.strip() if isinstance(value, str) else value
    return clean, errors
