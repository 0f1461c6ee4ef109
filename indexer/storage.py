"""Content-addressed store for originals: each distinct file is kept once, named by its SHA-256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    storage_key: str  # path relative to the originals folder

    def path(self, originals_dir: Path) -> Path:
        return originals_dir / self.storage_key


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def storage_key(sha256: str, suffix: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix.lower()}"


def store(source: Path, originals_dir: Path) -> StoredFile:
    """Copy `source` into the store unless the same content is already there."""
    digest = sha256_of(source)
    key = storage_key(digest, source.suffix)
    target = originals_dir / key
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half-written original under its final name.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            with source.open("rb") as src:
                shutil.copyfileobj(src, tmp, _CHUNK)
            tmp_path = Path(tmp.name)
        os.replace(tmp_path, target)
    return StoredFile(digest, target.stat().st_size, key)
