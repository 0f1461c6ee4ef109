"""One intake for uploaded scans, shared by `POST /api/v1/ingest` and the officers' upload page:
save the uploads, validate them as one manifest record, queue it."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app import extensions
from domain.records import Record, validate_record
from indexer.intake import QueuedJob, new_batch_id, queue_records


def queue_upload(uploads: Sequence[FileStorage], metadata: Any, source: str
                 ) -> tuple[Record, QueuedJob]:
    """Queue the uploaded files as one record; RecordError names what is wrong."""
    settings = extensions.settings()
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-") as tmp:
        names: list[str] = []
        for upload in uploads:
            name = secure_filename(upload.filename or "") or f"file-{len(names) + 1}"
            upload.save(Path(tmp) / name)
            names.append(name)
        if isinstance(metadata, dict):
            metadata = {**metadata, "files": names}
        record = validate_record(metadata, 1, Path(tmp), settings.max_file_bytes)
        # Originals are copied into the content-addressed store before the upload folder goes.
        queued = queue_records([record], settings=settings, client=extensions.es(),
                               celery=current_app.extensions["sohoa.celery"],
                               batch_id=new_batch_id(), source=source)
    return record, queued[0]
