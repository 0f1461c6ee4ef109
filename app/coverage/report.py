"""The coverage report as of a date: one row per registered agency, totals, district roll-ups.

`build_report` is pure (register + counts + roadmap → the answer); `coverage_report` fetches
the register and the aggregated counts from Elasticsearch and calls it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from app.coverage.arithmetic import Figures, Roadmap, combined, target_for
from app.coverage.queries import AgencyCounts, agency_details, digitized_by_agency
from domain.agencies import LEVELS, Agency, AgencyStore
from domain.settings import Settings


@dataclass(frozen=True)
class Row:
    agency: Agency
    figures: Figures
    digitized_after_cutoff: int
    pending_review: int = 0

    def as_dict(self) -> dict[str, Any]:
        a = self.agency
        return {"agency_code": a.agency_code, "agency_name": a.agency_name,
                "agency_level": a.level, "parent_code": a.parent_code,
                **self.figures.as_dict(), "digitized_after_cutoff": self.digitized_after_cutoff,
                "pending_review": self.pending_review}


def build_rows(register: Mapping[str, Agency], counts: Mapping[str, AgencyCounts],
               roadmap: Roadmap, year: int) -> list[Row]:
    rows = []
    for code in sorted(register):
        agency = register[code]
        count = counts.get(code, AgencyCounts())
        figures = Figures.of(agency.inventory_count, count.digitized,
                             target_for(roadmap, year, agency.level))
        rows.append(Row(agency, figures, count.digitized_after_cutoff, count.pending_review))
    return rows


def group_figures(rows: list[Row]) -> dict[str, Any]:
    """A group of rows as one: sums, weighted target, and how many agencies lag."""
    figures = combined(row.figures for row in rows)
    return {**figures.as_dict(),
            "digitized_after_cutoff": sum(row.digitized_after_cutoff for row in rows),
            "pending_review": sum(row.pending_review for row in rows),
            "agencies": len(rows), "lagging": sum(not row.figures.on_track for row in rows)}


def totals(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Per level and for the whole city (`all`): registered agencies only."""
    out = {level: group_figures([r for r in rows if r.agency.level == level]) for level in LEVELS}
    out["all"] = group_figures(rows)
    return out


def district_rollups(rows: list[Row]) -> list[dict[str, Any]]:
    """Each district together with its communes (a district's own results count too)."""
    children: dict[str, list[Row]] = {}
    for row in rows:
        if row.agency.level == "commune" and row.agency.parent_code:
            children.setdefault(row.agency.parent_code, []).append(row)
    out = []
    for row in rows:
        if row.agency.level != "district":
            continue
        communes = children.get(row.agency.agency_code, [])
        out.append({"agency_code": row.agency.agency_code, "agency_name": row.agency.agency_name,
                    **group_figures([row, *communes]), "communes": len(communes)})
    return out


def build_report(register: Mapping[str, Agency], counts: Mapping[str, AgencyCounts],
                 roadmap: Roadmap, as_of: dt.date, level: str | None = None,
                 orphan_details: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> dict[str, Any]:
    """The interface's answer (`as_of`, `target_year`, `rows`, `totals`) plus roll-ups/orphans.

    `level` narrows the rows only; totals and roll-ups always cover the whole register.
    Records of agencies missing from the register have no inventory to count against: they
    are listed under `orphans` and left out of every total.
    """
    rows = build_rows(register, counts, roadmap, as_of.year)
    details = orphan_details or {}
    orphans = [{"agency_code": code, "agency_name": details.get(code, {}).get("agency_name"),
                "agency_level": details.get(code, {}).get("agency_level"),
                "digitized": counts[code].digitized,
                "digitized_after_cutoff": counts[code].digitized_after_cutoff,
                "pending_review": counts[code].pending_review}
               for code in sorted(set(counts) - set(register))]
    return {
        "as_of": as_of.isoformat(),
        "target_year": as_of.year,
        "rows": [row.as_dict() for row in rows if level is None or row.agency.level == level],
        "totals": totals(rows),
        "districts": district_rollups(rows),
        "orphans": orphans,
    }


def coverage_report(client: Elasticsearch, settings: Settings, as_of: dt.date,
                    level: str | None = None) -> dict[str, Any]:
    index = settings.index_name("results")
    register = AgencyStore(client, settings).all()
    counts = digitized_by_agency(client, index, settings.coverage_cutoff, as_of)
    unregistered = set(counts) - set(register)
    details = agency_details(client, index, unregistered) if unregistered else {}
    report = build_report(register, counts, settings.roadmap, as_of, level, details)
    report["cutoff"] = settings.coverage_cutoff.isoformat()
    return report
