"""A record written without its history entry (the connection lost between the two writes)
gets the entry back from the next write on it, so `sohoa verify` finds nothing to report."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ConflictError, Elasticsearch

from domain.changes import history_disagreements
from domain.history import HistoryStore, Who, commit, entry_id
from domain.settings import Settings

pytestmark = pytest.mark.services

INGEST = Who("ingest", "ingest")


def _ingest(doc: dict[str, Any]) -> Any:
    """The ingest's mutation: write unless this ingest version is already there."""
    def mutate(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current and current.get("ingest_version", 0) >= doc["ingest_version"]:
            return None
        return dict(doc)
    return mutate


def _lose_entry(es: Elasticsearch, settings: Settings, result_id: str, version: int) -> None:
    es.delete(index=settings.index_name("history"), id=entry_id(result_id, version),
              refresh=True)


def _state(es: Elasticsearch, settings: Settings, result_id: str
           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = es.get(index=settings.index_name("results"), id=result_id)["_source"]
    return doc, HistoryStore(es, settings).versions(result_id)


def test_the_retried_ingest_writes_the_lost_entry(session_settings: Settings,
                                                  es: Elasticsearch) -> None:
    rid = "CATCHUP-1"
    doc = {"result_id": rid, "summary": "Giấy phép lần đầu", "status": "active",
           "agency_code": "H26.1", "issued_on": "2024-01-02", "ingest_version": 5}
    commit(es, session_settings, rid, _ingest(doc), INGEST)
    _lose_entry(es, session_settings, rid, 1)
    record, versions = _state(es, session_settings, rid)
    assert history_disagreements(record, versions)  # the gap verify reports

    assert commit(es, session_settings, rid, _ingest(doc), INGEST) is None  # nothing new
    record, versions = _state(es, session_settings, rid)
    assert history_disagreements(record, versions) == []
    (entry,) = versions
    assert entry["recovered"] and entry["source"] == "ingest"
    assert entry["changes"]["summary"] == {"from": None, "to": "Giấy phép lần đầu"}


def test_a_later_edit_first_writes_the_entry_of_the_version_before(
        session_settings: Settings, es: Elasticsearch) -> None:
    rid = "CATCHUP-2"
    first = {"result_id": rid, "summary": "bản một", "status": "active",
             "agency_code": "H26.1", "issued_on": "2024-01-02", "ingest_version": 1}
    commit(es, session_settings, rid, _ingest(first), INGEST)
    commit(es, session_settings, rid, _ingest({**first, "summary": "bản hai",
                                               "ingest_version": 2}), INGEST)
    _lose_entry(es, session_settings, rid, 2)
    officer = Who("can-bo-1", "edit", "sửa chính tả")
    commit(es, session_settings, rid, lambda cur: {**(cur or {}), "summary": "bản ba"}, officer)
    record, versions = _state(es, session_settings, rid)
    assert history_disagreements(record, versions) == []
    by_version = {v["version"]: v for v in versions}
    assert sorted(by_version) == [1, 2, 3]
    # The rebuilt entry holds exactly the change of its own version, by its own writer.
    assert by_version[2]["changes"]["summary"] == {"from": "bản một", "to": "bản hai"}
    assert by_version[2]["recovered"] and by_version[2]["source"] == "ingest"
    assert by_version[3]["changes"]["summary"] == {"from": "bản hai", "to": "bản ba"}
    assert (by_version[3]["by"], "recovered" in by_version[3]) == ("can-bo-1", False)


def test_a_catch_up_between_a_writer_s_two_writes_gives_way_to_the_writer(
        session_settings: Settings, es: Elasticsearch) -> None:
    """Another request may read the record after its write and before its history entry (20
    officers saving at once): that reader rebuilds the entry, and the writer's own replaces it."""
    rid = "CATCHUP-3"
    done = commit(es, session_settings, rid, _ingest(
        {"result_id": rid, "summary": "một", "status": "active", "agency_code": "H26.1",
         "issued_on": "2024-01-02", "ingest_version": 1}), INGEST)
    assert done is not None and done.entry is not None
    _lose_entry(es, session_settings, rid, 1)  # as if the writer had not got there yet
    commit(es, session_settings, rid, _ingest({"ingest_version": 1}), INGEST)  # a reader
    store = HistoryStore(es, session_settings)
    assert store.versions(rid)[0]["recovered"]
    store.add_as_writer(done.entry, refresh=True)  # the writer's second write, late
    (entry,) = store.versions(rid)
    assert "recovered" not in entry and entry == done.entry
    with pytest.raises(ConflictError):  # a version written twice by writers is still refused
        store.add_as_writer(done.entry, refresh=True)
