"""Durable ingestion jobs, one per record, kept in an Elasticsearch index.

State machine: queued → running → done | failed. A job carries everything the worker needs
(the record's metadata and its stored originals), so a job can be re-queued at any time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from domain.clock import utc_now_iso
from domain.settings import Settings

STATES = ("queued", "running", "done", "failed")



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
        })
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        try:
            return self.client.get(index=self.index, id=job_id)["_source"]
        except NotFoundError:
            return None

    def _update(self, job_id: str, fields: dict[str, Any]) -> None:
        self.client.update(index=self.index, id=job_id, doc={**fields, "updated_at": utc_now_iso()},
                           retry_on_conflict=3)

    def mark_running(self, job_id: str, attempts: int) -> None:
        self._update(job_id, {"state": "running", "attempts": attempts, "started_at": utc_now_iso(),
                              "error": None, "error_code": None})

    def mark_done(self, job_id: str, pages: int) -> None:
        self._update(job_id, {"state": "done", "pages_total": pages, "finished_at": utc_now_iso()})

    def mark_failed(self, job_id: str, code: str, message: str) -> None:
        self._update(job_id, {"state": "failed", "error_code": code, "error": message,
                              "finished_at": utc_now_iso()})

    def requeue(self, job_id: str, payload: JobPayload) -> None:
        self._update(job_id, {"state": "queued", "task_payload": payload.as_dict(),
                              "error": None, "error_code": None})

    def search(self, query: dict[str, Any], fields: list[str] | None = None
               ) -> Iterator[dict[str, Any]]:
        source: Any = fields if fields is not None else True
        for hit in helpers.scan(self.client, index=self.index, query={"query": query},
                                _source=source):
            yield hit["_source"]

    def batch_counts(self, batch_id: str) -> dict[str, int]:
        self.client.indices.refresh(index=self.index)
        response = self.client.search(
            index=self.index, size=0, query={"term": {"batch_id": batch_id}},
            aggs={"states": {"terms": {"field": "state", "size": 10}},
                  "pages": {"sum": {"field": "pages_total"}}},
        )
        counts = {state: 0 for state in STATES}
        for bucket in response["aggregations"]["states"]["buckets"]:
            counts[bucket["key"]] = bucket["doc_count"]
        counts["pages"] = int(response["aggregations"]["pages"]["value"])
        return counts

    def stale(self, older_than: dt.datetime) -> Iterator[dict[str, Any]]:
        """Jobs stuck in queued/running since before `older_than` (lost with a Redis restart)."""
        query = {"bool": {"filter": [
            {"terms": {"state": ["queued", "running"]}},
            {"range": {"updated_at": {"lt": older_than.isoformat()}}},
        ]}}
        return self.search(query)
