"""Reconciliation: manifests (or, without them, the durable jobs) against the index.

For every record that should be searchable, say what is off:

| kind         | meaning                                                                    |
|--------------|----------------------------------------------------------------------------|
| refused      | a manifest line that was never queued (invalid), with its reason           |
| missing      | expected, but no document in the index                                     |
| failed       | its latest job failed; the reason                                          |
| stuck        | queued/running past the stuck timeout with no message left in the broker   |
| pending      | queued/running, still within the timeout (not searchable yet)              |
| differing    | indexed, but file SHA-256 or metadata differ from the manifest/job         |
| file-missing | indexed, but a stored original is gone from SOHOA_DATA_DIR/originals       |
| history      | the record's versions and its indexed state disagree (gaps, a version      |
|              | missing, a field the history says otherwise)                               |

A field an officer corrected after the manifest's value was ingested is not "differing": the
correction is the record's newer state, and the history holds both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from domain.changes import TRACKED, history_disagreements, kept_corrections
from domain.history import HistoryStore
from domain.records import read_manifest
from domain.settings import Settings
from indexer.jobs import JobStore
from indexer.pipeline import METADATA_FIELDS
from indexer.storage import sha256_of
from indexer.sweeper import is_stuck

KINDS = ("refused", "missing", "failed", "stuck", "pending", "differing", "file-missing",
         "history")
# Personal data: a difference is named, its values are not shown.
PERSONAL_FIELDS = {"holder_name", "holder_id_number", "holder_birth_date", "holder_address",
                   "other_parties"}
_CHUNK = 500


@dataclass(frozen=True)
class Expected:
    result_id: str
    metadata: dict[str, Any]
    file_hashes: tuple[str, ...]
    origin: str  # "manifest.jsonl:12" or "job <id>"


@dataclass(frozen=True)
class Issue:
    kind: str
    result_id: str | None
    detail: str
    origin: str = ""


@dataclass
class Report:
    expected: int = 0
    indexed: int = 0
    issues: list[Issue] = field(default_factory=list)
    broker_checked: bool = True

    @property
    def ok(self) -> bool:
        return not self.issues

    def counts(self) -> dict[str, int]:
        return {kind: sum(i.kind == kind for i in self.issues) for kind in KINDS}

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "expected": self.expected, "indexed": self.indexed,
                "counts": self.counts(), "broker_checked": self.broker_checked,
                "issues": [asdict(i) for i in self.issues]}


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def expected_from_manifests(manifests: Iterable[Path], max_bytes: int
                            ) -> tuple[dict[str, Expected], list[Issue]]:
    """Valid records (a later manifest replaces an earlier one's record) and refused lines."""
    expected: dict[str, Expected] = {}
    issues: list[Issue] = []
    for manifest in manifests:
        records, errors = read_manifest(manifest, max_bytes)
        for error in errors:
            issues.append(Issue("refused", error.result_id, error.reason,
                                f"{manifest.name}:{error.line_no}"))
        for record in records:
            hashes = tuple(sorted({sha256_of(f.path) for f in record.files}))
            expected[record.result_id] = Expected(record.result_id, record.metadata, hashes,
                                                  f"{manifest.name}:{record.line_no}")
    return expected, issues


def _newest(jobs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for job in jobs:
        key = (job.get("created_at") or "", job.get("updated_at") or "")
        seen = latest.get(job["result_id"])
        if seen is None or key > (seen.get("created_at") or "", seen.get("updated_at") or ""):
            latest[job["result_id"]] = job
    return latest


def latest_jobs(store: JobStore, result_ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """The newest job of each result_id (all of them when `result_ids` is None)."""
    if not store.client.indices.exists(index=store.index):
        return {}  # lost (e.g. before a restore): every record shows as missing, never queued
    store.client.indices.refresh(index=store.index)
    if result_ids is None:
        return _newest(store.search({"match_all": {}}))
    jobs: list[dict[str, Any]] = []
    for chunk in _chunks(result_ids):
        jobs += store.search({"terms": {"result_id": list(chunk)}})
    return _newest(jobs)


def expected_from_jobs(jobs: dict[str, dict[str, Any]]) -> dict[str, Expected]:
    expected = {}
    for result_id, job in jobs.items():
        payload = job.get("task_payload") or {}
        hashes = tuple(sorted({f["sha256"] for f in payload.get("files", [])}))
        expected[result_id] = Expected(result_id, payload.get("metadata") or {}, hashes,
                                       f"job {job['job_id']}")
    return expected


def indexed_documents(client: Elasticsearch, index: str, result_ids: Sequence[str]
                      ) -> dict[str, dict[str, Any]]:
    if not client.indices.exists(index=index):
        return {}
    client.indices.refresh(index=index)
    wanted = [*METADATA_FIELDS, *TRACKED, "files", "version", "ingest_hashes"]
    docs: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(result_ids):
        response = client.mget(index=index, ids=list(chunk), source_includes=wanted)
        docs.update({d["_id"]: d["_source"] for d in response["docs"] if d.get("found")})
    return docs


def differences(expected: Expected, doc: dict[str, Any]) -> list[str]:
    diffs = []
    if tuple(sorted(doc.get("file_hashes") or [])) != expected.file_hashes:
        diffs.append("file SHA-256 differs from the index's file_hashes")
    corrected = kept_corrections(doc, expected.metadata)
    for name in METADATA_FIELDS:
        if name == "result_id" or name not in expected.metadata or name in corrected:
            continue
        want, have = expected.metadata[name], doc.get(name)
        if want != have:
            if name in PERSONAL_FIELDS:
                diffs.append(f"{name} differs")
            else:
                diffs.append(f"{name}: expected {want!r}, index has {have!r}")
    return diffs


def missing_originals(doc: dict[str, Any], originals_dir: Path) -> list[str]:
    gone = []
    for entry in doc.get("files") or []:
        path = originals_dir / entry.get("storage_key", "")
        if not path.is_file() or path.stat().st_size != entry.get("size", path.stat().st_size):
            gone.append(entry.get("name", "?"))
    return gone


def _job_issue(job: dict[str, Any], stuck: bool, origin: str) -> Issue | None:
    state = job["state"]
    if state == "failed":
        code = job.get("error_code") or "failed"
        return Issue("failed", job["result_id"], f"[{code}] {job.get('error') or ''}".strip(),
                     origin)
    if state in ("queued", "running"):
        since = job.get("updated_at", "?")
        if stuck:
            return Issue("stuck", job["result_id"],
                         f"{state} since {since}; no message for it in the broker", origin)
        return Issue("pending", job["result_id"], f"{state} since {since}", origin)
    return None


def reconcile(settings: Settings, client: Elasticsearch, manifests: Sequence[Path],
              *, stuck_after_s: int, in_broker: set[str] | None) -> Report:
    """Compare what should be indexed with what is; `in_broker` None = broker not readable."""
    store = JobStore(client, settings)
    issues: list[Issue] = []
    if manifests:
        expected, issues = expected_from_manifests(manifests, settings.max_file_bytes)
        jobs = latest_jobs(store, sorted(expected))
    else:
        jobs = latest_jobs(store, None)
        expected = expected_from_jobs(jobs)
    docs = indexed_documents(client, settings.index_name("results"), sorted(expected))
    histories = HistoryStore(client, settings).versions_of(docs) if docs else {}
    older_than = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=stuck_after_s)
    for result_id, want in sorted(expected.items()):
        job, doc = jobs.get(result_id), docs.get(result_id)
        if job is not None:
            issue = _job_issue(job, is_stuck(job, in_broker, older_than), want.origin)
            if issue is not None:
                issues.append(issue)
                continue
        if doc is None:
            why = "its job is done but no document is in the index" if job else "never queued"
            issues.append(Issue("missing", result_id, why, want.origin))
            continue
        if diffs := differences(want, doc):
            issues.append(Issue("differing", result_id, "; ".join(diffs), want.origin))
        if problems := history_disagreements(doc, histories.get(result_id, [])):
            issues.append(Issue("history", result_id, "; ".join(problems), want.origin))
        if gone := missing_originals(doc, settings.originals_dir):
            issues.append(Issue("file-missing", result_id,
                                f"stored original(s) gone: {', '.join(gone)}", want.origin))
    return Report(expected=len(expected), indexed=len(docs), issues=issues,
                  broker_checked=in_broker is not None)
