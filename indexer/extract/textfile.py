"""Born-digital .txt results: UTF-8 (or UTF-16 with a BOM), pages split by form feed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from indexer.extract.legacy_encodings import convert_legacy
from indexer.extract.model import ExtractionError, PageText


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ExtractionError("bad-encoding", f"{path.name}: broken UTF-16 text") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Old office PCs saved TCVN3/VNI bytes; as Latin-1 they are the same letters a legacy PDF
        # font yields, so the same converter applies. Anything else is refused, not guessed.
        converted, encoding = convert_legacy(raw.decode("latin-1"))
        if encoding:
            return converted
        raise ExtractionError(
            "bad-encoding",
            f"{path.name} is not UTF-8 text (invalid byte at offset {exc.start})",
        ) from exc


def extract_text_file(path: Path) -> list[PageText]:
    text = _decode(path.read_bytes(), path)
    pages = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).split("\f")
    return [
        PageText(number, page.strip(), None, "txt", blank=not page.strip())
        for number, page in enumerate(pages, start=1)
    ]
