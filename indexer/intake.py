"""Queueing records: store originals, create durable jobs, send one Celery task per record."""

from __future__ import annotations

import mimetypes
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from celery import Celery
from elasticsearch import Elasticsearch

from domain.records import Record
from domain.settings import Settings
from indexer.extract.model import ExtractionError
from indexer.extract.precheck import check_readable
from indexer.jobs import JobFile, JobPayload, JobStore
from indexer.storage import store

TASK_NAME = "sohoa.process_record"


@dataclass(frozen=True)
class QueuedJob:
    job_id: str
    result_id: str
    line_no: int | None


def new_batch_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]


def next_version() -> int:
    # Microseconds since the epoch: later queueing wins over an older, slower write.
    return time.time_ns() // 1000


def check_record_files(record: Record, settings: Settings) -> None:
    """Refuse (ExtractionError, naming the file as the client sent it) a record with a file
    the worker could not read; run before anything of the record is stored."""
    for record_file in record.files:
        try:
            check_readable(record_file.path, max_bytes=settings.max_file_bytes)
        except ExtractionError as exc:
            message = exc.message.replace(record_file.path.name, record_file.name)
            raise ExtractionError(exc.code, message) from exc


def payload_for(record: Record, settings: Settings) -> JobPayload:
    files = []
    for record_file in record.files:
        stored = store(record_file.path, settings.originals_dir)
        media_type = mimetypes.guess_type(record_file.name)[0] or "application/octet-stream"
        files.append(JobFile(record_file.name, stored.sha256, stored.size, stored.storage_key,
                             media_type))
    return JobPayload(record.result_id, record.metadata, tuple(files), next_version())


def send_task(celery: Celery, settings: Settings, job_id: str, payload: JobPayload) -> None:
    # Time limits scale with the number of files: each file has its own OCR budget.
    soft = settings.ocr_timeout_s * max(len(payload.files), 1) + 60
    # The dispatch version travels with the message: a late copy of it is recognisably stale.
    celery.send_task(TASK_NAME, args=[job_id, payload.ingest_version],
                     queue=settings.celery_queue, soft_time_limit=soft, time_limit=soft + 60)


def queue_records(records: Iterable[Record], *, settings: Settings, client: Elasticsearch,
                  celery: Celery, batch_id: str, source: str,
                  on_queued: Callable[[QueuedJob], None] | None = None) -> list[QueuedJob]:
    jobs = JobStore(client, settings)
    queued = []
    for record in records:
        payload = payload_for(record, settings)
        job_id = jobs.create(payload, batch_id=batch_id, source=source, line_no=record.line_no)
        send_task(celery, settings, job_id, payload)
        item = QueuedJob(job_id, record.result_id, record.line_no)
        queued.append(item)
        if on_queued:
            on_queued(item)
    return queued


def requeue_job(job: dict, *, settings: Settings, client: Elasticsearch, celery: Celery,
                why: str, judged: dict | None = None, count: bool = False) -> bool:
    """Send a stored job again with a fresh version (retry-failed and the sweeper).

    With `judged`, only if the job is still as the caller saw it; False when it was not.
    """
    old = JobPayload.from_dict(job["task_payload"])
    payload = JobPayload(old.result_id, old.metadata, old.files, next_version())
    if not JobStore(client, settings).requeue(job["job_id"], payload, why=why, judged=judged,
                                              count=count):
        return False
    send_task(celery, settings, job["job_id"], payload)
    return True
