"""The sweeper: re-queue orphaned jobs at once, and stuck jobs after `SOHOA_STUCK_AFTER`.

Two passes, both run by every worker's main process on a timer (see `indexer.worker`), each
under a Redis lock so it runs once per interval however many workers there are:

- **liveness** (every `SOHOA_HEARTBEAT_TTL / 2` seconds): a job held by a worker whose
  heartbeat lapsed is re-queued whatever its age (rules in `indexer.liveness`). A slow job
  whose worker beats is left alone.
- **age** (every `SOHOA_SWEEP_INTERVAL`): a job that sat in `queued` longer than
  `SOHOA_STUCK_AFTER` with no message for it in the broker — what a Redis restart without
  persistence leaves behind — is re-queued. Jobs waiting behind a backlog keep their message.
  Running jobs with a known holder are the liveness pass's to judge, never the age's.

A re-queue is a new dispatch version (see `indexer.job_states`): the orphan's original message,
should it come back after the visibility timeout, is a recorded no-op. A job orphaned
`MAX_REQUEUES` times (it kills its worker, or outruns its time limit) fails instead of looping.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from celery import Celery
from elasticsearch import ApiError, Elasticsearch, TransportError

from domain.settings import Settings
from indexer.broker import broker_job_ids, deliveries
from indexer.celery_app import make_celery
from indexer.heartbeat import live_workers
from indexer.intake import requeue_job
from indexer.job_states import holder_of
from indexer.jobs import JobStore
from indexer.liveness import find_orphans, heartbeats_trusted

log = logging.getLogger(__name__)

MAX_REQUEUES = 3


@dataclass(frozen=True)
class SweeperConfig:
    stuck_after_s: int = 900   # a job untouched this long, with no broker message, is stuck
    interval_s: int = 60       # how often the age pass runs
    heartbeat_ttl_s: int = 20  # a holder silent this long is gone
    liveness_every_s: int = 10  # how often the liveness pass runs


def sweeper_config(settings: Settings) -> SweeperConfig:
    return SweeperConfig(settings.stuck_after_s, settings.sweep_every_s,
                         settings.heartbeat_ttl_s, settings.liveness_every_s)


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_stuck(job: Mapping[str, Any], in_broker: set[str] | None, older_than: dt.datetime) -> bool:
    """Queued/running since before `older_than` and (when the broker could be read) no message."""
    if job.get("state") not in ("queued", "running") or not job.get("updated_at"):
        return False
    if _parse_time(job["updated_at"]) >= older_than:
        return False
    return in_broker is None or job["job_id"] not in in_broker


def stuck_cutoff(now: dt.datetime, stuck_after_s: int, redis_uptime_s: int | None,
                 margin_s: int = 1) -> dt.datetime:
    """Jobs last changed before this, with no message in Redis, are stuck.

    Normally `SOHOA_STUCK_AFTER` ago. But a job last changed before Redis started had its
    message in the Redis that is gone (or, with persistence, still has it, and is not judged
    stuck): after a restart, waiting any longer recovers nothing. Redis counts its uptime in
    whole seconds, hence the margin: the restart was no earlier than `uptime + 1` s ago.
    """
    cutoff = now - dt.timedelta(seconds=stuck_after_s)
    if redis_uptime_s is None:
        return cutoff
    return max(cutoff, now - dt.timedelta(seconds=redis_uptime_s + margin_s))


def redis_uptime(broker: redis.Redis) -> int:
    return int(broker.info("server").get("uptime_in_seconds", 0))


def find_stuck(store: JobStore, in_broker: set[str] | None, older_than: dt.datetime
               ) -> list[dict[str, Any]]:
    store.client.indices.refresh(index=store.index)
    return [job for job in store.stale(older_than) if is_stuck(job, in_broker, older_than)]


@dataclass
class SweepReport:
    requeued: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped_lock: bool = False
    skipped_reason: str | None = None


def _lock(broker: redis.Redis, settings: Settings, name: str, seconds: int) -> bool:
    key = f"sohoa:{settings.index_prefix}:{name}-lock"
    return bool(broker.set(key, uuid.uuid4().hex, nx=True, ex=seconds))


def sweep(settings: Settings, client: Elasticsearch, celery: Celery, broker: redis.Redis,
          config: SweeperConfig, *, lock: bool = True) -> SweepReport:
    """The age pass: re-queue every stuck job of this deployment prefix."""
    report = SweepReport()
    if lock and not _lock(broker, settings, "sweeper", config.interval_s):
        report.skipped_lock = True
        return report
    older_than = stuck_cutoff(dt.datetime.now(dt.UTC), config.stuck_after_s, redis_uptime(broker))
    store = JobStore(client, settings)
    # By age alone first (the broker is read next); running jobs with a holder are liveness's.
    old_jobs = [job for job in find_stuck(store, set(), older_than)
                if not (job["state"] == "running" and holder_of(job))]
    if not old_jobs:
        return report
    wanted = {job["job_id"] for job in old_jobs}
    first_read = broker_job_ids(broker, settings.celery_queue, wanted)
    candidates = [job for job in old_jobs if job["job_id"] not in first_read]
    if not candidates:
        return report
    # Read the broker again: a message that moved between queue and unacked during the first
    # read is seen now, so a live job is never sent twice.
    in_broker = broker_job_ids(broker, settings.celery_queue, wanted)
    for job in candidates:
        current = store.get(job["job_id"])
        if current is None or not is_stuck(current, in_broker, older_than):
            continue
        why = f"stuck: {current['state']} since {current['updated_at']}, no message in Redis"
        if requeue_job(current, settings=settings, client=client, celery=celery, why=why,
                       judged=current):
            report.requeued.append({"job_id": current["job_id"],
                                    "result_id": current["result_id"], "was": current["state"],
                                    "why": why})
            log.warning("re-queued stuck job %s (%s since %s)", current["job_id"],
                        current["state"], current["updated_at"])
    return report


def active_jobs(store: JobStore, job_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Every running job, plus the given ones (those with a delivered message)."""
    store.client.indices.refresh(index=store.index)
    jobs = {job["job_id"]: job for job in store.search({"term": {"state": "running"}})}
    for job_id in sorted(job_ids - set(jobs)):
        if (job := store.get(job_id)) is not None:
            jobs[job_id] = job
    return jobs


def orphans_now(settings: Settings, store: JobStore, broker: redis.Redis, grace_s: float
                ) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, dict[str, Any]]]:
    """(active jobs, orphaned job id → reason, live workers) as of now."""
    workers = live_workers(broker, settings.index_prefix)
    delivered = deliveries(broker, settings.celery_queue)
    jobs = active_jobs(store, {d.job_id for d in delivered})
    return jobs, find_orphans(jobs, delivered, workers, dt.datetime.now(dt.UTC), grace_s), workers


def sweep_orphans(settings: Settings, client: Elasticsearch, celery: Celery,
                  broker: redis.Redis, config: SweeperConfig, *, lock: bool = True
                  ) -> SweepReport:
    """The liveness pass: re-queue every job whose holder is gone, whatever its age."""
    report = SweepReport()
    if lock and not _lock(broker, settings, "liveness", config.liveness_every_s):
        report.skipped_lock = True
        return report
    uptime = redis_uptime(broker)
    if not heartbeats_trusted(uptime, config.heartbeat_ttl_s):
        report.skipped_reason = f"Redis up for {uptime}s only: heartbeats may be missing"
        return report
    store = JobStore(client, settings)
    jobs, orphans, _workers = orphans_now(settings, store, broker, config.heartbeat_ttl_s)
    for job_id, why in sorted(orphans.items()):
        _settle_orphan(jobs[job_id], why, settings, client, celery, report)
    return report


def _settle_orphan(job: dict[str, Any], why: str, settings: Settings, client: Elasticsearch,
                   celery: Celery, report: SweepReport) -> None:
    item = {"job_id": job["job_id"], "result_id": job["result_id"], "was": job["state"],
            "why": why}
    if int(job.get("requeues") or 0) >= MAX_REQUEUES:
        message = f"orphaned {MAX_REQUEUES + 1} times (last: {why}); not re-queued again"
        if JobStore(client, settings).give_up(job, "worker-lost", message):
            report.failed.append(item)
            log.error("job %s failed: %s", job["job_id"], message)
        return
    if requeue_job(job, settings=settings, client=client, celery=celery, why=f"orphaned: {why}",
                   judged=job, count=True):
        report.requeued.append(item)
        log.warning("re-queued orphaned job %s (%s: %s)", job["job_id"], job["state"], why)


class SweeperThread(threading.Thread):
    """Runs both passes in the worker's main process until stopped, the first at once."""

    def __init__(self, settings: Settings, config: SweeperConfig) -> None:
        super().__init__(name="sohoa-sweeper", daemon=True)
        self.settings = settings
        self.config = config
        self.stopping = threading.Event()

    def run(self) -> None:
        from domain.es import make_client

        # Own clients: never share the consumer's connections across threads.
        client = make_client(self.settings, timeout_s=30)
        celery = make_celery(self.settings)
        broker = redis.Redis.from_url(self.settings.redis_url, socket_timeout=10,
                                      socket_connect_timeout=5)
        last_age = float("-inf")
        while not self.stopping.is_set():
            self._round(sweep_orphans, client, celery, broker, lock=True)
            # Right after a Redis restart, look for lost messages every round, not once a
            # minute (the compare-and-set re-queue keeps two workers from both sending one).
            young = self._redis_young(broker)
            if young or time.monotonic() - last_age >= self.config.interval_s:
                last_age = time.monotonic()
                self._round(sweep, client, celery, broker, lock=not young)
            self.stopping.wait(self.config.liveness_every_s)

    def _redis_young(self, broker: redis.Redis) -> bool:
        try:
            return redis_uptime(broker) < 2 * self.config.interval_s
        except redis.RedisError:
            return False

    def _round(self, sweeper: Any, client: Elasticsearch, celery: Celery,
               broker: redis.Redis, *, lock: bool) -> None:
        try:
            sweeper(self.settings, client, celery, broker, self.config, lock=lock)
        except (redis.RedisError, ApiError, TransportError) as exc:
            # Redis or Elasticsearch is down: nothing can be re-queued now; try next round.
            log.warning("sweeper: skipped a round (%s: %s)", type(exc).__name__, exc)
        except Exception:  # logged; one bad round must not end the sweeper
            log.exception("sweeper: a round failed; trying again next round")
