"""`POST /ingest` (multipart: files, optional metadata JSON) and `GET /jobs/<id>`.

Without metadata (or with only some fields) the record's fields are extracted from its text
and it waits in the review queue; without a result_id, one is derived from the files' content.
"""

from __future__ import annotations

import json
import re

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.audit import audit
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from app.uploads import FileRefused, queue_upload
from domain import jsonbounds
from domain.records import RecordError
from indexer.jobs import JobStore

JOB_ID = re.compile(r"[0-9a-f]{32}")


@bp.post("/ingest")
@require_role(*STAFF_ROLES)
def ingest() -> ResponseReturnValue:
    raw = request.form.get("metadata")
    metadata: object = {}
    if raw is not None and raw.strip():
        try:
            metadata = jsonbounds.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiProblem(400, f"'metadata' is not valid JSON: {exc.msg}") from exc
        except jsonbounds.JsonTooDeep as exc:
            raise ApiProblem(400, f"'metadata' refused: {exc}") from exc
    uploads = request.files.getlist("files")
    if not uploads:
        raise ApiProblem(400, "no files uploaded (multipart field 'files')")
    try:
        record, job = queue_upload(uploads, metadata, "api")
    except FileRefused as exc:
        raise ApiProblem(400, str(exc), code=exc.code) from exc
    except RecordError as exc:
        raise ApiProblem(400, str(exc)) from exc
    audit("ingest", result_id=record.result_id, job_id=job.job_id, files=len(uploads))
    return jsonify({"job_id": job.job_id, "result_id": record.result_id}), 202


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
