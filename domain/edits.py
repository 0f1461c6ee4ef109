"""Changing a record by hand: an edit (PATCH, the record page, `sohoa records update`), a
withdrawal and a restore. Validation is domain.changes; every write is domain.history.commit.

The callers (API, web, CLI) audit the outcome; nothing here knows about requests.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from domain.changes import ChangeRejected, apply_changes, validate_changes, validate_reason
from domain.history import Commit, RecordMissing, StaleVersion, Who, commit
from domain.settings import Settings

__all__ = ["ChangeRejected", "RecordMissing", "StaleVersion", "edit", "set_withdrawn"]


def record_exists(client: Elasticsearch, index: str, result_id: str) -> bool:
    try:
        return bool(client.exists(index=index, id=result_id))
    except NotFoundError:
        return False


def _check_replacement(client: Elasticsearch, index: str, changes: dict[str, Any]) -> None:
    target = changes.get("replaced_by")
    if target and not record_exists(client, index, target):
        raise ChangeRejected({"replaced_by": f"no record {target!r} in the archive"})


def edit(client: Elasticsearch, settings: Settings, result_id: str, changes: Any, reason: Any,
         by: str, *, expected_version: int | None, source: str = "edit",
         refresh: str | bool = "wait_for") -> Commit:
    """Validate and apply `changes` as one version.

    ChangeRejected names each bad field; StaleVersion when the record is no longer at
    `expected_version` (None: apply to whatever is current, the bulk CSV's way); RecordMissing.
    `refresh` False skips waiting for search (bulk callers refresh once at the end).
    """
    index = settings.index_name("results")
    reason_text = reason.strip() if isinstance(reason, str) and reason.strip() else None

    def mutate(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is None:
            raise RecordMissing(result_id)
        effective = validate_changes(changes, reason, current)
        _check_replacement(client, index, effective)
        return apply_changes(current, effective) if effective else current

    done = commit(client, settings, result_id, mutate, Who(by, source, reason_text),
                  expected_version=expected_version, refresh=refresh)
    if done is None:  # the mutation above always returns a state or raises
        raise RecordMissing(result_id)
    return done


def set_withdrawn(client: Elasticsearch, settings: Settings, result_id: str, withdrawn: bool,
                  reason: Any, by: str, *, expected_version: int | None = None) -> Commit:
    """Withdraw (hidden from search, citizens and coverage) or restore a record."""
    why = validate_reason(reason)

    def mutate(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is None:
            raise RecordMissing(result_id)
        if bool(current.get("withdrawn")) == withdrawn:
            state = "withdrawn" if withdrawn else "not withdrawn"
            raise ChangeRejected({"withdrawn": f"the record is already {state}"})
        return {**current, "withdrawn": withdrawn}

    who = Who(by, "withdraw" if withdrawn else "restore", why)
    done = commit(client, settings, result_id, mutate, who, expected_version=expected_version)
    if done is None:
        raise RecordMissing(result_id)
    return done

