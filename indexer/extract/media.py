"""What a file really is: its media type from magic bytes, checked against its name and size."""

from __future__ import annotations

from pathlib import Path

from indexer.extract.model import ExtractionError

# Extension -> the only media type its bytes may be.
SUPPORTED: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
_HEAD_BYTES = 8192

# Signatures of types we read, and of a few we don't (so the error can name them).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0", "application/x-ole-storage"),  # old .doc/.xls
    (b"\x1f\x8b", "application/gzip"),
)
_MARKUP = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<svg")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _from_bytes(head: bytes) -> str:
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    # The PDF spec lets junk precede the header; readers accept it within the first 1 KiB.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(_BOMS[1:]):
        return "text/plain"  # UTF-16 with a byte-order mark
    text = head.removeprefix(_BOMS[0]).lstrip().lower()
    if text.startswith(_MARKUP):
        return "text/html"
    if b"\x00" in head:
        return "application/octet-stream"
    return "text/plain"


def sniff_media_type(path: Path) -> str:
    """Media type of `path` from its first bytes; raise when they contradict the extension."""
    expected = SUPPORTED.get(path.suffix.lower())
    if expected is None:
        raise ExtractionError(
            "unsupported-type",
            f"{path.name}: files ending in {path.suffix or '(no extension)'!r} are not supported "
            f"(use one of {', '.join(sorted(SUPPORTED))})",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except FileNotFoundError as exc:
        raise ExtractionError("missing-file", f"{path}: file does not exist") from exc
    except OSError as exc:
        raise ExtractionError(
            "unreadable-file", f"{path}: cannot be read ({exc.strerror})"
        ) from exc
    if not head:
        raise ExtractionError("empty-file", f"{path.name} is empty (0 bytes)")
    found = _from_bytes(head)
    if found != expected:
        raise ExtractionError(
            "content-mismatch",
            f"{path.name} is named like {expected} but its bytes are {found}",
        )
    return found


def check_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Sniff `path` and refuse files over `max_bytes`; returns the media type."""
    media_type = sniff_media_type(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractionError(
            "too-large",
            f"{path.name} is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit",
        )
    return media_type
