"""The stuck-job sweeper: re-queue jobs whose Celery message is gone.

A job is *stuck* when it has sat in `queued`/`running` for longer than `SOHOA_STUCK_AFTER`
seconds and no message for it is left in the broker — neither waiting in the queue nor
delivered-and-unacknowledged (a worker holding it, or one killed holding it: kombu brings those
back after the visibility timeout). That is what a Redis restart without persistence leaves
behind. Jobs merely waiting behind a long backlog still have their message and are left alone.

The sweep runs in every worker's main process on a timer (see `install`); a Redis lock makes it
run at most once per interval however many workers there are.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_ready, worker_shutdown
from elasticsearch import ApiError, Elasticsearch, TransportError

from domain.settings import Settings
from indexer.intake import TASK_NAME, requeue_job
from indexer.jobs import JobStore

log = logging.getLogger(__name__)

# kombu's Redis transport: queue lists (one per priority step) and the unacked hash.
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
_UNACKED_KEY = "unacked"
_PAGE = 500


@dataclass(frozen=True)
class SweeperConfig:
    stuck_after_s: int = 900   # a job untouched this long, with no broker message, is stuck
    interval_s: int = 60       # how often a worker sweeps


def sweeper_config(settings: Settings) -> SweeperConfig:
    return SweeperConfig(settings.stuck_after_s, settings.sweep_every_s)


def job_id_of(message: Mapping[str, Any]) -> str | None:
    """The job id a raw kombu message carries, if it is a `sohoa.process_record` task."""
    headers = message.get("headers") or {}
    if headers.get("task") != TASK_NAME:
        return None
    body = message.get("body")
    if not isinstance(body, str):
        return None
    try:
        if (message.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8")
        args = json.loads(body)[0]
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    return str(args[0]) if args else None


def _queue_messages(client: redis.Redis, queue: str) -> Iterator[bytes]:
    # Oldest first: kombu pushes on the left and pops on the right, and the jobs we look for
    # are the old ones, so a scan that stops once all are found reads little of a long backlog.
    for key in [queue, *(f"{queue}{_PRIORITY_SEP}{step}" for step in _PRIORITY_STEPS)]:
        end = -1
        while page := client.lrange(key, end - _PAGE + 1, end):
            yield from reversed(page)
            end -= _PAGE


def _unacked_messages(client: redis.Redis) -> Iterator[bytes]:
    for _tag, value in client.hscan_iter(_UNACKED_KEY, count=_PAGE):
        try:
            yield json.dumps(json.loads(value)[0]).encode()
        except (ValueError, IndexError, TypeError):
            continue


def broker_job_ids(client: redis.Redis, queue: str, wanted: set[str] | None = None) -> set[str]:
    """Job ids with a message in the broker: delivered and unacked, or waiting in `queue`.

    With `wanted`, the scan stops as soon as all of those are found.
    """
    found: set[str] = set()
    for raw in itertools.chain(_unacked_messages(client), _queue_messages(client, queue)):
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict) and (job_id := job_id_of(message)):
            found.add(job_id)
            if wanted is not None and wanted <= found:
                break
    return found


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_stuck(job: Mapping[str, Any], in_broker: set[str] | None, older_than: dt.datetime) -> bool:
    """Queued/running since before `older_than` and (when the broker could be read) no message."""
    if job.get("state") not in ("queued", "running") or not job.get("updated_at"):
        return False
    if _parse_time(job["updated_at"]) >= older_than:
        return False
    return in_broker is None or job["job_id"] not in in_broker


def find_stuck(store: JobStore, in_broker: set[str] | None, older_than: dt.datetime
               ) -> list[dict[str, Any]]:
    store.client.indices.refresh(index=store.index)
    return [job for job in store.stale(older_than) if is_stuck(job, in_broker, older_than)]


@dataclass
class SweepReport:
    requeued: list[dict[str, str]] = field(default_factory=list)
    skipped_lock: bool = False


def sweep(settings: Settings, client: Elasticsearch, celery: Celery, broker: redis.Redis,
          config: SweeperConfig, *, lock: bool = True) -> SweepReport:
    """Re-queue every stuck job of this deployment prefix; at most one sweeper at a time."""
    report = SweepReport()
    lock_key = f"sohoa:{settings.index_prefix}:sweeper-lock"
    if lock and not broker.set(lock_key, uuid.uuid4().hex, nx=True, ex=config.interval_s):
        report.skipped_lock = True
        return report
    older_than = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=config.stuck_after_s)
    store = JobStore(client, settings)
    old_jobs = find_stuck(store, set(), older_than)  # by age alone; the broker is read next
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
        requeue_job(current, settings=settings, client=client, celery=celery)
        report.requeued.append({"job_id": current["job_id"], "result_id": current["result_id"],
                                "was": current["state"]})
        log.warning("re-queued stuck job %s (%s since %s)", current["job_id"], current["state"],
                    current["updated_at"])
    return report


class SweeperThread(threading.Thread):
    """Sweeps every `interval_s` in the worker's main process until stopped."""

    def __init__(self, settings: Settings, config: SweeperConfig) -> None:
        super().__init__(name="sohoa-sweeper", daemon=True)
        self.settings = settings
        self.config = config
        self.stopping = threading.Event()

    def run(self) -> None:
        from domain.es import make_client
        from indexer.celery_app import make_celery

        # Own clients: never share the consumer's connections across threads.
        client = make_client(self.settings, timeout_s=30)
        celery = make_celery(self.settings)
        broker = redis.Redis.from_url(self.settings.redis_url, socket_timeout=10,
                                      socket_connect_timeout=5)
        while not self.stopping.wait(self.config.interval_s):
            try:
                sweep(self.settings, client, celery, broker, self.config)
            except (redis.RedisError, ApiError, TransportError) as exc:
                # Redis or Elasticsearch is down: nothing can be re-queued now; try next round.
                log.warning("sweeper: skipped a round (%s: %s)", type(exc).__name__, exc)


_running: list[SweeperThread] = []


def _start(sender: Any = None, **_kwargs: Any) -> None:
    settings = getattr(getattr(getattr(sender, "app", None), "conf", None), "sohoa_settings", None)
    if settings is None or _running:
        return
    thread = SweeperThread(settings, sweeper_config(settings))
    _running.append(thread)
    thread.start()
    log.info("sweeper: every %ss, stuck after %ss", thread.config.interval_s,
             thread.config.stuck_after_s)


def _stop(**_kwargs: Any) -> None:
    while _running:
        _running.pop().stopping.set()


def install_sweeper() -> None:
    """Run the sweeper in any sohoa worker of this process (idempotent: connects once)."""
    worker_ready.connect(_start, weak=False, dispatch_uid="sohoa-sweeper-start")
    worker_shutdown.connect(_stop, weak=False, dispatch_uid="sohoa-sweeper-stop")
