"""One delivery of a job: claim it, run the pipeline, record the outcome.

Only the delivery that wins the claim runs (see `indexer.job_states`); a stale or duplicate
delivery is a no-op recorded in the job's history. Outcomes are recorded only while this
process still owns the dispatch. Nothing here knows about Celery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from elasticsearch import Elasticsearch

from domain.settings import Settings
from indexer.extract import ExtractionError
from indexer.job_states import Claim, Holder, dispatch_version
from indexer.jobs import JobPayload, JobStore
from indexer.pipeline import JobOutcome, prepare, store
from indexer.shutdown import WorkerStopping, finishing, interruptible

log = logging.getLogger(__name__)


def run_job(job_id: str, version: int | None, attempt: int, me: Holder, settings: Settings,
            client: Elasticsearch, is_running: Callable[[Holder, str], bool]) -> JobOutcome:
    """Process one delivery of a job; bad input fails the job, not the worker.

    Raises `WorkerStopping` after handing the job back when the worker is told to stop.
    """
    jobs = JobStore(client, settings)
    claim, job = jobs.claim(job_id, version, me, attempt, is_running)
    if claim is not Claim.RUN:
        log.info("job %s: delivery ignored (%s)", job_id, claim.value)
        return JobOutcome(job["result_id"], "ignored", error_code=claim.value)
    version = dispatch_version(job)
    payload = JobPayload.from_dict(job["task_payload"])
    try:
        with interruptible(job_id):
            prepared = prepare(payload, settings, client)
            # From the write on, a stop waits: the record is written and the job done, once.
            with finishing(job_id):
                outcome = store(prepared, settings, client)
                jobs.mark_done(job_id, version, me, outcome.pages,
                               written=outcome.state == "done")
    except ExtractionError as exc:
        log.warning("job %s failed: %s (%s)", job_id, exc.code, exc.message)
        jobs.mark_failed(job_id, version, me, exc.code, exc.message)
        return JobOutcome(payload.result_id, "failed", error_code=exc.code, error=exc.message)
    except WorkerStopping as stop:
        jobs.hand_back(job_id, version, me, f"worker stopping ({stop})")
        raise
    return outcome


def record_crash(client: Elasticsearch, settings: Settings, job_id: str, me: Holder,
                 exc: BaseException) -> None:
    """A bug, not bad input: record it on the job (if still ours) so nothing fails silently."""
    jobs = JobStore(client, settings)
    job = jobs.get(job_id)
    if job is not None:
        jobs.mark_failed(job_id, dispatch_version(job), me, "internal-error",
                         f"{type(exc).__name__}: {exc}")
