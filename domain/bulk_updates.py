"""`sohoa records update FILE.csv`: the way an agency sends a list of revoked (replaced,
extended) results. Parsing only (pure); each good row is then applied as one edit.

Columns: result_id, status, valid_until, replaced_by, reason. An empty cell leaves the field
as it is; `null` clears it (valid_until: no end date). Line numbers count the header as 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

COLUMNS = ("result_id", "status", "valid_until", "replaced_by", "reason")
CHANGE_COLUMNS = ("status", "valid_until", "replaced_by")
CLEAR = "null"


class UpdateFileError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns)."""


@dataclass(frozen=True)
class UpdateRow:
    line: int
    result_id: str
    changes: dict[str, Any]
    reason: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    result_id: str | None
    message: str

    def __str__(self) -> str:
        who = f" ({self.result_id})" if self.result_id else ""
        return f"line {self.line}{who}: {self.message}"


def _row(line: int, raw: dict[str, Any]) -> UpdateRow | RowError:
    if None in raw:  # more cells than columns
        return RowError(line, None, f"{len(raw[None])} cell(s) more than the header's columns")
    cells = {k: (v or "").strip() for k, v in raw.items()}
    result_id = cells.get("result_id", "")
    if not result_id:
        return RowError(line, None, "result_id is empty")
    changes = {c: (None if cells[c].lower() == CLEAR else cells[c])
               for c in CHANGE_COLUMNS if cells.get(c)}
    if not changes:
        return RowError(line, result_id, "nothing to change (status, valid_until and "
                                         "replaced_by are all empty)")
    return UpdateRow(line, result_id, changes, cells.get("reason") or None)


def parse_updates(text: str) -> tuple[list[UpdateRow], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip() for name in reader.fieldnames or []]
    if "result_id" not in header:
        raise UpdateFileError(f"the header must name the columns {', '.join(COLUMNS)}; "
                              f"got {', '.join(header) or 'nothing'}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise UpdateFileError(f"unknown column(s) {', '.join(unknown)}; "
                              f"expected {', '.join(COLUMNS)}")
    reader.fieldnames = header
    rows: list[UpdateRow] = []
    errors: list[RowError] = []
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in raw.items() if k is not None):
            continue
        parsed = _row(line, raw)
        if isinstance(parsed, RowError):
            errors.append(parsed)
        else:
            rows.append(parsed)
    return rows, errors
