"""`pipeline.process` and `runner.run_job` with an in-memory Elasticsearch and real files: the
order of the steps, the document they build, the versioned write and the job's outcome."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from domain.settings import Settings
from indexer import pipeline
from indexer.job_states import Holder
from indexer.jobs import JobFile, JobPayload, JobStore
from indexer.runner import run_job
from indexer.shutdown import WorkerStopping
from indexer.storage import store
from tests.support.fakes import FakeElasticsearch

TEXT = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 12/2024/GP\nCấp cho bà Nguyễn Thị Lan.\n"
META = {"result_id": "R-1", "result_number": "12/2024/GP", "agency_code": "H26.1",
        "issued_on": "2024-02-03", "holder_name": "Nguyễn Thị Lan",
        "holder_id_number": "001190001234", "status": "active", "valid_from": "2024-02-03",
        "other_parties": [{"name": "Trần Văn Bình", "id_number": "001088004321"}]}


ME = Holder("celery@unit", 1)


def _run(job_id: str, settings: Settings, client: FakeElasticsearch) -> pipeline.JobOutcome:
    return run_job(job_id, None, 1, ME, settings, client,  # type: ignore[arg-type]
                   lambda _holder, _job: False)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return replace(Settings(), data_dir=tmp_path / "data", index_prefix="unit")


def _payload(settings: Settings, tmp_path: Path, text: str = TEXT, version: int = 100,
             result_id: str = "R-1") -> JobPayload:
    source = tmp_path / f"{result_id}-{version}.txt"
    source.write_text(text, encoding="utf-8")
    stored = store(source, settings.originals_dir)
    job_file = JobFile("files/r1.txt", stored.sha256, stored.size, stored.storage_key,
                       "text/plain")
    return JobPayload(result_id, {**META, "result_id": result_id}, (job_file,), version)


def test_process_writes_the_document_built_from_text_and_metadata(
        settings: Settings, tmp_path: Path) -> None:
    client = FakeElasticsearch()
    outcome = pipeline.process(_payload(settings, tmp_path), settings, client)  # type: ignore[arg-type]
    assert (outcome.state, outcome.pages) == ("done", 1)
    doc = client.get(index="unit-results", id="R-1")["_source"]
    assert doc["text"].strip() == TEXT.strip()
    assert doc["party_id_numbers"] == ["001088004321", "001190001234"]
    assert doc["ingest_version"] == 100 and doc["page_count"] == 1
    assert doc["files"][0]["name"] == "files/r1.txt"
    assert doc["duplicate_of"] == []


def test_an_older_write_never_replaces_a_newer_one(settings: Settings, tmp_path: Path) -> None:
    client = FakeElasticsearch()
    pipeline.process(_payload(settings, tmp_path, version=200), settings, client)  # type: ignore[arg-type]
    late = pipeline.process(_payload(settings, tmp_path, text=TEXT + "cũ\n", version=150),
                            settings, client)  # type: ignore[arg-type]
    assert late.state == "superseded"
    assert client.get(index="unit-results", id="R-1")["_source"]["ingest_version"] == 200


def test_the_same_scan_under_another_id_is_flagged_as_duplicate(
        settings: Settings, tmp_path: Path) -> None:
    client = FakeElasticsearch()
    pipeline.process(_payload(settings, tmp_path), settings, client)  # type: ignore[arg-type]
    pipeline.process(_payload(settings, tmp_path, result_id="R-2"), settings, client)  # type: ignore[arg-type]
    second = client.get(index="unit-results", id="R-2")["_source"]
    assert second["duplicate_of"] == ["R-1"]
    assert second["quality_flags"]


def test_run_job_records_done_and_failed_outcomes(settings: Settings, tmp_path: Path) -> None:
    client = FakeElasticsearch()
    jobs = JobStore(client, settings)  # type: ignore[arg-type]
    good = jobs.create(_payload(settings, tmp_path), batch_id="b", source="unit")
    outcome = _run(good, settings, client)
    assert outcome.state == "done"
    assert jobs.get(good)["state"] == "done"  # type: ignore[index]

    missing = _payload(settings, tmp_path, result_id="R-3")
    (settings.originals_dir / missing.files[0].storage_key).unlink()
    bad = jobs.create(missing, batch_id="b", source="unit")
    failed = _run(bad, settings, client)
    assert (failed.state, failed.error_code) == ("failed", "original-missing")
    job = jobs.get(bad)
    assert job is not None and job["state"] == "failed" and job["error_code"] == "original-missing"
    assert ("unit-results", "R-3") not in client.writes


def test_a_stop_signal_during_the_write_waits_for_it(settings: Settings, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop that lands once the record is being written does not hand the job back (the
    next worker would run it again and write nothing); one during extraction does."""
    client = FakeElasticsearch()
    jobs = JobStore(client, settings)  # type: ignore[arg-type]
    job_id = jobs.create(_payload(settings, tmp_path), batch_id="b", source="unit")
    real_write = pipeline.write_document

    def write_then_stop(*args: Any) -> bool:
        written = real_write(*args)
        os.kill(os.getpid(), signal.SIGTERM)
        return written

    monkeypatch.setattr(pipeline, "write_document", write_then_stop)
    assert _run(job_id, settings, client).state == "done"
    job = jobs.get(job_id)
    assert job is not None and job["state"] == "done"
    assert _events(jobs, job_id) == ["queued", "running", "done"]

    monkeypatch.setattr(pipeline, "write_document", real_write)
    real_extract = pipeline.extract_files

    def stop_while_reading(*args: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        return real_extract(*args)

    monkeypatch.setattr(pipeline, "extract_files", stop_while_reading)
    second = jobs.create(_payload(settings, tmp_path, result_id="R-2"), batch_id="b",
                         source="unit")
    with pytest.raises(WorkerStopping):
        _run(second, settings, client)
    assert _events(jobs, second) == ["queued", "running", "handed-back"]
    assert ("unit-results", "R-2") not in client.writes


def test_run_job_of_an_unknown_job_is_an_error(settings: Settings) -> None:
    with pytest.raises(LookupError):
        _run("nope", settings, FakeElasticsearch())


def _events(jobs: JobStore, job_id: str) -> list[str]:
    return [e["event"] for e in jobs.get(job_id)["history"]]  # type: ignore[index]


def test_a_stale_delivery_after_a_requeue_is_a_recorded_no_op(settings: Settings,
                                                              tmp_path: Path) -> None:
    client = FakeElasticsearch()
    jobs = JobStore(client, settings)  # type: ignore[arg-type]
    payload = _payload(settings, tmp_path)
    job_id = jobs.create(payload, batch_id="b", source="unit")
    judged = jobs.get(job_id)
    newer = replace(payload, ingest_version=payload.ingest_version + 1)
    assert jobs.requeue(job_id, newer, why="orphaned: test", judged=judged, count=True)
    # A second sweeper that judged the same old state does nothing.
    assert not jobs.requeue(job_id, newer, why="orphaned: test", judged=judged, count=True)
    late = run_job(job_id, payload.ingest_version, 1, ME, settings, client,  # type: ignore[arg-type]
                   lambda _holder, _job: False)
    assert (late.state, late.error_code) == ("ignored", "stale")
    assert ("unit-results", "R-1") not in client.writes
    current = run_job(job_id, newer.ingest_version, 1, ME, settings, client,  # type: ignore[arg-type]
                      lambda _holder, _job: False)
    assert current.state == "done"
    again = _run(job_id, settings, client)  # a duplicate of a finished job
    assert (again.state, again.error_code) == ("ignored", "finished")
    assert _events(jobs, job_id) == ["queued", "requeued", "ignored", "running", "done", "ignored"]
    assert jobs.get(job_id)["requeues"] == 1  # type: ignore[index]
    assert client.writes.count(("unit-results", "R-1")) == 1


def test_an_outcome_is_dropped_once_someone_else_owns_the_job(settings: Settings,
                                                              tmp_path: Path) -> None:
    client = FakeElasticsearch()
    jobs = JobStore(client, settings)  # type: ignore[arg-type]
    job_id = jobs.create(_payload(settings, tmp_path), batch_id="b", source="unit")
    jobs.claim(job_id, None, ME, 1, lambda _holder, _job: False)
    other = Holder("celery@other", 2)
    jobs.claim(job_id, None, other, 2, lambda _holder, _job: False)  # ME looked dead: taken over
    assert not jobs.mark_done(job_id, None, ME, 1, written=True)
    assert not jobs.hand_back(job_id, None, ME, "stopping")
    assert jobs.get(job_id)["worker"] == other.worker  # type: ignore[index]
    assert _events(jobs, job_id)[-1] == "outcome-dropped"
    assert jobs.hand_back(job_id, None, other, "stopping")
    assert jobs.get(job_id)["state"] == "queued"  # type: ignore[index]


def test_an_edit_survives_a_late_old_write_and_a_reingest_of_the_same_line(
        settings: Settings, tmp_path: Path) -> None:
    from domain.history import Who, record_version

    client = FakeElasticsearch()
    pipeline.process(_payload(settings, tmp_path, version=100), settings, client)  # type: ignore[arg-type]
    record_version(client, settings, "R-1", {"holder_name": "Nguyễn Thị Lành"},  # type: ignore[arg-type]
                   Who("officer", "edit", "sai tên"), expected_version=1)
    late = pipeline.process(_payload(settings, tmp_path, version=90), settings, client)  # type: ignore[arg-type]
    assert late.state == "superseded"
    again = pipeline.process(_payload(settings, tmp_path, version=200), settings, client)  # type: ignore[arg-type]
    assert again.state == "done"
    doc = client.get(index="unit-results", id="R-1")["_source"]
    assert (doc["holder_name"], doc["version"]) == ("Nguyễn Thị Lành", 3)
    history = client.docs["unit-history"]
    assert sorted(history) == ["R-1#1", "R-1#2", "R-1#3"]
    assert [history[f"R-1#{n}"][1]["source"] for n in (1, 2, 3)] == ["ingest", "edit", "ingest"]
