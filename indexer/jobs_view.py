"""The operator's view of ingestion: live workers, what runs where since when, what is orphaned.

`build_view` is pure; `snapshot` reads Redis and the jobs index (used by `sohoa jobs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import redis
from elasticsearch import Elasticsearch

from domain.settings import Settings
from indexer.jobs import JobStore
from indexer.liveness import heartbeats_trusted
from indexer.sweeper import orphans_now, redis_uptime


def _age_s(since: str | None, now: dt.datetime) -> int | None:
    if not since:
        return None
    return max(0, int((now - dt.datetime.fromisoformat(since.replace("Z", "+00:00")))
                      .total_seconds()))


def build_view(jobs: Mapping[str, Mapping[str, Any]], orphans: Mapping[str, str],
               workers: Mapping[str, Mapping[str, Any]], queued: int, waiting: int,
               now: dt.datetime) -> dict[str, Any]:
    rows = []
    for job_id, job in sorted(jobs.items(), key=lambda kv: kv[1].get("started_at") or ""):
        if job.get("state") != "running" and job_id not in orphans:
            continue
        since = job.get("started_at") if job.get("state") == "running" else job.get("updated_at")
        rows.append({"job_id": job_id, "result_id": job.get("result_id"),
                     "state": job.get("state"), "worker": job.get("worker"),
                     "pid": job.get("worker_pid"), "since": since,
                     "running_s": _age_s(since, now), "attempts": job.get("attempts"),
                     "orphaned": job_id in orphans, "why": orphans.get(job_id)})
    live = [{"worker": name, "host": beat.get("host"), "pid": beat.get("pid"),
             "started_at": beat.get("started_at"), "beat_at": beat.get("beat_at"),
             "running": sum(h.get("state") == "running" for h in beat.get("held") or []),
             "reserved": sum(h.get("state") == "reserved" for h in beat.get("held") or [])}
            for name, beat in sorted(workers.items())]
    return {"as_of": now.isoformat(timespec="seconds"), "workers": live, "jobs": rows,
            "orphaned": sum(r["orphaned"] for r in rows), "queued": queued,
            "waiting_in_redis": waiting}


def snapshot(settings: Settings, client: Elasticsearch, broker: redis.Redis) -> dict[str, Any]:
    store = JobStore(client, settings)
    jobs, orphans, workers = orphans_now(settings, store, broker, settings.heartbeat_ttl_s)
    trusted = heartbeats_trusted(redis_uptime(broker), settings.heartbeat_ttl_s)
    queued = client.count(index=store.index, query={"term": {"state": "queued"}})["count"]
    waiting = int(broker.llen(settings.celery_queue))
    # Right after a Redis restart the workers have not all beaten yet: judge no one.
    view = build_view(jobs, orphans if trusted else {}, workers, queued, waiting,
                      dt.datetime.now(dt.UTC))
    view["heartbeats_trusted"] = trusted
    return view
