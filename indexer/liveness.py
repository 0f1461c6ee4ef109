"""Orphaned jobs, as pure logic: jobs held by a worker that is gone.

A job is orphaned when
- it is `running` for a worker process whose heartbeat has lapsed (the process or its whole
  worker died), or whose worker beats on but no longer lists it; or
- its current message sits delivered-but-unacknowledged in Redis, for longer than a
  heartbeat lifetime, and no live worker lists the job (a prefetched message of a dead worker).

An orphan is re-queued at once, whatever its age. A job that is merely slow keeps its holder's
heartbeat alive and is never an orphan, however long it runs (its time limit still applies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from indexer.broker import Delivery
from indexer.heartbeat import holds
from indexer.job_states import ACTIVE_STATES, dispatch_version, holder_of

Workers = Mapping[str, Mapping[str, Any]]


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def heartbeats_trusted(redis_uptime_s: int, ttl_s: int) -> bool:
    """A Redis restarted less than a heartbeat lifetime ago may not have every beat yet."""
    return redis_uptime_s >= ttl_s


def running_orphan(job: Mapping[str, Any], workers: Workers, margin_s: float) -> str | None:
    """Why a running job is orphaned, or None if its holder still runs it (or is unknown)."""
    holder = holder_of(job)
    if job.get("state") != "running" or holder is None:
        return None  # a job from before heartbeats: the age rule judges it
    if any(holds(beat, str(job["job_id"])) for beat in workers.values()):
        return None  # its holder, or a worker holding its retry, is on it
    beat = workers.get(holder.worker)
    if beat is None:
        return f"its worker {holder.worker} stopped beating (pid {holder.pid})"
    # A beat written well after the job's last change would list it if the worker held it.
    if _time(beat["beat_at"]) > _time(job["updated_at"]) + dt.timedelta(seconds=margin_s):
        return f"its worker {holder.worker} is alive but no longer holds it"
    return None


def delivery_orphan(job: Mapping[str, Any], delivery: Delivery, workers: Workers,
                    now: dt.datetime, grace_s: float) -> str | None:
    """Why a job whose message was delivered is orphaned, or None."""
    if job.get("state") not in ACTIVE_STATES:
        return None
    if delivery.version is not None and delivery.version != dispatch_version(job):
        return None  # a stale message: harmless, a no-op when it is redelivered
    delivered = dt.datetime.fromtimestamp(delivery.delivered_at, dt.UTC)
    if delivery.version is None and _time(job["updated_at"]) > delivered:
        return None  # a message without version, older than the job's last change
    if now - delivered < dt.timedelta(seconds=grace_s):
        return None  # just delivered: its worker may not have listed it yet
    if any(holds(beat, delivery.job_id) for beat in workers.values()):
        return None
    return "its message was taken by a worker that is gone"


def find_orphans(jobs: Mapping[str, Mapping[str, Any]], delivered: Iterable[Delivery],
                 workers: Workers, now: dt.datetime, grace_s: float) -> dict[str, str]:
    """Orphaned job ids with the reason, from the active jobs and the unacknowledged messages."""
    orphans: dict[str, str] = {}
    for job_id, job in jobs.items():
        if reason := running_orphan(job, workers, grace_s / 2):
            orphans[job_id] = reason
    for delivery in delivered:
        job = jobs.get(delivery.job_id)
        if job is None or delivery.job_id in orphans:
            continue
        if reason := delivery_orphan(job, delivery, workers, now, grace_s):
            orphans[delivery.job_id] = reason
    return orphans
