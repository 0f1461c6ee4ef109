"""The dashboard's agency table: filter and sort report rows by query parameters (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.coverage.params import ParamError, parse_level

SORT_KEYS = ("agency_code", "agency_name", "agency_level", "inventory", "digitized", "coverage",
             "target", "gap", "on_track")
STATUSES = {"dat": True, "cham": False}  # ?status=dat (on track) | cham (lagging)
LEVEL_ORDER = {"city": 0, "district": 1, "commune": 2}


@dataclass(frozen=True)
class TableQuery:
    level: str | None = None
    district: str | None = None     # a district's code: it and its communes
    status: str | None = None       # "dat" | "cham"
    text: str = ""
    sort: str = "agency_code"
    descending: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TableQuery:
        sort = args.get("sort") or "agency_code"
        if sort not in SORT_KEYS:
            raise ParamError(f"sort must be one of {', '.join(SORT_KEYS)}, got {sort!r}",
                             f"Không sắp xếp được theo «{sort}».")
        direction = args.get("dir") or "asc"
        if direction not in ("asc", "desc"):
            raise ParamError(f"dir must be asc or desc, got {direction!r}",
                             "Chiều sắp xếp chỉ là tăng dần (asc) hoặc giảm dần (desc).")
        status = args.get("status") or None
        if status is not None and status not in STATUSES:
            raise ParamError(f"status must be dat or cham, got {status!r}",
                             "Đánh giá chỉ là «đạt» hoặc «chậm».")
        district = (args.get("district") or "").strip() or None
        return cls(parse_level(args.get("level"), "level"), district, status,
                   (args.get("q") or "").strip(), sort, direction == "desc")

    def as_args(self) -> dict[str, str]:
        """The non-default parameters, to rebuild links that keep the current view."""
        args = {"level": self.level, "district": self.district, "status": self.status,
                "q": self.text or None,
                "sort": None if self.sort == "agency_code" else self.sort,
                "dir": "desc" if self.descending else None}
        return {k: v for k, v in args.items() if v}


def _matches(row: Mapping[str, Any], query: TableQuery) -> bool:
    if query.level and row["agency_level"] != query.level:
        return False
    if query.district and query.district not in (row["agency_code"], row["parent_code"]):
        return False
    if query.status and row["on_track"] != STATUSES[query.status]:
        return False
    if query.text:
        needle = query.text.casefold()
        return needle in row["agency_code"].casefold() or needle in row["agency_name"].casefold()
    return True


def _key(row: Mapping[str, Any], sort: str) -> Any:
    if sort == "agency_level":
        return LEVEL_ORDER.get(row["agency_level"], 9)
    if sort == "agency_name":
        return row[sort].casefold()
    return row[sort]


def select_rows(rows: list[dict[str, Any]], query: TableQuery) -> list[dict[str, Any]]:
    """Rows kept by the filters, sorted; ties by agency code, ascending in either direction;
    rows without a value (coverage of an agency with no inventory) always last."""
    kept = sorted((row for row in rows if _matches(row, query)), key=lambda r: r["agency_code"])
    known = [row for row in kept if row[query.sort] is not None]
    unknown = [row for row in kept if row[query.sort] is None]
    # Python's sort is stable even reversed, so equal keys keep the code order.
    known.sort(key=lambda row: _key(row, query.sort), reverse=query.descending)
    return known + unknown
