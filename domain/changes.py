"""Record changes as pure functions: which fields may change, per-field validation, the
from → to difference between two states, the derived (search) fields of a changed record, the
merge of a re-ingest with officers' corrections, and an earlier state rebuilt from history.

Nothing here does I/O; `domain.history` stores what these functions compute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from domain.agencies import LEVELS
from domain.records import STATUSES
from domain.search.fields import build_search_fields

# Every metadata field a manifest may give, but result_id (the record's identity) and files.
METADATA_EDITABLE = (
    "result_number", "document_type", "procedure_code", "procedure_name", "agency_code",
    "agency_name", "agency_level", "issued_on", "signer", "signer_title", "holder_name",
    "holder_id_number", "holder_birth_date", "holder_address", "valid_from", "valid_until",
    "status", "replaced_by", "summary", "other_parties", "digitized_on",
)
EDITABLE = (*METADATA_EDITABLE, "text")
# What a version records from → to: the editable fields, the originals and the withdrawal.
TRACKED = (*EDITABLE, "file_hashes", "withdrawn")
NEEDS_REASON = ("status", "valid_until")
NOT_EDITABLE = {"result_id": "the record's identity cannot be changed",
                "files": "originals change only by re-ingesting the record"}
SOURCES = ("ingest", "edit", "review", "withdraw", "restore")

DATE_FIELDS = ("issued_on", "valid_from", "valid_until", "holder_birth_date", "digitized_on")
REQUIRED = ("agency_code", "issued_on", "status")
MAX_LENGTH = {"summary": 10_000, "text": 2_000_000}
DEFAULT_MAX_LENGTH = 1_000
MAX_REASON = 2_000
MAX_PARTIES = 50


class ChangeRejected(ValueError):
    """The change cannot be applied; `errors` names each bad field with the reason."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def _date_error(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) != 10:
        return f"must be a date written YYYY-MM-DD, got {value!r}"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"is not a valid date: {value!r}"
    return None


def _string_error(field: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__}"
    limit = MAX_LENGTH.get(field, DEFAULT_MAX_LENGTH)
    if len(value) > limit:
        return f"is {len(value)} characters long, over the limit of {limit}"
    if field != "text" and not value.strip():
        return "must not be blank (send null to clear it)"
    return None


def _party_error(party: Any) -> str | None:
    if not isinstance(party, dict):
        return "each party must be an object {\"name\", \"id_number\", \"birth_date\"}"
    unknown = set(party) - {"name", "id_number", "birth_date"}
    if unknown:
        return f"unknown party key(s): {', '.join(sorted(unknown))}"
    if _string_error("name", party.get("name")):
        return "each party needs a non-blank \"name\""
    if party.get("id_number") is not None and _string_error("id_number", party["id_number"]):
        return "a party's \"id_number\" must be text"
    if party.get("birth_date") is not None and _date_error(party["birth_date"]):
        return "a party's \"birth_date\" must be a date written YYYY-MM-DD"
    return None


def field_error(field: str, value: Any) -> str | None:
    """Why `value` cannot be stored in `field`, or None when it can (one field alone)."""
    if field in NOT_EDITABLE:
        return NOT_EDITABLE[field]
    if field not in EDITABLE:
        return "not a field of a record"
    if value is None:
        return "is required and cannot be cleared" if field in REQUIRED else None
    if field in DATE_FIELDS:
        return _date_error(value)
    if field == "status":
        return None if value in STATUSES else f"must be one of {', '.join(STATUSES)}"
    if field == "agency_level":
        return None if value in LEVELS else f"must be one of {', '.join(LEVELS)}"
    if field == "other_parties":
        if not isinstance(value, list) or len(value) > MAX_PARTIES:
            return f"must be a list of at most {MAX_PARTIES} parties"
        return next(filter(None, map(_party_error, value)), None)
    return _string_error(field, value)


def _normalise(field: str, value: Any) -> Any:
    if isinstance(value, str) and field != "text":
        return value.strip()
    return value


def effective_changes(changes: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The changes that alter something (a value equal to the current one is no change); a
    record leaving status `replaced` drops its `replaced_by` unless the change sets it."""
    wanted = {f: _normalise(f, v) for f, v in changes.items()}
    if (wanted.get("status", current.get("status")) != "replaced"
            and "replaced_by" not in wanted and current.get("replaced_by")):
        wanted["replaced_by"] = None
    return {f: v for f, v in wanted.items() if current.get(f) != v}


def _cross_field_errors(after: Mapping[str, Any], result_id: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if after.get("status") == "replaced":
        target = after.get("replaced_by")
        if not target:
            errors["replaced_by"] = "status \"replaced\" needs replaced_by naming the new record"
        elif target == result_id:
            errors["replaced_by"] = "a record cannot replace itself"
    elif after.get("replaced_by"):
        errors["replaced_by"] = "only a record with status \"replaced\" has a replacement"
    start, end = after.get("valid_from"), after.get("valid_until")
    if isinstance(start, str) and isinstance(end, str) and end < start:
        errors["valid_until"] = f"{end} is before valid_from {start}"
    return errors


def _reason_errors(changes: Mapping[str, Any], reason: Any) -> dict[str, str]:
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        return {"reason": f"must be text of at most {MAX_REASON} characters"}
    needing = [f for f in NEEDS_REASON if f in changes]
    if needing and not (reason or "").strip():
        return {"reason": f"a change of {' and '.join(needing)} needs a reason"}
    return {}


def validate_changes(changes: Any, reason: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    """The effective changes to apply to `current`; ChangeRejected naming every bad field.

    Existence of `replaced_by` needs the index: the caller checks it (see domain.edits)."""
    if not isinstance(changes, dict) or not changes:
        raise ChangeRejected({"changes": "must be a non-empty object {field: new value}"})
    errors = {f: e for f, v in changes.items() if (e := field_error(f, v))}
    if errors:
        raise ChangeRejected(errors)
    effective = effective_changes(changes, current)
    errors = _cross_field_errors({**current, **effective}, str(current.get("result_id")))
    errors.update(_reason_errors(effective, reason))
    if errors:
        raise ChangeRejected(errors)
    return effective


def validate_reason(reason: Any) -> str:
    """The reason a withdrawal or restore must carry."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise ChangeRejected({"reason": f"is required: text of 1-{MAX_REASON} characters"})
    return reason.strip()


def party_id_numbers(record: Mapping[str, Any]) -> list[str]:
    parties = record.get("other_parties") or []
    numbers = [record.get("holder_id_number"), *(p.get("id_number") for p in parties)]
    return sorted({str(n) for n in numbers if n})


def with_derived_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` with every field computed from its metadata and text rebuilt (search fields,
    party numbers, effective digitisation date), so the index serves the changed values."""
    out = dict(doc)
    out["party_id_numbers"] = party_id_numbers(out)
    ingested_day = str(out.get("ingested_at") or "")[:10] or None
    out["digitized_effective"] = out.get("digitized_on") or ingested_day \
        or out.get("digitized_effective")
    out.update(build_search_fields(out, out.get("text") or ""))
    return out


def apply_changes(doc: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    return with_derived_fields({**doc, **changes})


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"from", "to"}}` for every tracked field whose value differs."""
    before = before or {}
    return {f: {"from": before.get(f), "to": after.get(f)}
            for f in TRACKED if _present(before.get(f)) != _present(after.get(f))}


def _present(value: Any) -> Any:
    # A missing field, null and an empty list are the same state of a record.
    return None if value in (None, []) else value


def value_hash(value: Any) -> str:
    encoded = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]


def ingest_hashes(doc: Mapping[str, Any]) -> dict[str, str]:
    """What the ingest wrote into each editable field, as hashes (kept in the document)."""
    return {f: value_hash(_present(doc.get(f))) for f in EDITABLE}


def merge_reingest(new: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """A re-ingest over the current record: the new ingest wins on every field it changed
    since the previous ingest; a field it left as it was keeps an officer's correction.
    The record stays withdrawn if it was. `new` must carry its own `ingest_hashes`."""
    merged = dict(new)
    if not current:
        return merged
    previous = current.get("ingest_hashes") or {}
    for field in EDITABLE:
        source_unchanged = previous.get(field) == new["ingest_hashes"][field]
        corrected = previous.get(field) != value_hash(_present(current.get(field)))
        if field in previous and source_unchanged and corrected:
            merged[field] = current.get(field)
    if current.get("withdrawn"):
        merged["withdrawn"] = True
    return with_derived_fields(merged)


def kept_corrections(doc: Mapping[str, Any], manifest: Mapping[str, Any]) -> set[str]:
    """Fields where the record differs from `manifest` because an officer corrected them after
    the manifest's value was ingested (for `sohoa verify`: not a difference to report)."""
    previous = doc.get("ingest_hashes") or {}
    return {f for f in EDITABLE if f in manifest and f in previous
            and previous[f] == value_hash(_present(manifest[f]))
            and previous[f] != value_hash(_present(doc.get(f)))}


def state_at(current: Mapping[str, Any], versions: Iterable[Mapping[str, Any]],
             version: int) -> dict[str, Any]:
    """The tracked fields as they were at `version`: the current record with every later
    version's changes undone (`versions` in any order)."""
    state = {f: current.get(f) for f in TRACKED}
    for entry in sorted(versions, key=lambda v: v["version"], reverse=True):
        if entry["version"] <= version:
            break
        for field, change in (entry.get("changes") or {}).items():
            state[field] = change.get("from")
    return state


def replay(versions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The tracked fields the history says the record holds now (oldest version first)."""
    state: dict[str, Any] = {}
    for entry in sorted(versions, key=lambda v: v["version"]):
        for field, change in (entry.get("changes") or {}).items():
            state[field] = change.get("to")
    return state


def history_disagreements(doc: Mapping[str, Any], versions: list[Mapping[str, Any]]
                          ) -> list[str]:
    """Where a record's history and its indexed state disagree (field names only)."""
    current = int(doc.get("version") or 0)
    numbers = sorted(v["version"] for v in versions)
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"history versions are not 1..{len(numbers)}: {numbers}")
    if (numbers[-1] if numbers else 0) != current:
        latest = numbers[-1] if numbers else "none"
        problems.append(f"the index is at version {current}, the history at {latest}")
    replayed = replay(versions)
    off = sorted(f for f, v in replayed.items() if _present(v) != _present(doc.get(f)))
    if off:
        problems.append(f"history and index disagree on {', '.join(off)}")
    return problems
