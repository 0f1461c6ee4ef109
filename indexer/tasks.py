"""Celery tasks: thin wrappers that hand the work to `indexer.runner`."""

from __future__ import annotations

import os
import socket
from typing import Any

import redis
from celery import Task, shared_task
from celery.exceptions import Reject
from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError

from domain.es import make_client
from domain.settings import Settings
from indexer.heartbeat import is_running, pid_alive, read_worker
from indexer.intake import TASK_NAME
from indexer.job_states import Claim, Holder
from indexer.runner import record_crash, run_job
from indexer.shutdown import WorkerStopping


class ClusterNotReady(RuntimeError):
    """Elasticsearch answered but cannot serve yet: shards still recovering after a restart
    (503 no_shard_available), or overloaded (429). Retried like a lost connection."""


# Statuses of an up-but-not-ready cluster; any other API error is a bug, not a fault.
NOT_READY_STATUSES = (429, 502, 503, 504)
# Infrastructure faults are retried with backoff; bad input is not (it fails the job at once).
TRANSIENT_ERRORS = (EsConnectionError, ConnectionTimeout, RedisConnectionError, ClusterNotReady)

_clients: dict[str, Elasticsearch] = {}
_brokers: dict[str, redis.Redis] = {}


def _context(task: Task) -> tuple[Settings, Elasticsearch, redis.Redis]:
    settings: Settings = task.app.conf.sohoa_settings
    # One client each per worker process, created on first use (never at import time).
    if settings.es_url not in _clients:
        _clients[settings.es_url] = make_client(settings, timeout_s=60)
    if settings.redis_url not in _brokers:
        _brokers[settings.redis_url] = redis.Redis.from_url(
            settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    return settings, _clients[settings.es_url], _brokers[settings.redis_url]


@shared_task(bind=True, name=TASK_NAME, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=30)
def process_record(self: Task, job_id: str, version: int | None = None) -> dict[str, Any]:
    settings, client, broker = _context(self)
    me = Holder(self.request.hostname or socket.gethostname(), os.getpid())

    def running(holder: Holder, job: str) -> bool:
        # A sibling pool child that died a moment ago may still be in the last heartbeat.
        if holder.worker == me.worker and not pid_alive(holder.pid):
            return False
        return is_running(read_worker(broker, settings.index_prefix, holder.worker), holder, job)

    try:
        outcome = run_job(job_id, version, self.request.retries + 1, me, settings, client,
                          running)
    except TRANSIENT_ERRORS:
        raise
    except WorkerStopping:
        # Handed back: the message returns to the head of the queue before the worker exits.
        raise Reject("worker stopping", requeue=True) from None
    except ApiError as exc:
        if exc.meta.status not in NOT_READY_STATUSES:
            record_crash(client, settings, job_id, me, exc)
            raise
        raise ClusterNotReady(f"Elasticsearch answered {exc.meta.status}: {exc.message}") from None
    except Exception as exc:
        record_crash(client, settings, job_id, me, exc)
        raise
    if outcome.state == "ignored" and outcome.error_code == Claim.HELD:
        # Another process runs it: look again later rather than drop it, in case that
        # process dies before it is done (then this delivery takes over).
        raise self.retry(countdown=settings.heartbeat_ttl_s)
    return outcome.__dict__
