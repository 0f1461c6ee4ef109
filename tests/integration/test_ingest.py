"""The ingestion pipeline end to end: CLI → Redis → Celery worker → OCR → Elasticsearch."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from domain.indices import drop_all, ensure_indices
from domain.settings import Settings
from tests.conftest import BAD, SAMPLE, WorkerProcess, run_cli

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _sample_ids() -> list[str]:
    return [json.loads(line)["result_id"] for line in (SAMPLE / "manifest.jsonl").open()]


def test_every_sample_record_is_indexed(ingested_sample, es: Elasticsearch,
                                        session_settings: Settings) -> None:
    assert ingested_sample.returncode == 0, ingested_sample.stdout + ingested_sample.stderr
    assert "indexed    60" in ingested_sample.stdout
    index = session_settings.index_name("results")
    docs = {hit["_id"]: hit["_source"] for hit in es.search(
        index=index, size=100, query={"ids": {"values": _sample_ids()}},
        _source=["text", "page_count", "files", "pages"])["hits"]["hits"]}
    assert sorted(docs) == sorted(_sample_ids())
    for result_id, doc in docs.items():
        assert len(doc["text"]) > 200, result_id
        assert doc["page_count"] == len(doc["pages"]) >= 1
        stored = session_settings.originals_dir / doc["files"][0]["storage_key"]
        assert stored.is_file()


@pytest.fixture(scope="module")
def own_deployment(session_settings: Settings, es: Elasticsearch) -> Iterator[Settings]:
    """A deployment of its own (prefix, queue, worker): these records must not change the
    shared sample index that the search and coverage tests compare against their oracles."""
    settings = replace(session_settings, index_prefix=f"{session_settings.index_prefix}-ingest",
                       data_dir=session_settings.data_dir / "ingest")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_indices(es, settings, log=lambda _m: None)
    worker = WorkerProcess(settings)
    yield settings
    worker.stop()
    drop_all(es, settings)


def test_every_bad_row_gets_its_outcome(own_deployment: Settings, es: Elasticsearch) -> None:
    session_settings = own_deployment
    result = run_cli(session_settings, "ingest", str(BAD / "manifest.jsonl"), "--wait")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    # Refused at validation, each with its line and reason.
    for expected in ("BAD-missing-file): file 'files/does-not-exist.png' does not exist",
                     "BAD-path-traversal): file '../../../../etc/passwd' lies outside",
                     "BAD-bad-date): 'issued_on' is not a valid date",
                     "BAD-unknown-level): unknown agency_level 'province-ish'",
                     "BAD-no-files): 'files' must be a non-empty list",
                     "DUP-twice): duplicate result_id in this manifest",
                     "line 17: not valid JSON"):
        assert expected in out
    # Line 11 has no result_id: since intake without a full manifest (CONTRACT, second round)
    # that is a valid line whose result_id comes from the content.
    assert "line 11:" not in out
    # Failed in the worker with a specific code; the worker survives.
    for result_id, code in (("BAD-empty-pdf", "empty-file"),
                            ("BAD-truncated-png", "truncated-image"),
                            ("BAD-html-named-pdf", "content-mismatch"),
                            ("BAD-encrypted-pdf", "encrypted-pdf"),
                            ("BAD-bomb-png", "decompression-bomb")):
        assert f"{result_id}: [{code}]" in out
    es.indices.refresh(index=session_settings.index_name("results"))
    get = lambda rid: es.get(index=session_settings.index_name("results"), id=rid)["_source"]  # noqa: E731
    blank = get("HARD-blank-page")
    assert "blank-page" in blank["quality_flags"]
    sideways = get("HARD-sideways-scan")
    assert "quách hải loan" in sideways["text"].lower()
    assert sideways["pages"][0]["rotation"] in (90, 270)
    assert "000.00.45.H26-220315-0012" in get("OK-text-file")["text"]
    assert not es.exists(index=session_settings.index_name("results"), id="BAD-bomb-png")


def test_reingesting_a_result_replaces_it(own_deployment: Settings, es: Elasticsearch,
                                          tmp_path: Path) -> None:
    session_settings = own_deployment
    shutil.copy(BAD / "files" / "note.txt", tmp_path / "note.txt")
    record = json.loads((BAD / "manifest.jsonl").read_text().splitlines()[13])
    assert record["result_id"] == "OK-text-file"
    record.update(result_id="REPLACE-ME", files=["note.txt"])
    for holder in ("Người Thứ Nhất", "Người Thứ Hai"):
        record["holder_name"] = holder
        (tmp_path / "m.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n")
        result = run_cli(session_settings, "ingest", str(tmp_path / "m.jsonl"), "--wait")
        assert result.returncode == 0, result.stdout + result.stderr
    index = session_settings.index_name("results")
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"term": {"result_id": "REPLACE-ME"}})["hits"]
    assert hits["total"]["value"] == 1
    assert hits["hits"][0]["_source"]["holder_name"] == "Người Thứ Hai"


def test_a_stale_write_never_overwrites_a_newer_one(own_deployment: Settings,
                                                    es: Elasticsearch) -> None:
    session_settings = own_deployment
    from indexer.pipeline import write_document

    index = session_settings.index_name("results")
    newer = {"result_id": "VERSIONED", "ingest_version": 2000, "holder_name": "mới"}
    older = {"result_id": "VERSIONED", "ingest_version": 1000, "holder_name": "cũ"}
    assert write_document(es, session_settings, newer)
    assert not write_document(es, session_settings, older)
    assert not write_document(es, session_settings, newer), "a retry of the same write"
    assert es.get(index=index, id="VERSIONED")["_source"]["holder_name"] == "mới"

