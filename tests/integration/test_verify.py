"""`sohoa verify` and the sweeper: pure logic, then every kind of issue on the real services."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from elasticsearch import Elasticsearch

from domain.indices import drop_all, ensure_indices
from domain.records import read_manifest
from domain.settings import Settings, SettingsError, load_settings
from indexer.broker import broker_job_ids, job_id_of
from indexer.celery_app import make_celery
from indexer.intake import new_batch_id, payload_for, queue_records
from indexer.job_states import Holder
from indexer.jobs import JobStore
from indexer.sweeper import SweeperConfig, is_stuck, sweep, sweeper_config
from indexer.verify import Expected, differences
from tests.conftest import TODAY, run_cli
from tests.support.faults_fixtures import forget_queue, txt_corpus

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
WORKER = Holder("verify-test-worker", 1)  # stands in for the worker that ran the jobs


def _message(job_id: str, task: str = "sohoa.process_record") -> dict:
    body = base64.b64encode(json.dumps([[job_id], {}, {}]).encode()).decode()
    return {"body": body, "headers": {"task": task, "id": str(uuid.uuid4())},
            "properties": {"body_encoding": "base64"}}


def test_job_id_is_read_from_a_kombu_message() -> None:
    assert job_id_of(_message("abc123")) == "abc123"
    assert job_id_of(_message("abc123", task="other.task")) is None
    assert job_id_of({"body": "not base64 json", "headers": {"task": "sohoa.process_record"},
                      "properties": {"body_encoding": "base64"}}) is None


def test_stuck_means_old_and_without_a_broker_message() -> None:
    old = {"job_id": "j1", "state": "queued", "updated_at": "2026-11-25T09:00:00.000+00:00"}
    cutoff = NOW - dt.timedelta(minutes=15)
    assert is_stuck(old, set(), cutoff)
    assert not is_stuck(old, {"j1"}, cutoff)           # its message still waits: a backlog
    assert is_stuck(old, None, cutoff)                 # broker unreadable: age alone
    assert not is_stuck({**old, "state": "done"}, set(), cutoff)
    young = {**old, "updated_at": "2026-11-25T09:59:00.000+00:00"}
    assert not is_stuck(young, set(), cutoff)


def test_sweeper_config_from_the_environment() -> None:
    config = lambda env: sweeper_config(load_settings(env))  # noqa: E731
    assert config({}) == SweeperConfig(900, 60)
    assert config({"SOHOA_STUCK_AFTER": "9"}) == SweeperConfig(9, 3)
    assert config({"SOHOA_STUCK_AFTER": "9", "SOHOA_SWEEP_INTERVAL": "1"}) == SweeperConfig(9, 1)
    with pytest.raises(SettingsError, match="SOHOA_STUCK_AFTER"):
        config({"SOHOA_STUCK_AFTER": "soon"})


def test_differences_name_personal_fields_without_their_values() -> None:
    want = Expected("R1", {"result_id": "R1", "document_type": "Giấy phép", "status": "active",
                           "holder_id_number": "001088012345"}, ("aa",), "m.jsonl:1")
    same = {"document_type": "Giấy phép", "status": "active", "holder_id_number": "001088012345",
            "file_hashes": ["aa"]}
    assert differences(want, same) == []
    other = {**same, "status": "revoked", "holder_id_number": "001088099999", "file_hashes": ["bb"]}
    diffs = differences(want, other)
    assert "file SHA-256 differs from the index's file_hashes" in diffs
    assert "status: expected 'active', index has 'revoked'" in diffs
    assert "holder_id_number differs" in diffs
    assert not any("0010880" in d for d in diffs)


@pytest.fixture
def deployment(services: str, tmp_path: Path) -> Iterator[Settings]:
    (tmp_path / "data").mkdir()
    settings = replace(load_settings(), es_url=services, data_dir=tmp_path / "data", today=TODAY,
                       index_prefix=f"verify-{uuid.uuid4().hex[:8]}")
    client = Elasticsearch(services)
    ensure_indices(client, settings, log=lambda _m: None)
    yield settings
    drop_all(client, settings)
    forget_queue(settings.redis_url, settings.celery_queue)


def _index(client: Elasticsearch, settings: Settings, metadata: dict, hashes: list[str],
           files: list[dict]) -> None:
    client.index(index=settings.index_name("results"), id=metadata["result_id"],
                 document={**metadata, "file_hashes": hashes, "files": files}, refresh=True)


@pytest.mark.services
@pytest.mark.timeout(120)
def test_verify_reports_every_kind_of_trouble(deployment: Settings, tmp_path: Path) -> None:
    settings = deployment
    client = Elasticsearch(settings.es_url)
    manifest = txt_corpus(tmp_path / "corpus", 6, offset=600)
    with manifest.open("a") as handle:
        handle.write('{"result_id": "BAD-1", "files": []}\n')
    records, _ = read_manifest(manifest, settings.max_file_bytes)
    store = JobStore(client, settings)
    ids = [r.result_id for r in records]
    for record in records:  # a finished job for each, as a worker would leave it
        payload = payload_for(record, settings)
        job_id = store.create(payload, batch_id="b", source=str(manifest))
        files = [f.as_dict() for f in payload.files]
        if record.result_id == ids[2]:
            continue  # left queued with no broker message: stuck (timeout 1 s below)
        store.claim(job_id, None, WORKER, 1, lambda _holder, _job: False)
        if record.result_id == ids[0]:
            store.mark_done(job_id, None, WORKER, 1, written=True)
            continue  # missing: done job, no document
        if record.result_id == ids[1]:
            store.mark_failed(job_id, None, WORKER, "ocr-timeout",
                              "page 1: Tesseract took longer than 60 s")
            continue
        store.mark_done(job_id, None, WORKER, 1, written=True)
        metadata = dict(record.metadata)
        hashes = [f.sha256 for f in payload.files]
        if record.result_id == ids[3]:
            metadata["document_type"] = "Sai loại"
        if record.result_id == ids[4]:
            (settings.originals_dir / payload.files[0].storage_key).unlink()
        _index(client, settings, metadata, hashes, files)
    time.sleep(1.5)
    result = run_cli(settings, "verify", str(manifest), "--json", "--stuck-after", "1")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    kinds = {(i["kind"], i["result_id"]) for i in report["issues"]}
    assert kinds == {("refused", "BAD-1"), ("missing", ids[0]), ("failed", ids[1]),
                     ("stuck", ids[2]), ("differing", ids[3]), ("file-missing", ids[4])}
    failed = next(i for i in report["issues"] if i["kind"] == "failed")
    assert "ocr-timeout" in failed["detail"] and "Tesseract" in failed["detail"]
    assert report["expected"] == 6 and report["indexed"] == 3
    table = run_cli(settings, "verify", str(manifest), "--stuck-after", "1")
    assert table.returncode == 1
    assert "something is off" in table.stdout and ids[3] in table.stdout
    # The healthy record alone: nothing off, exit 0.
    only_good = manifest.parent / "good.jsonl"
    only_good.write_text(manifest.read_text().splitlines()[5] + "\n")
    assert run_cli(settings, "verify", str(only_good)).returncode == 0


@pytest.mark.services
@pytest.mark.timeout(120)
def test_sweep_requeues_only_jobs_whose_message_is_gone(deployment: Settings,
                                                         tmp_path: Path) -> None:
    settings = deployment
    client = Elasticsearch(settings.es_url)
    broker = redis.Redis.from_url(settings.redis_url)
    celery = make_celery(settings)
    records, _ = read_manifest(txt_corpus(tmp_path / "c", 3, offset=700), settings.max_file_bytes)
    queued = queue_records(records, settings=settings, client=client, celery=celery,
                           batch_id=new_batch_id(), source="test")
    ids = {q.job_id for q in queued}
    assert broker_job_ids(broker, settings.celery_queue) >= ids
    time.sleep(1.5)
    config = SweeperConfig(stuck_after_s=1, interval_s=5)
    # Messages still wait in the queue (no worker runs): a backlog, not stuck.
    assert sweep(settings, client, celery, broker, config, lock=False).requeued == []
    broker.delete(settings.celery_queue)  # what a Redis restart without persistence does
    report = sweep(settings, client, celery, broker, config)
    assert {r["job_id"] for r in report.requeued} == ids
    assert broker_job_ids(broker, settings.celery_queue) >= ids
    assert broker.llen(settings.celery_queue) == 3  # one message each, not more
    # The lock: a second sweeper within the interval does nothing.
    assert sweep(settings, client, celery, broker, config).skipped_lock
