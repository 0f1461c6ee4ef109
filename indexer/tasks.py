"""Celery tasks: thin wrappers that hand the work to the domain code in `indexer.pipeline`."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout, Elasticsearch
from redis.exceptions import ConnectionError as RedisConnectionError

from indexer.es import make_client
from indexer.jobs import JobStore
from indexer.pipeline import run_job
from indexer.settings import Settings

log = logging.getLogger(__name__)

# Infrastructure faults are retried with backoff; bad input is not (it fails the job at once).
TRANSIENT_ERRORS = (EsConnectionError, ConnectionTimeout, RedisConnectionError)

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
    except Exception as exc:
        # A bug, not bad input: record it on the job so nothing fails silently, then re-raise.
        log.exception("job %s crashed", job_id)
        JobStore(client, settings).mark_failed(job_id, "internal-error",
                                               f"{type(exc).__name__}: {exc}")
        raise
    return outcome.__dict__
