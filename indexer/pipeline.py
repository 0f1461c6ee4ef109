"""The ingestion pipeline for one record: an ordered list of small steps.

extract pages → assemble text → quality flags → build the document → versioned write.
`indexer.runner` calls `process` for a claimed job; nothing here knows about Celery.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from elasticsearch import Elasticsearch

from domain.changes import ingest_hashes, merge_reingest
from domain.history import Who, commit
from domain.records import PAGE_BREAK
from domain.search.fields import build_search_fields
from domain.settings import Settings
from indexer.extract import ExtractionError, PageText, extract_file, sniff_media_type
from indexer.extraction_context import extraction_context
from indexer.jobs import JobFile, JobPayload
from indexer.metadata import extract_metadata
from indexer.metadata.apply import apply_extraction
from indexer.quality import quality_flags

log = logging.getLogger(__name__)

# Manifest fields copied to the index as they are (all optional but result_id).
METADATA_FIELDS = (
    "result_id",
    "result_number",
    "document_type",
    "procedure_code",
    "procedure_name",
    "agency_code",
    "agency_name",
    "agency_level",
    "issued_on",
    "signer",
    "signer_title",
    "holder_name",
    "holder_id_number",
    "holder_birth_date",
    "holder_address",
    "valid_from",
    "valid_until",
    "status",
    "replaced_by",
    "summary",
    "other_parties",
    "digitized_on",
)


@dataclass(frozen=True)
class ExtractedFile:
    file: JobFile
    media_type: str
    pages: list[PageText]


@dataclass(frozen=True)
class JobOutcome:
    result_id: str
    state: str  # "done" | "failed" | "superseded" | "ignored" (a stale or duplicate delivery)
    pages: int = 0
    error_code: str | None = None
    error: str | None = None


def extract_files(payload: JobPayload, settings: Settings) -> list[ExtractedFile]:
    extracted = []
    for job_file in payload.files:
        path = settings.originals_dir / job_file.storage_key
        if not path.is_file():
            raise ExtractionError(
                "original-missing",
                f"{job_file.name}: stored original {job_file.storage_key} is gone",
            )
        try:
            media_type = sniff_media_type(path)
            pages = extract_file(path, timeout_s=settings.ocr_timeout_s,
                                 max_bytes=settings.max_file_bytes)
        except ExtractionError as exc:
            # Name the manifest's file, not the content-addressed copy.
            message = exc.message.replace(str(path), job_file.name)
            message = message.replace(path.name, job_file.name)
            if job_file.name not in message:
                message = f"{job_file.name}: {message}"
            raise ExtractionError(exc.code, message) from exc
        extracted.append(ExtractedFile(job_file, media_type, pages))
    return extracted


def assemble_text(extracted: list[ExtractedFile]) -> str:
    """Pages joined by form feeds, the convention of the ground truth files."""
    return PAGE_BREAK.join(page.text for item in extracted for page in item.pages)


def find_duplicates(
    client: Elasticsearch, index: str, result_id: str, hashes: list[str]
) -> list[str]:
    response = client.search(
        index=index,
        size=10,
        _source=False,
        query={
            "bool": {
                "filter": [{"terms": {"file_hashes": hashes}}],
                "must_not": [{"ids": {"values": [result_id]}}],
            }
        },
    )
    return [hit["_id"] for hit in response["hits"]["hits"]]


def build_document(
    payload: JobPayload,
    extracted: list[ExtractedFile],
    text: str,
    flags: list[str],
    duplicates: list[str],
    now: dt.datetime,
    metadata: dict[str, Any] | None = None,
    review: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The index document; `metadata` is the manifest's with extracted fields added."""
    meta = payload.metadata if metadata is None else metadata
    doc: dict[str, Any] = {field: meta.get(field) for field in METADATA_FIELDS if field in meta}
    doc["result_id"] = payload.result_id
    doc["party_id_numbers"] = sorted(
        {
            str(n)
            for n in [
                meta.get("holder_id_number"),
                *(p.get("id_number") for p in meta.get("other_parties") or []),
            ]
            if n
        }
    )
    doc["digitized_effective"] = meta.get("digitized_on") or now.date().isoformat()
    doc["ingested_at"] = now.isoformat(timespec="seconds")
    doc["ingest_version"] = payload.ingest_version
    doc["files"] = [
        {
            "name": item.file.name,
            "media_type": item.media_type,
            "sha256": item.file.sha256,
            "size": item.file.size,
            "storage_key": item.file.storage_key,
            "pages": len(item.pages),
        }
        for item in extracted
    ]
    doc["file_hashes"] = sorted({item.file.sha256 for item in extracted})
    all_pages = [page for item in extracted for page in item.pages]
    doc["pages"] = [
        {
            "file": item.file.name,
            "number": page.number,
            "text": page.text,
            "confidence": page.confidence,
            "method": page.method,
            "rotation": page.rotation,
            "blank": page.blank,
        }
        for item in extracted
        for page in item.pages
    ]
    doc["page_count"] = len(all_pages)
    confidences = [p.confidence for p in all_pages if p.confidence is not None and not p.blank]
    doc["ocr_confidence"] = round(fmean(confidences), 2) if confidences else None
    doc["quality_flags"] = flags
    doc["duplicate_of"] = duplicates
    doc["text"] = text
    if review is not None:
        doc["review"] = review
    doc.update(build_search_fields(meta, text))
    return doc


def write_document(client: Elasticsearch, settings: Settings, doc: dict[str, Any]) -> bool:
    """Write an ingest as the record's next version; False when a newer ingest is already
    there. A compare-and-swap like every other write (domain.history), so a late worker never
    overwrites a newer ingest or an officer's edit, and a re-ingest keeps edits the manifest
    did not touch (domain.changes.merge_reingest)."""
    new = {**doc, "ingest_hashes": ingest_hashes(doc)}

    def mutate(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current and int(current.get("ingest_version") or 0) >= doc["ingest_version"]:
            return None
        return merge_reingest(new, current)

    written = commit(client, settings, doc["result_id"], mutate, Who("ingest", "ingest"),
                     record_unchanged=True, refresh=False)
    return written is not None


@dataclass(frozen=True)
class PreparedRecord:
    """What a job made of its files, ready to be written."""
    result_id: str
    doc: dict[str, Any]
    pages: int


def prepare(payload: JobPayload, settings: Settings, client: Elasticsearch) -> PreparedRecord:
    """Every step but the write: the long part (OCR), safe to interrupt."""
    index = settings.index_name("results")
    extracted = extract_files(payload, settings)
    text = assemble_text(extracted)
    duplicates = find_duplicates(
        client, index, payload.result_id, [item.file.sha256 for item in extracted]
    )
    pages = [page for item in extracted for page in item.pages]
    flags = quality_flags(payload.metadata, pages, text, duplicates)
    register, known_types = extraction_context(client, settings)
    metadata, review = apply_extraction(
        payload.metadata, extract_metadata(text, register, known_types))
    doc = build_document(payload, extracted, text, flags, duplicates, dt.datetime.now(dt.UTC),
                         metadata, review)
    return PreparedRecord(payload.result_id, doc, len(pages))


def store(prepared: PreparedRecord, settings: Settings, client: Elasticsearch) -> JobOutcome:
    if not write_document(client, settings, prepared.doc):
        return JobOutcome(prepared.result_id, "superseded", prepared.pages)
    return JobOutcome(prepared.result_id, "done", prepared.pages)


def process(payload: JobPayload, settings: Settings, client: Elasticsearch) -> JobOutcome:
    return store(prepare(payload, settings, client), settings, client)
