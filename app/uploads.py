"""One intake for uploaded scans, shared by `POST /api/v1/ingest` and the officers' upload page:
save the uploads, validate them as one manifest record, queue it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from app import extensions
from domain.records import Record, RecordError, validate_record
from indexer.extract.model import ExtractionError
from indexer.intake import QueuedJob, check_record_files, new_batch_id, queue_records


class FileRefused(RecordError):
    """An uploaded file the worker could not read; `code` says why (empty-file, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def distinct_name(name: str, taken: set[str]) -> str:
    """`name`, or `stem-2.ext`, `stem-3.ext`… when a file of the request already has it."""
    if name not in taken:
        return name
    path = PurePosixPath(name)
    number = 2
    while f"{path.stem}-{number}{path.suffix}" in taken:
        number += 1
    return f"{path.stem}-{number}{path.suffix}"


def save_uploads(uploads: Iterable[FileStorage], folder: Path) -> list[str]:
    """Save every upload into `folder`; two files sent with one name are both kept."""
    names: list[str] = []
    for upload in uploads:
        name = secure_filename(upload.filename or "") or f"file-{len(names) + 1}"
        name = distinct_name(name, set(names))
        upload.save(folder / name)
        names.append(name)
    return names


def queue_upload(uploads: Sequence[FileStorage], metadata: Any, source: str
                 ) -> tuple[Record, QueuedJob]:
    """Queue the uploaded files as one record; RecordError (FileRefused for a file) names what
    is wrong, and then nothing was stored."""
    settings = extensions.settings()
    with tempfile.TemporaryDirectory(prefix="sohoa-upload-") as tmp:
        names = save_uploads(uploads, Path(tmp))
        if isinstance(metadata, dict):
            metadata = {**metadata, "files": names}
        record = validate_record(metadata, 1, Path(tmp), settings.max_file_bytes)
        try:
            check_record_files(record, settings)  # refused files: nothing stored, no job
        except ExtractionError as exc:
            raise FileRefused(exc.code, exc.message) from exc
        # Originals are copied into the content-addressed store before the upload folder goes.
        queued = queue_records([record], settings=settings, client=extensions.es(),
                               celery=current_app.extensions["sohoa.celery"],
                               batch_id=new_batch_id(), source=source)
    return record, queued[0]
