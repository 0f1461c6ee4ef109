"""Broker and worker faults, on a redis-server of the tests' own (a free port; the shared Redis is
untouched): Redis killed mid-batch without persistence (the queue is lost and the sweeper
re-queues); the whole worker SIGKILLed mid-OCR (its jobs are orphans, back within seconds, with
the default timeouts); the original message of an orphan redelivered late (a recorded no-op);
a slow job with a live worker (never re-queued); SIGTERM mid-batch (nothing left pending).

Each prints its measured recovery time (`pytest -s`); docs/reliability.md quotes them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.broker import job_id_of
from indexer.jobs import JobStore
from tests.conftest import SAMPLE, TODAY, WorkerProcess, run_cli
from tests.support.apps import make_app
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


@pytest.mark.timeout(240)
def test_sweeper_saves_a_batch_when_redis_restarts_without_its_queue(
        own_redis: OwnRedis, fault_settings: Settings, tmp_path: Path) -> None:
    total = 120
    manifest = txt_corpus(tmp_path / "corpus", total, offset=200)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    worker = WorkerProcess(fault_settings, concurrency=1)  # default timeouts (stuck after 900 s)
    try:
        queued = run_cli(fault_settings, "ingest", str(manifest), timeout=120)
        assert queued.returncode == 0, queued.stderr
        batch = batch_id_of(queued.stdout)
        wait_for(lambda: batch_counts(jobs, batch)["done"] >= 1, 90, 0.1, "a record done")
        done_before = batch_counts(jobs, batch)["done"]
        own_redis.kill()  # no persistence: every queued message is gone
        assert done_before < total - 20, done_before
        health = make_app(fault_settings, TESTING=False).test_client().get("/healthz")
        assert health.status_code == 503 and health.get_json()["down"] == ["redis"]
        own_redis.start()
        restarted = time.monotonic()
        counts = wait_batch(jobs, batch, total, 120)
        print(f"\nRECOVERY Redis restarted without persistence: {total - done_before} records "
              f"left, all done {time.monotonic() - restarted:.1f}s after Redis came back")
    finally:
        worker.stop()
    assert counts["failed"] == 0
    # The jobs whose messages died with Redis were found at once, not after SOHOA_STUCK_AFTER.
    assert "re-queued stuck job" in worker.log_path.read_text(errors="replace")
    _verify_clean(fault_settings, manifest, total)


def _scan_manifest(target: Path, count: int, files_per_record: int = 1) -> Path:
    """`count` records of the sample's scans (PNG/JPEG/TIFF: Tesseract runs), each made of
    `files_per_record` of them."""
    info = map(json.loads, (SAMPLE / "scan_info.jsonl").read_text().splitlines())
    kinds = {r["result_id"]: r["kind"] for r in info}
    scans = [json.loads(line) for line in (SAMPLE / "manifest.jsonl").read_text().splitlines()
             if kinds.get(json.loads(line)["result_id"]) in ("png", "jpg", "tif")]
    (target / "files").mkdir(parents=True)
    lines = []
    for n in range(count):
        group = [scans[(n * files_per_record + k) % len(scans)] for k in range(files_per_record)]
        record = dict(group[0])
        record["files"] = [name for member in group for name in member["files"]]
        for name in record["files"]:
            shutil.copy(SAMPLE / name, target / name)
        lines.append(json.dumps(record, ensure_ascii=False))
    (target / "manifest.jsonl").write_text("\n".join(lines) + "\n")
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


def _pool_child_running_tesseract(pgid: int) -> int | None:
    """The pid of a pool child of this group whose Tesseract runs (its parent)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid and \
                    (entry / "comm").read_text().strip() == "tesseract":
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                return parent if parent != pgid else None
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return None


def _batch_jobs(jobs: JobStore, batch: str) -> list[dict]:
    jobs.client.indices.refresh(index=jobs.index)
    return list(jobs.search({"term": {"batch_id": batch}}))


def _events(job: dict, name: str) -> list[dict]:
    return [e for e in job.get("history") or [] if e["event"] == name]


def _assert_written_once(settings: Settings, jobs: list[dict]) -> None:
    """One recorded 'done' per job, and the index holds the job's current dispatch version."""
    es = make_client(settings)
    for job in jobs:
        done = _events(job, "done")
        assert len(done) == 1 and done[0]["detail"] == "record written", job["history"]
        doc = es.get(index=settings.index_name("results"), id=job["result_id"])
        assert doc["_source"]["ingest_version"] == job["task_payload"]["ingest_version"], \
            job["history"]


def _start_mid_ocr(settings: Settings, manifest: Path, env: dict[str, str], jobs: JobStore,
                   concurrency: int = 2) -> tuple[WorkerProcess, str]:
    """A worker started on the batch, returned once Tesseract runs and one record is done."""
    worker = WorkerProcess(settings, concurrency=concurrency, extra_env=env)
    queued = run_cli(settings, "ingest", str(manifest), timeout=120)
    assert queued.returncode == 0, queued.stderr
    batch = batch_id_of(queued.stdout)
    wait_for(lambda: batch_counts(jobs, batch)["done"] >= 1, 120, 0.2, "one record done")
    wait_for(lambda: _tesseract_in_group(worker.process.pid), 60, 0.02, "Tesseract running")
    return worker, batch


@pytest.mark.timeout(300)
def test_a_killed_pool_child_s_job_is_back_at_once(fault_settings: Settings,
                                                   tmp_path: Path) -> None:
    total = 6
    manifest = _scan_manifest(tmp_path / "corpus", total)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    worker, batch = _start_mid_ocr(fault_settings, manifest, {}, jobs)
    try:
        child = wait_for(lambda: _pool_child_running_tesseract(worker.process.pid), 60, 0.02,
                         "a pool child running Tesseract")
        (victim,) = [j for j in _batch_jobs(jobs, batch)
                     if j["state"] == "running" and j.get("worker_pid") == child]
        os.kill(child, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: jobs.get(victim["job_id"])["state"] == "done", 90, 0.2,
                 "the killed child's job done")
        recovered = time.monotonic() - killed
        counts = wait_batch(jobs, batch, total, 120)
    finally:
        worker.stop()
    print(f"\nRECOVERY pool child SIGKILLed: its job done {recovered:.1f}s after the kill")
    assert counts["failed"] == 0
    history = [e["event"] for e in jobs.get(victim["job_id"])["history"]]
    # Celery put the message back at once (task_reject_on_worker_lost). When no pool child is
    # free to take it for a while (a loaded machine), the sweeper may also re-queue the job;
    # the message Celery put back is then stale and a no-op. Either way: one run to the end.
    assert history in (["queued", "running", "running", "done"],
                       ["queued", "running", "requeued", "running", "done", "ignored"],
                       ["queued", "running", "requeued", "ignored", "running", "done"]), history
    _assert_written_once(fault_settings, _batch_jobs(jobs, batch))
    _verify_clean(fault_settings, manifest, total)


@pytest.mark.timeout(420)
def test_whole_worker_killed_mid_batch_every_job_done_within_90s(
        fault_settings: Settings, tmp_path: Path) -> None:
    total = 16
    manifest = _scan_manifest(tmp_path / "corpus", total)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    # Default timeouts: visibility 3600 s, stuck after 900 s, heartbeat 20 s.
    first, batch = _start_mid_ocr(fault_settings, manifest, {}, jobs)
    try:
        first.kill(signal.SIGKILL)  # the whole group: main process, pool children, Tesseract
    finally:
        first.stop()
    killed_at = dt.datetime.now(dt.UTC)
    in_flight = [j for j in _batch_jobs(jobs, batch) if j["state"] == "running"]
    assert in_flight, "the kill came between jobs: nothing was in flight"
    second = WorkerProcess(fault_settings, concurrency=2)
    started = time.monotonic()
    try:
        wait_for(lambda: all(jobs.get(j["job_id"])["state"] == "done" for j in in_flight), 90,
                 0.5, "the in-flight jobs done")
        orphans_s = time.monotonic() - started
        counts = wait_batch(jobs, batch, total, 90 - orphans_s)
        elapsed = time.monotonic() - started
    finally:
        second.stop()
    print(f"\nRECOVERY whole worker SIGKILLed: {len(in_flight)} in-flight job(s) done "
          f"{orphans_s:.1f}s and all {total} records {elapsed:.1f}s after the new worker "
          "started")
    assert counts["failed"] == 0 and elapsed <= 90
    finished = {j["job_id"]: j for j in _batch_jobs(jobs, batch)}
    for victim in in_flight:
        requeued = _events(finished[victim["job_id"]], "requeued")
        assert len(requeued) == 1 and "orphaned" in requeued[0]["detail"], requeued
        after = dt.datetime.fromisoformat(requeued[0]["at"]) - killed_at
        print(f"RECOVERY whole worker SIGKILLed: job {victim['job_id'][:8]} re-queued "
              f"{after.total_seconds():.1f}s after the kill")
    assert "re-queued orphaned job" in second.log_path.read_text(errors="replace")
    _assert_written_once(fault_settings, list(finished.values()))
    _verify_clean(fault_settings, manifest, total)


@pytest.mark.timeout(300)
def test_late_redelivery_of_an_orphans_message_is_a_recorded_no_op(
        fault_settings: Settings, tmp_path: Path) -> None:
    total = 6
    manifest = _scan_manifest(tmp_path / "corpus", total)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    # A visibility timeout short enough to see the original message come back in the test,
    # long enough that the sweeper (heartbeat 20 s) re-queues the orphan first.
    env = {"SOHOA_VISIBILITY_TIMEOUT": "60"}
    first, batch = _start_mid_ocr(fault_settings, manifest, env, jobs, concurrency=1)
    try:
        # The operator's view: which worker runs which job, in which process, since when.
        view = wait_for(lambda: (v := json.loads(_jobs_view(fault_settings).stdout))["jobs"] and v,
                        60, 0.5, "a running job in sohoa jobs")
        ((worker,), (row,)) = view["workers"], view["jobs"]
        seen = jobs.get(row["job_id"])
        assert seen["batch_id"] == batch and seen["worker"] == worker["worker"] == row["worker"]
        assert row["pid"] == seen["worker_pid"] and row["since"] == seen["started_at"]
        assert not row["orphaned"] and view["orphaned"] == 0
        wait_for(lambda: _tesseract_in_group(first.process.pid), 60, 0.02, "Tesseract running")
        first.kill(signal.SIGKILL)
    finally:
        first.stop()
    (victim,) = [j for j in _batch_jobs(jobs, batch) if j["state"] == "running"]
    # No worker runs now, so nobody re-queues: the view shows the orphan once the beat lapses.
    lapsed = wait_for(lambda: (r := _jobs_view(fault_settings)).returncode == 1 and r, 40, 1.0,
                      "the orphan shown by sohoa jobs")
    view = json.loads(lapsed.stdout)
    assert view["workers"] == [] and view["orphaned"] == 1
    assert view["jobs"][0]["job_id"] == victim["job_id"]
    assert "stopped beating" in view["jobs"][0]["why"]
    second = WorkerProcess(fault_settings, concurrency=1, extra_env=env)
    try:
        wait_batch(jobs, batch, total, 120)
        ignored = wait_for(lambda: _events(jobs.get(victim["job_id"]), "ignored"), 120, 1.0,
                           "the original message redelivered")
    finally:
        second.stop()
    assert "stale delivery" in ignored[0]["detail"]
    assert ignored[0]["version"] == victim["task_payload"]["ingest_version"]
    final = jobs.get(victim["job_id"])
    assert final["state"] == "done"
    assert [e["event"] for e in final["history"]] == \
        ["queued", "running", "requeued", "running", "done", "ignored"]
    _assert_written_once(fault_settings, [final])
    _verify_clean(fault_settings, manifest, total)


@pytest.mark.timeout(300)
def test_a_slow_job_with_a_live_worker_is_never_requeued(
        fault_settings: Settings, tmp_path: Path) -> None:
    stuck_after = 3
    # Sixteen scans: the job must outlast three stuck timeouts on a fast machine too (eight
    # read in 8.5 s on one, short of the 9 s the check below needs).
    manifest = _scan_manifest(tmp_path / "corpus", 1, files_per_record=16)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    worker = WorkerProcess(fault_settings, concurrency=1, extra_env={
        "SOHOA_STUCK_AFTER": str(stuck_after), "SOHOA_SWEEP_INTERVAL": "1"})
    try:
        queued = run_cli(fault_settings, "ingest", str(manifest), timeout=120)
        batch = batch_id_of(queued.stdout)
        wait_batch(jobs, batch, 1, 240)
    finally:
        worker.stop()
    (job,) = _batch_jobs(jobs, batch)
    ran = dt.datetime.fromisoformat(job["finished_at"]) - dt.datetime.fromisoformat(
        job["started_at"])
    print(f"\nSLOW job: ran {ran.total_seconds():.1f}s with SOHOA_STUCK_AFTER={stuck_after}, "
          f"sweeps every 1 s: not re-queued")
    # Many sweeps (age and liveness) ran while it was running, well past the stuck timeout.
    assert ran.total_seconds() > 3 * stuck_after
    assert [e["event"] for e in job["history"]] == ["queued", "running", "done"]
    assert job["attempts"] == 1
    assert "re-queued" not in worker.log_path.read_text(errors="replace")


@pytest.mark.timeout(420)
@pytest.mark.parametrize(("target", "grace"), [("main", 8), ("main", 1), ("group", 8)])
def test_sigterm_mid_batch_leaves_nothing_pending(
        fault_settings: Settings, tmp_path: Path, target: str, grace: int) -> None:
    total = 12
    manifest = _scan_manifest(tmp_path / "corpus", total)
    jobs = JobStore(make_client(fault_settings), fault_settings)
    # Grace 8 s is the default: jobs may finish; at 1 s the running ones are handed back.
    env = {"SOHOA_STOP_GRACE": str(grace)}
    first, batch = _start_mid_ocr(fault_settings, manifest, env, jobs)
    in_flight = {j["job_id"] for j in _batch_jobs(jobs, batch) if j["state"] == "running"}
    assert in_flight  # the signal lands while a job runs
    stopped = time.monotonic()
    try:
        if target == "main":  # as docker/compose stop it: the main process alone
            first.process.send_signal(signal.SIGTERM)
        else:  # as systemd or a terminal's Ctrl-C: every process of the group
            os.killpg(first.process.pid, signal.SIGTERM)
        first.process.wait(timeout=60)
        exit_s = time.monotonic() - stopped
    finally:
        first.stop()
    left = _batch_jobs(jobs, batch)
    assert not [j for j in left if j["state"] == "running"], left
    queued_ids = {j["job_id"] for j in left if j["state"] == "queued"}
    broker = redis.Redis.from_url(fault_settings.redis_url)
    # Every job not done has its message waiting in the queue: nothing waits for a timeout.
    assert queued_ids <= _waiting_job_ids(broker, fault_settings.celery_queue)
    handed_back = [j for j in left if _events(j, "handed-back")]
    print(f"\nSIGTERM ({target}, grace {grace}s): worker exited {exit_s:.1f}s after the "
          f"signal; {len(handed_back)} job(s) handed back, {len(queued_ids)} waiting")
    assert exit_s < grace + 15
    # Every job in flight at the signal either finished or went back to the queue. With the
    # whole group signalled, Tesseract died too: those jobs cannot have finished. (With 1 s of
    # grace a page about to finish may still make it, so which of the two is timing.)
    for job in left:
        if job["job_id"] in in_flight:
            assert job["state"] == "done" or _events(job, "handed-back"), job["history"]
    if target == "group":
        assert handed_back
    second = WorkerProcess(fault_settings, concurrency=2)
    started = time.monotonic()
    try:
        counts = wait_batch(jobs, batch, total, 120)
        print(f"SIGTERM ({target}, grace {grace}s): the rest done "
              f"{time.monotonic() - started:.1f}s after the next worker started")
    finally:
        second.stop()
    assert counts["failed"] == 0
    assert "re-queued" not in second.log_path.read_text(errors="replace")  # no sweeper needed
    _assert_written_once(fault_settings, _batch_jobs(jobs, batch))
    _verify_clean(fault_settings, manifest, total)


def _jobs_view(settings: Settings) -> subprocess.CompletedProcess:
    return run_cli(settings, "jobs", "--json", timeout=60)


def _waiting_job_ids(broker: redis.Redis, queue: str) -> set[str]:
    ids = set()
    for raw in broker.lrange(queue, 0, -1):
        if job_id := job_id_of(json.loads(raw)):
            ids.add(job_id)
    return ids
