"""Durable ingestion jobs, one per record, kept in an Elasticsearch index.

State machine (rules in `indexer.job_states`): queued → running → done | failed, and back to
queued on a re-queue or a hand-back. A job carries everything the worker needs (the record's
metadata and its stored originals), so a job can be re-queued at any time. Every change is a
compare-and-set on the document's sequence number and appends to the job's `history`, so two
deliveries racing for one job cannot both win, and the history shows what each did.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, helpers

from domain.clock import utc_now_iso
from domain.settings import Settings
from indexer.job_states import (
    Claim,
    Holder,
    decide_claim,
    event,
    owns,
    same_dispatch,
    with_event,
)

STATES = ("queued", "running", "done", "failed")
_CAS_TRIES = 8

# A change computed from the job as read: the fields to write, or None to leave it alone.
Change = Callable[[dict[str, Any]], dict[str, Any] | None]

@dataclass(frozen=True)
class JobFile:
    name: str
    sha256: str
    size: int
    storage_key: str
    media_type: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class JobPayload:
    """What a worker needs to process one record, independent of the manifest's folder."""

    result_id: str
    metadata: dict[str, Any]
    files: tuple[JobFile, ...]
    ingest_version: int  # monotonic per queueing; a stale write never overwrites a newer one

    def as_dict(self) -> dict[str, Any]:
        return {"result_id": self.result_id, "metadata": self.metadata,
                "files": [f.as_dict() for f in self.files], "ingest_version": self.ingest_version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobPayload:
        return cls(data["result_id"], data["metadata"],
                   tuple(JobFile(**f) for f in data["files"]), int(data["ingest_version"]))


class JobStore:
    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("jobs")

    def create(self, payload: JobPayload, *, batch_id: str, source: str,
               line_no: int | None = None, refresh: bool = False) -> str:
        job_id = uuid.uuid4().hex
        now = utc_now_iso()
        self.client.index(index=self.index, id=job_id, refresh=refresh, document={
            "job_id": job_id, "batch_id": batch_id, "result_id": payload.result_id,
            "state": "queued", "attempts": 0, "source": source, "line_no": line_no,
            "created_at": now, "updated_at": now, "task_payload": payload.as_dict(),
            "history": [event("queued", now, version=payload.ingest_version)],
        })
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            return self.client.get(index=self.index, id=job_id)["_source"]
        except NotFoundError:
            return None

    def change(self, job_id: str, decide: Change) -> dict[str, Any] | None:
        """Read, decide, write only if nobody wrote in between (else read again).

        Returns the job as written, or None when `decide` left it alone (or it does not exist).
        """
        for _ in range(_CAS_TRIES):
            try:
                found = self.client.get(index=self.index, id=job_id)
            except NotFoundError:
                return None
            fields = decide(found["_source"])
            if fields is None:
                return None
            doc = {**fields, "updated_at": utc_now_iso()}
            try:
                self.client.update(index=self.index, id=job_id, doc=doc,
                                   if_seq_no=found["_seq_no"],
                                   if_primary_term=found["_primary_term"])
            except ConflictError:
                continue
            return {**found["_source"], **doc}
        raise RuntimeError(f"job {job_id} kept changing under {_CAS_TRIES} tries")

    def claim(self, job_id: str, version: int | None, me: Holder, attempt: int,
              is_running: Callable[[Holder, str], bool]) -> tuple[Claim, dict[str, Any]]:
        """Decide whether this delivery runs the job; record the decision in its history."""
        outcome: dict[str, Claim] = {}

        def decide(job: dict[str, Any]) -> dict[str, Any]:
            now = utc_now_iso()
            claim = outcome["claim"] = decide_claim(job, version, me, is_running)
            if claim is not Claim.RUN:
                detail = _IGNORED[claim].format(current=job.get("state"), holder=job.get("worker"))
                return {"history": with_event(job, event("ignored", now, version=version,
                                                         holder=me, detail=detail))}
            return {"state": "running", "attempts": attempt, "started_at": now,
                    "worker": me.worker, "worker_pid": me.pid, "error": None, "error_code": None,
                    "history": with_event(job, event("running", now, version=version, holder=me,
                                                     detail=f"attempt {attempt}"))}

        job = self.change(job_id, decide)
        if job is None:
            raise LookupError(f"job {job_id} not found in {self.index}")
        return outcome["claim"], job

    def _finish(self, job_id: str, version: int | None, me: Holder, fields: dict[str, Any],
                name: str, detail: str | None) -> bool:
        """Record an outcome only while `me` still owns the dispatch; else note it was dropped."""
        owned: dict[str, bool] = {}

        def decide(job: dict[str, Any]) -> dict[str, Any]:
            now = utc_now_iso()
            owned["yes"] = owns(job, version, me)
            if not owned["yes"]:
                return {"history": with_event(job, event(
                    "outcome-dropped", now, version=version, holder=me,
                    detail=f"{name} not recorded: the job is {job.get('state')} "
                           f"for another dispatch"))}
            return {**fields, "finished_at": now,
                    "history": with_event(job, event(name, now, version=version, holder=me,
                                                     detail=detail))}

        self.change(job_id, decide)
        return owned.get("yes", False)

    def mark_done(self, job_id: str, version: int | None, me: Holder, pages: int,
                  written: bool) -> bool:
        detail = "record written" if written else "a newer version of the record was already " \
                                                  "indexed: nothing written"
        return self._finish(job_id, version, me, {"state": "done", "pages_total": pages},
                            "done", detail)

    def mark_failed(self, job_id: str, version: int | None, me: Holder, code: str,
                    message: str) -> bool:
        return self._finish(job_id, version, me,
                            {"state": "failed", "error_code": code, "error": message},
                            "failed", f"[{code}] {message}")

    def hand_back(self, job_id: str, version: int | None, me: Holder, why: str) -> bool:
        """A stopping worker gives its job back: queued again, same dispatch."""
        def decide(job: dict[str, Any]) -> dict[str, Any] | None:
            if not owns(job, version, me):
                return None
            return {"state": "queued", "worker": None, "worker_pid": None,
                    "history": with_event(job, event("handed-back", utc_now_iso(),
                                                     version=version, holder=me, detail=why))}

        return self.change(job_id, decide) is not None

    def requeue(self, job_id: str, payload: JobPayload, *, why: str,
                judged: dict[str, Any] | None = None, count: bool = False) -> bool:
        """Queue the job again under a new dispatch version.

        With `judged` (the job as the caller saw it), only if nothing changed since. With
        `count`, the re-queue counts towards the sweeper's limit.
        """
        def decide(job: dict[str, Any]) -> dict[str, Any] | None:
            if judged is not None and not same_dispatch(job, judged):
                return None
            return {"state": "queued", "task_payload": payload.as_dict(), "error": None,
                    "error_code": None, "worker": None, "worker_pid": None,
                    "requeues": int(job.get("requeues") or 0) + int(count),
                    "history": with_event(job, event("requeued", utc_now_iso(),
                                                     version=payload.ingest_version,
                                                     detail=why))}

        return self.change(job_id, decide) is not None

    def give_up(self, job: dict[str, Any], code: str, message: str) -> bool:
        """Fail a job the sweeper will not re-queue again (only if unchanged since judged)."""
        def decide(current: dict[str, Any]) -> dict[str, Any] | None:
            if not same_dispatch(current, job):
                return None
            now = utc_now_iso()
            return {"state": "failed", "error_code": code, "error": message, "finished_at": now,
                    "history": with_event(current, event("failed", now, detail=message))}

        return self.change(job["job_id"], decide) is not None

    def search(self, query: dict[str, Any], fields: list[str] | None = None
               ) -> Iterator[dict[str, Any]]:
        source: Any = fields if fields is not None else True
        for hit in helpers.scan(self.client, index=self.index, query={"query": query},
                                _source=source):
            yield hit["_source"]

    def stale(self, older_than: dt.datetime) -> Iterator[dict[str, Any]]:
        """Jobs stuck in queued/running since before `older_than` (lost with a Redis restart)."""
        query = {"bool": {"filter": [
            {"terms": {"state": ["queued", "running"]}},
            {"range": {"updated_at": {"lt": older_than.isoformat()}}},
        ]}}
        return self.search(query)


_IGNORED = {
    Claim.STALE: "stale delivery: the job was re-queued since this message was sent",
    Claim.FINISHED: "duplicate delivery: the job is already {current}",
    Claim.HELD: "duplicate delivery: {holder} is running this job",
}
