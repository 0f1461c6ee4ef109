"""Elasticsearch faults, on a node of the tests' own (a free port; the shared 9200 is untouched):
(d) searching while it is down answers 503 and says so; (a) killed in the middle of a batch and
restarted, the batch completes with every record indexed exactly once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.auth.accounts import AccountStore
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.jobs import JobStore
from tests.conftest import TODAY, WorkerProcess, run_cli
from tests.support.apps import make_app
from tests.support.faults_fixtures import (
    OwnElasticsearch,
    batch_counts,
    batch_id_of,
    forget_queue,
    txt_corpus,
    wait_batch,
    wait_for,
    wait_green_or_yellow,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]
BATCH = 150


@pytest.fixture(scope="module")
def fault_es() -> Iterator[OwnElasticsearch]:
    node = OwnElasticsearch()
    node.start()
    yield node
    node.remove()


def _settings(node: OwnElasticsearch, data_dir: Path) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(load_settings(), es_url=node.url, data_dir=data_dir, today=TODAY,
                       index_prefix=f"fault-es-{uuid.uuid4().hex[:6]}", ocr_timeout_s=60)
    ensure_indices(make_client(settings), settings, log=lambda _m: None)
    return settings


@pytest.mark.timeout(150)
def test_search_answers_503_while_elasticsearch_is_down(fault_es: OwnElasticsearch,
                                                         tmp_path: Path) -> None:
    settings = _settings(fault_es, tmp_path)
    token = AccountStore(make_client(settings), settings).add("ops-officer", "officer")
    app = make_app(settings)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    with client.session_transaction() as session:
        session["staff"] = {"u": "ops-officer", "v": 0, "at": time.time()}
    assert client.get("/api/v1/search?q=giấy phép", headers=auth).status_code == 200
    assert client.get("/?q=giấy phép").status_code == 200
    assert client.get("/healthz").status_code == 200

    fault_es.kill()
    try:
        answer = client.get("/api/v1/search?q=giấy phép", headers=auth)
        assert answer.status_code == 503
        assert "search service (Elasticsearch) is unavailable" in answer.get_json()["error"]
        health = client.get("/healthz")
        assert health.status_code == 503
        body = health.get_json()
        assert body["down"] == ["elasticsearch"]
        assert body["redis"]["ok"] is True
        page = client.get("/?q=giấy phép")
        assert page.status_code == 503
        html = page.get_data(as_text=True)
        assert "Dịch vụ tra cứu tạm thời không khả dụng" in html
        assert "Traceback" not in html
    finally:
        fault_es.start()
    wait_for(lambda: client.get("/healthz").status_code == 200, 60, 1.0, "healthz back to 200")
    drop_all(make_client(settings), settings)


@pytest.mark.timeout(300)
def test_batch_survives_elasticsearch_killed_mid_batch(fault_es: OwnElasticsearch,
                                                        tmp_path: Path) -> None:
    settings = _settings(fault_es, tmp_path / "data")
    es = make_client(settings)
    jobs = JobStore(es, settings)
    manifest = txt_corpus(tmp_path / "corpus", BATCH)
    worker = WorkerProcess(settings, concurrency=2, extra_env={"SOHOA_STUCK_AFTER": "60"})
    try:
        queued = run_cli(settings, "ingest", str(manifest), timeout=120)
        assert queued.returncode == 0, queued.stderr
        batch = batch_id_of(queued.stdout)
        wait_for(lambda: batch_counts(jobs, batch)["done"] >= 10, 120, 0.2, "10 records done")
        done_before_kill = batch_counts(jobs, batch)["done"]
        fault_es.kill()
        # The fault really comes mid-batch (else this test would prove nothing).
        assert done_before_kill < BATCH - 20, done_before_kill
        time.sleep(8)  # the workers hit a dead cluster and back off
        fault_es.start()
        wait_green_or_yellow(es)
        back = time.monotonic()
        counts = wait_batch(jobs, batch, BATCH, 200)
        print(f"\nRECOVERY Elasticsearch killed and restarted: {BATCH - done_before_kill} records "
              f"left, all done {time.monotonic() - back:.1f}s after the cluster was yellow again")
    finally:
        worker.stop()
    assert counts["failed"] == 0
    es.indices.refresh(index=settings.index_name("results"))
    assert es.count(index=settings.index_name("results"))["count"] == BATCH  # exactly once
    verified = run_cli(settings, "verify", str(manifest), "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, verified.stdout
    assert report["expected"] == BATCH and report["indexed"] == BATCH
    assert report["counts"]["missing"] == 0
    drop_all(es, settings)
    forget_queue(settings.redis_url, settings.celery_queue)
