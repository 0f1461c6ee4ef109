"""The coverage table as CSV (UTF-8 with BOM, so Excel shows Vietnamese right) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.coverage.labels import LEVEL_LABELS, ON_TRACK_LABELS, SCOPE_LABELS

COLUMNS: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("agency_code", "Mã cơ quan", lambda r: r["agency_code"]),
    ("agency_name", "Tên cơ quan", lambda r: r["agency_name"]),
    ("agency_level", "Cấp", lambda r: LEVEL_LABELS.get(r["agency_level"], r["agency_level"])),
    ("parent_code", "Cơ quan cấp trên", lambda r: r["parent_code"] or ""),
    ("inventory", "Tồn (kết quả giấy còn hiệu lực)", lambda r: r["inventory"]),
    ("digitized", "Đã số hóa", lambda r: r["digitized"]),
    ("coverage", "Tỷ lệ số hóa", lambda r: r["coverage"]),
    ("target", "Chỉ tiêu", lambda r: r["target"]),
    ("on_track", "Đánh giá", lambda r: ON_TRACK_LABELS[r["on_track"]]),
    ("gap", "Còn thiếu so với chỉ tiêu (bản ghi)", lambda r: r["gap"]),
    ("digitized_after_cutoff", "Số hóa khi tiếp nhận (cấp sau mốc)",
     lambda r: r["digitized_after_cutoff"]),
]


def filename(report: dict[str, Any], extension: str) -> str:
    return f"so-hoa-{report['as_of']}.{extension}"


def as_response(report: dict[str, Any], kind: str) -> Response:
    """A download of the report's table: `kind` is "csv" or "xlsx"."""
    if kind == "xlsx":
        body = to_xlsx(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = to_csv(report), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename(report, kind)}"'})


def to_csv(report: dict[str, Any]) -> bytes:
    """One row per agency; coverage and target as fractions (0..1, not capped)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label, _ in COLUMNS])
    for row in report["rows"]:
        writer.writerow(["" if (v := get(row)) is None else v for _, _, get in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Theo cơ quan"
    sheet.append([f"Tiến độ số hóa kết quả giải quyết TTHC tính đến ngày {report['as_of']}"])
    sheet.append([f"Chỉ tiêu năm {report['target_year']}; tồn tính đến mốc {report['cutoff']}"])
    sheet.append([])
    sheet.append([label for _, label, _ in COLUMNS])
    header_row = sheet.max_row
    for row in report["rows"]:
        sheet.append([get(row) for _, _, get in COLUMNS])
    keys = [key for key, _, _ in COLUMNS]
    for key in ("coverage", "target"):
        letter = get_column_letter(keys.index(key) + 1)
        for cell in sheet[letter][header_row:]:
            cell.number_format = "0.0%"
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    for index, width in enumerate((16, 34, 16, 14, 14, 12, 12, 10, 10, 14, 16), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    totals = book.create_sheet("Tổng hợp")
    totals.append(["Phạm vi", "Số cơ quan", "Tồn", "Đã số hóa", "Tỷ lệ số hóa", "Chỉ tiêu",
                   "Đánh giá", "Còn thiếu (bản ghi)", "Cơ quan chậm"])
    for key, label in SCOPE_LABELS.items():
        t = report["totals"][key]
        totals.append([label, t["agencies"], t["inventory"], t["digitized"], t["coverage"],
                       t["target"], ON_TRACK_LABELS[t["on_track"]], t["gap"], t["lagging"]])
    for column in ("E", "F"):
        for cell in totals[column][1:]:
            cell.number_format = "0.0%"
    for cell in totals[1]:
        cell.font = Font(bold=True)
    totals.column_dimensions["A"].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
