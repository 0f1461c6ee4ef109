"""Broker and worker faults, on a redis-server of the tests' own (a free port; the shared Redis is
untouched): (b) Redis killed mid-batch without persistence, the queue is lost and the sweeper
re-queues; (c) a worker SIGKILLed while Tesseract runs, the message comes back after the
visibility timeout and the record completes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app import create_app
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.jobs import JobStore
from tests.conftest import SAMPLE, TODAY, WorkerProcess, run_cli
from tests.support.faults_fixtures import (
    OwnRedis,
    batch_counts,
    batch_id_of,
    txt_corpus,
    wait_batch,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_settings(services: str, own_redis: OwnRedis, tmp_path: Path) -> Iterator[Settings]:
    (tmp_path / "data").mkdir()
    settings = replace(load_settings(), es_url=services, redis_url=own_redis.url,
                       index_prefix=f"fault-{uuid.uuid4().hex[:8]}", data_dir=tmp_path / "data",
                       today=TODAY, ocr_timeout_s=60)
    client = make_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    yield settings
    drop_all(client, settings)


def _verify_clean(settings: Settings, manifest: Path, total: int) -> None:
    es = make_client(settings)
    es.indices.refresh(index=settings.index_name("results"))
    assert es.count(index=settings.index_name("results"))["count"] == total  # exactly once
    verified = run_cli(settings, "verify", str(manifest), "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, verified.stdout
    assert (report["expected"], report["indexed"], report["counts"]["missing"]) == (total, total, 0)


@pytest.mark.timeout(180)
def test_sweeper_saves_a_batch_when_redis_restarts_without_its_queue(
        own_redis: OwnRedis, fault_settings: Settings, tmp_path: Path) -> None:
    total = 120
    manifest = txt_corpus(tmp_path / "corpus", total, offset=200)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    worker = WorkerProcess(fault_settings, concurrency=1, extra_env={
        "SOHOA_STUCK_AFTER": "6", "SOHOA_SWEEP_INTERVAL": "2"})
    try:
        queued = run_cli(fault_settings, "ingest", str(manifest), timeout=120)
        assert queued.returncode == 0, queued.stderr
        batch = batch_id_of(queued.stdout)
        wait_for(lambda: batch_counts(jobs, batch)["done"] >= 5, 90, 0.2, "5 records done")
        done_before = batch_counts(jobs, batch)["done"]
        own_redis.kill()  # no persistence: every queued message is gone
        assert done_before < total - 20, done_before
        health = create_app({"SOHOA_SETTINGS": fault_settings}).test_client().get("/healthz")
        assert health.status_code == 503 and health.get_json()["down"] == ["redis"]
        own_redis.start()
        counts = wait_batch(jobs, batch, total, 120)
    finally:
        worker.stop()
    assert counts["failed"] == 0
    assert "re-queued stuck job" in worker.log_path.read_text(errors="replace")
    _verify_clean(fault_settings, manifest, total)


def _scan_manifest(target: Path, count: int) -> Path:
    """`count` single-file scanned records of the sample (PNG/JPEG/TIFF: Tesseract runs)."""
    info = map(json.loads, (SAMPLE / "scan_info.jsonl").read_text().splitlines())
    kinds = {r["result_id"]: r["kind"] for r in info}
    chosen = [line for line in (SAMPLE / "manifest.jsonl").read_text().splitlines()
              if kinds.get(json.loads(line)["result_id"]) in ("png", "jpg", "tif")][:count]
    (target / "files").mkdir(parents=True)
    for line in chosen:
        for name in json.loads(line)["files"]:
            shutil.copy(SAMPLE / name, target / name)
    (target / "manifest.jsonl").write_text("\n".join(chosen) + "\n")
    return target / "manifest.jsonl"


def _tesseract_in_group(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid and \
                    (entry / "comm").read_text().strip() == "tesseract":
                return True
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return False


@pytest.mark.timeout(180)
def test_record_completes_after_its_worker_is_killed_during_ocr(
        fault_settings: Settings, tmp_path: Path) -> None:
    total = 4
    manifest = _scan_manifest(tmp_path / "corpus", total)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    env = {"SOHOA_VISIBILITY_TIMEOUT": "20", "SOHOA_STUCK_AFTER": "600"}
    first = WorkerProcess(fault_settings, concurrency=1, extra_env=env)
    queued = run_cli(fault_settings, "ingest", str(manifest), timeout=120)
    assert queued.returncode == 0, queued.stderr
    batch = batch_id_of(queued.stdout)
    try:
        wait_for(lambda: _tesseract_in_group(first.process.pid), 90, 0.05, "Tesseract running")
        first.kill(signal.SIGKILL)  # the whole group: worker, pool child and Tesseract
    finally:
        first.stop()
    killed_at = dt.datetime.now(dt.UTC)
    counts = batch_counts(jobs, batch)
    assert counts["running"] == 1, counts  # killed mid-OCR: the job was left running
    victim = next(jobs.search({"term": {"state": "running"}}))
    second = WorkerProcess(fault_settings, concurrency=1, extra_env=env)
    try:
        counts = wait_batch(jobs, batch, total, 120)
    finally:
        second.stop()
    assert counts["failed"] == 0
    # The killed job ran again after the kill: its message came back (visibility timeout 20 s;
    # the sweeper, at 600 s here, had no part in it).
    again = jobs.get(victim["job_id"])
    assert again is not None and again["state"] == "done"
    assert dt.datetime.fromisoformat(again["started_at"]) > killed_at
    assert "re-queued stuck job" not in second.log_path.read_text(errors="replace")
    _verify_clean(fault_settings, manifest, total)
