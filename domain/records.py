"""Manifest records: parsing and validation of one JSON object per line.

A bad line gets its line number and a specific reason; it never stops the other lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain import jsonbounds
from domain.agencies import LEVELS
from domain.text.codes import parse_iso_date

SUPPORTED_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".txt")
PAGE_BREAK = "\f"  # pages of one record's text are joined with a form feed
STATUSES = ("active", "revoked", "replaced")
REQUIRED = ("files",)  # every other field can be extracted from the text (domain.review)
DATE_FIELDS = ("issued_on", "valid_from", "valid_until", "holder_birth_date", "digitized_on")
# A result_id appears in URLs and file names: ASCII letters and digits, then also . _ -, at most
# 128 characters, never `..` (see docs/security.md).
RESULT_ID_RULE = ("1-128 letters, digits or . _ - (ASCII only, starting with a letter or digit, "
                  "no '..')")
_RESULT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# Citizen ID (CCCD) 12 digits, old identity card (CMND) 9 digits; ASCII digits only.
_ID_NUMBER = re.compile(r"[0-9]{12}|[0-9]{9}")
TEXT_FIELDS = ("result_number", "document_type", "procedure_code", "procedure_name",
               "agency_code", "agency_name", "signer", "signer_title", "holder_name",
               "holder_id_number", "holder_address", "summary", "replaced_by")
MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class RecordFile:
    name: str  # as written in the manifest
    path: Path  # resolved absolute path inside the manifest's folder


@dataclass(frozen=True)
class Record:
    line_no: int
    result_id: str
    metadata: dict[str, Any]  # every manifest field but `files`, dates as ISO strings
    files: tuple[RecordFile, ...]
    derived_id: bool = False  # result_id computed from the files' content


@dataclass(frozen=True)
class LineError:
    line_no: int
    result_id: str | None
    reason: str

    def __str__(self) -> str:
        who = f" ({self.result_id})" if self.result_id else ""
        return f"line {self.line_no}{who}: {self.reason}"


class RecordError(ValueError):
    """One manifest record is invalid; the message says why."""


def is_valid_result_id(value: object) -> bool:
    return isinstance(value, str) and bool(_RESULT_ID.fullmatch(value)) and ".." not in value


def _check_text_fields(data: dict[str, Any]) -> None:
    for field in TEXT_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise RecordError(f"'{field}' must be a string, got {type(value).__name__}")
        if len(value) > MAX_TEXT_CHARS:
            raise RecordError(f"'{field}' is {len(value)} characters, over {MAX_TEXT_CHARS}")
    _check_id_number("holder_id_number", data.get("holder_id_number"))
    replaced_by = data.get("replaced_by")
    if replaced_by is not None and not is_valid_result_id(replaced_by):
        raise RecordError(f"'replaced_by' must be a result_id ({RESULT_ID_RULE})")


def _check_id_number(field: str, value: Any) -> None:
    if value is None or value == "":
        return
    if not isinstance(value, str) or not _ID_NUMBER.fullmatch(value):
        raise RecordError(f"'{field}' must be a citizen ID of 12 digits (or an old 9-digit one)")


def _check_parties(parties: Any) -> None:
    if parties is None:
        return
    if not isinstance(parties, list) or not all(isinstance(p, dict) for p in parties):
        raise RecordError('\'other_parties\' must be a list of {"name", "id_number"} objects')
    for n, party in enumerate(parties, start=1):
        name = party.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_TEXT_CHARS):
            raise RecordError(f"other_parties[{n}].name must be a string")
        _check_id_number(f"other_parties[{n}].id_number", party.get("id_number"))


def _check_date(field: str, value: Any, *, required: bool) -> None:
    if value is None:
        if required:
            raise RecordError(f"'{field}' is required")
        return
    if not isinstance(value, str):
        raise RecordError(f"'{field}' must be an ISO date string YYYY-MM-DD, got {value!r}")
    if parse_iso_date(value) is None:  # strict: not 20240101, 2024-W01 nor other digits
        raise RecordError(f"'{field}' is not a valid date: {value!r} (expected YYYY-MM-DD)")


def _check_files(raw: Any, base_dir: Path, max_bytes: int) -> tuple[RecordFile, ...]:
    if not isinstance(raw, list) or not raw:
        raise RecordError("'files' must be a non-empty list of file paths")
    base = base_dir.resolve()
    files: list[RecordFile] = []
    for name in raw:
        if not isinstance(name, str) or not name.strip():
            raise RecordError(f"'files' holds a non-path entry: {name!r}")
        path = (base / name).resolve()
        if not path.is_relative_to(base):
            raise RecordError(f"file {name!r} lies outside the manifest's folder; refused")
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise RecordError(
                f"file {name!r} has unsupported type {path.suffix or '(none)'}; "
                f"supported: {' '.join(SUPPORTED_SUFFIXES)}"
            )
        if not path.is_file():
            raise RecordError(f"file {name!r} does not exist")
        size = path.stat().st_size
        if size > max_bytes:
            raise RecordError(
                f"file {name!r} is {size / 2**20:.0f} MiB, over the "
                f"{max_bytes / 2**20:.0f} MiB limit"
            )
        files.append(RecordFile(name, path))
    return tuple(files)


def validate_record(data: Any, line_no: int, base_dir: Path, max_bytes: int) -> Record:
    """Check one parsed manifest object; raise RecordError with a specific reason."""
    if not isinstance(data, dict):
        raise RecordError("a manifest line must be a JSON object")
    missing = [f for f in REQUIRED if data.get(f) in (None, "", [])]
    if "files" in missing and isinstance(data.get("files"), list):
        missing.remove("files")  # an empty list gets its own, clearer message below
    if missing:
        raise RecordError(f"missing required field(s): {', '.join(missing)}")
    result_id = data.get("result_id")
    if result_id is not None and not is_valid_result_id(result_id):
        raise RecordError(f"'result_id' must be {RESULT_ID_RULE}, got {str(result_id)[:140]!r}")
    _check_text_fields(data)
    for field in DATE_FIELDS:
        _check_date(field, data.get(field), required=False)
    level = data.get("agency_level")
    if level is not None and level not in LEVELS:
        raise RecordError(f"unknown agency_level {level!r}; expected one of {', '.join(LEVELS)}")
    status = data.get("status")
    if status is not None and status not in STATUSES:
        raise RecordError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    if (
        data.get("valid_from")
        and data.get("valid_until")
        and data["valid_until"] < data["valid_from"]
    ):
        raise RecordError("'valid_until' is before 'valid_from'")
    _check_parties(data.get("other_parties"))
    files = _check_files(data["files"], base_dir, max_bytes)
    derived = result_id is None
    if derived:
        result_id = content_result_id(files)
    metadata = {k: v for k, v in data.items() if k not in ("files", "result_id")}
    metadata["result_id"] = result_id
    return Record(line_no, result_id, metadata, files, derived)


def content_result_id(files: Iterable[RecordFile]) -> str:
    """A result_id from the files' bytes: the same scans ingested twice are one record."""
    digest = hashlib.sha256()
    for file_hash in sorted(_sha256(f.path) for f in files):
        digest.update(file_hash.encode())
    return f"auto-{digest.hexdigest()[:24]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_records(folder: Path, max_bytes: int, agency_code: str | None = None
                   ) -> tuple[list[Record], list[LineError]]:
    """Every supported file under `folder` as one record (a files-only manifest line each);
    `agency_code`, when given, is stated for all of them."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    lines = [json.dumps({"files": [name], **({"agency_code": agency_code} if agency_code else {})})
             for name in names]
    return parse_manifest_lines(lines, folder, max_bytes)


def parse_manifest_lines(
    lines: Iterable[str], base_dir: Path, max_bytes: int
) -> tuple[list[Record], list[LineError]]:
    """Validate every line; duplicates of a result_id within the manifest are all refused."""
    records: list[Record] = []
    errors: list[LineError] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = jsonbounds.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(
                LineError(line_no, None, f"not valid JSON ({exc.msg} at character {exc.pos + 1})")
            )
            continue
        except jsonbounds.JsonTooDeep as exc:
            errors.append(LineError(line_no, None, f"not accepted: {exc}"))
            continue
        result_id = data.get("result_id") if isinstance(data, dict) else None
        try:
            records.append(validate_record(data, line_no, base_dir, max_bytes))
        except RecordError as exc:
            errors.append(
                LineError(line_no, result_id if isinstance(result_id, str) else None, str(exc))
            )
    return _refuse_duplicates(records, errors)


def _refuse_duplicates(
    records: list[Record], errors: list[LineError]
) -> tuple[list[Record], list[LineError]]:
    # Which of two lines is right cannot be known, so neither is indexed: nothing silently merged.
    lines_by_id: defaultdict[str, list[int]] = defaultdict(list)
    for record in records:
        lines_by_id[record.result_id].append(record.line_no)
    duplicated = {rid: nos for rid, nos in lines_by_id.items() if len(nos) > 1}
    # The same scan twice without a result_id and with the same fields is one record, not a
    # conflict: keep its first line.
    for rid in [rid for rid in duplicated if _same_content(records, rid)]:
        first = duplicated.pop(rid)[0]
        records = [r for r in records if r.result_id != rid or r.line_no == first]
    kept = [r for r in records if r.result_id not in duplicated]
    for record in records:
        if record.result_id in duplicated:
            others = ", ".join(str(n) for n in duplicated[record.result_id] if n != record.line_no)
            errors.append(
                LineError(
                    record.line_no,
                    record.result_id,
                    f"duplicate result_id in this manifest (also on line {others}); "
                    "neither line was queued",
                )
            )
    errors.sort(key=lambda e: e.line_no)
    return kept, errors


def _same_content(records: list[Record], result_id: str) -> bool:
    lines = [r for r in records if r.result_id == result_id]
    return all(r.derived_id for r in lines) and all(r.metadata == lines[0].metadata
                                                    for r in lines)


def read_manifest(manifest: Path, max_bytes: int) -> tuple[list[Record], list[LineError]]:
    with manifest.open(encoding="utf-8") as handle:
        return parse_manifest_lines(handle, manifest.parent, max_bytes)
