"""Celery tasks: thin wrappers that hand the work to the domain code in `indexer.pipeline`."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch
from elasticsearch import ConnectionError as EsConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError

from domain.es import make_client
from domain.settings import Settings
from indexer.jobs import JobStore
from indexer.pipeline import run_job

log = logging.getLogger(__name__)


class ClusterNotReady(RuntimeError):
    """Elasticsearch answered but cannot serve yet: shards still recovering after a restart
    (503 no_shard_available), or overloaded (429). Retried like a lost connection."""


# Statuses of an up-but-not-ready cluster; any other API error is a bug, not a fault.
NOT_READY_STATUSES = (429, 502, 503, 504)
# Infrastructure faults are retried with backoff; bad input is not (it fails the job at once).
TRANSIENT_ERRORS = (EsConnectionError, ConnectionTimeout, RedisConnectionError, ClusterNotReady)

_clients: dict[str, Elasticsearch] = {}


def _context(task: Task) -> tuple[Settings, Elasticsearch]:
    settings: Settings = task.app.conf.sohoa_settings
    # One client per worker process, created on first use (never at import time).
    if settings.es_url not in _clients:
        _clients[settings.es_url] = make_client(settings, timeout_s=60)
    return settings, _clients[settings.es_url]


@shared_task(bind=True, name="sohoa.process_record", autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=2, retry_backoff_max=120, retry_jitter=True, max_retries=30)
def process_record(self: Task, job_id: str) -> dict[str, Any]:
    settings, client = _context(self)
    attempt = self.request.retries + 1
    try:
        outcome = run_job(job_id, attempt, settings, client)
    except TRANSIENT_ERRORS:
        raise
    except ApiError as exc:
        if exc.meta.status not in NOT_READY_STATUSES:
            _record_crash(client, settings, job_id, exc)
            raise
        raise ClusterNotReady(f"Elasticsearch answered {exc.meta.status}: {exc.message}") from None
    except Exception as exc:
        _record_crash(client, settings, job_id, exc)
        raise
    return outcome.__dict__


def _record_crash(client: Elasticsearch, settings: Settings, job_id: str, exc: Exception) -> None:
    # A bug, not bad input: record it on the job so nothing fails silently (caller re-raises).
    log.exception("job %s crashed", job_id)
    JobStore(client, settings).mark_failed(job_id, "internal-error", f"{type(exc).__name__}: {exc}")
