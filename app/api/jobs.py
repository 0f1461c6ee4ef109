"""`POST /ingest` (multipart: metadata JSON + files) and `GET /jobs/<id>`."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.api.uploads import save_uploads
from app.audit import audit
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from domain import jsonbounds
from domain.records import RecordError, validate_record
from indexer.extract.model import ExtractionError
from indexer.intake import check_record_files, new_batch_id, queue_records
from indexer.jobs import JobStore

JOB_ID = re.compile(r"[0-9a-f]{32}")


@bp.post("/ingest")
@require_role(*STAFF_ROLES)
def ingest() -> ResponseReturnValue:
    settings = extensions.settings()
    raw = request.form.get("metadata")
    if raw is None:
        raise ApiProblem(400, "missing form field 'metadata' (the record as JSON)")
    try:
        metadata = jsonbounds.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiProblem(400, f"'metadata' is not valid JSON: {exc.msg}") from exc
    except jsonbounds.JsonTooDeep as exc:
        raise ApiProblem(400, f"'metadata' refused: {exc}") from exc
    uploads = request.files.getlist("files")
    if not uploads:
        raise ApiProblem(400, "no files uploaded (multipart field 'files')")
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-") as tmp:
        names = save_uploads(uploads, Path(tmp))
        if isinstance(metadata, dict):
            metadata["files"] = names
        try:
            record = validate_record(metadata, 1, Path(tmp), settings.max_file_bytes)
            check_record_files(record, settings)  # refused files: nothing stored, no job
        except RecordError as exc:
            raise ApiProblem(400, str(exc)) from exc
        except ExtractionError as exc:
            raise ApiProblem(400, exc.message, code=exc.code) from exc
        # Originals are copied into the content-addressed store before the upload folder goes.
        queued = queue_records([record], settings=settings, client=extensions.es(),
                               celery=current_app.extensions["sohoa.celery"],
                               batch_id=new_batch_id(), source="api")
    audit("ingest", result_id=record.result_id, job_id=queued[0].job_id, files=len(names))
    return jsonify({"job_id": queued[0].job_id, "result_id": record.result_id}), 202


@bp.get("/jobs/<job_id>")
@require_role(*STAFF_ROLES)
def job_status(job_id: str) -> ResponseReturnValue:
    # Job ids are 32 hex digits; anything else cannot exist (and may be too long for ES).
    valid = JOB_ID.fullmatch(job_id) is not None
    job = JobStore(extensions.es(), extensions.settings()).get(job_id) if valid else None
    if job is None:
        audit("job.view", outcome="not_found", job_id=job_id)
        raise ApiProblem(404, f"no job {job_id[:40]}")
    audit("job.view", result_id=job.get("result_id"), job_id=job_id)
    return jsonify({key: job.get(key) for key in (
        "job_id", "state", "result_id", "error", "error_code", "attempts", "batch_id",
        "created_at", "updated_at", "pages_total")})
