"""The job state machine, as pure functions: who may run a job, and what a change records.

queued → running → done | failed, and back to queued when a job is re-queued (sweeper, retry of
failed jobs) or handed back (graceful stop). Every Celery message carries the job's *dispatch
version* (the payload's `ingest_version`, new at every re-queue), so a message sent before a
re-queue is recognisably stale when it arrives late, and is a no-op that the history shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

HISTORY_LIMIT = 50  # newest events kept on the job; older ones add nothing an operator needs
ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("done", "failed")


@dataclass(frozen=True)
class Holder:
    """The worker process that runs a job: Celery node name and the pool child's pid."""

    worker: str
    pid: int


class Claim(StrEnum):
    RUN = "run"            # this delivery runs the job
    STALE = "stale"        # the message predates a re-queue: the job has a newer dispatch
    FINISHED = "finished"  # a duplicate of a delivery that already finished the job
    HELD = "held"          # another live worker process is running this very dispatch


def dispatch_version(job: Mapping[str, Any]) -> int | None:
    payload = job.get("task_payload") or {}
    value = payload.get("ingest_version")
    return int(value) if value is not None else None


def holder_of(job: Mapping[str, Any]) -> Holder | None:
    if job.get("worker") and job.get("worker_pid") is not None:
        return Holder(str(job["worker"]), int(job["worker_pid"]))
    return None


def decide_claim(job: Mapping[str, Any], version: int | None, me: Holder,
                 is_running: Callable[[Holder, str], bool]) -> Claim:
    """May this delivery (of dispatch `version`, None for a message without one) run the job?

    `is_running(holder, job_id)` says whether a live worker process still runs the job.
    """
    if version is not None and version != dispatch_version(job):
        return Claim.STALE
    if job.get("state") in FINAL_STATES:
        return Claim.FINISHED
    holder = holder_of(job)
    if job.get("state") == "running" and holder is not None and holder != me \
            and is_running(holder, str(job["job_id"])):
        return Claim.HELD
    return Claim.RUN


def owns(job: Mapping[str, Any], version: int | None, me: Holder) -> bool:
    """True while `me` still runs this dispatch (nobody re-queued or took it over since)."""
    return (job.get("state") == "running" and holder_of(job) == me
            and (version is None or version == dispatch_version(job)))


def event(name: str, at: str, *, version: int | None = None, holder: Holder | None = None,
          detail: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at, "event": name, "version": version}
    if holder is not None:
        entry.update(worker=holder.worker, pid=holder.pid)
    if detail:
        entry["detail"] = detail
    return entry


def with_event(job: Mapping[str, Any], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's history with `entry` appended (oldest first, capped)."""
    return [*(job.get("history") or []), entry][-HISTORY_LIMIT:]


def same_dispatch(current: Mapping[str, Any], judged: Mapping[str, Any]) -> bool:
    """Nothing happened to the job since `judged` was read (same state, version and holder)."""
    return (current.get("state") == judged.get("state")
            and dispatch_version(current) == dispatch_version(judged)
            and holder_of(current) == holder_of(judged))
