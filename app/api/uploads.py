"""Uploaded files saved to a scratch folder under safe, distinct names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename


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
