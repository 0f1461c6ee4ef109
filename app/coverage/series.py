"""Coverage over time for one scope (the city, a level, an agency, a district with its communes):
records digitised per month, the running total, coverage, and the roadmap's target steps.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from app.coverage.arithmetic import Roadmap, step_targets
from app.coverage.labels import LEVEL_LABELS
from app.coverage.queries import monthly_digitized
from domain.agencies import LEVELS, Agency, AgencyStore
from domain.settings import Settings


class UnknownScope(LookupError):
    """The agency code is not in the register."""

    def __init__(self, agency_code: str) -> None:
        super().__init__(f"agency {agency_code} is not in the register")
        self.agency_code = agency_code


@dataclass(frozen=True)
class Scope:
    kind: str                   # "all" | "level" | "agency" | "district"
    key: str                    # "all", the level, or the agency code
    label: str
    agencies: tuple[Agency, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "label": self.label,
                "agency_codes": [a.agency_code for a in self.agencies]}


MAX_SERIES_MONTHS = 1200  # a series spans at most 100 years (months are ES buckets)


def months_spanned(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def latest_start(end: dt.date) -> dt.date:
    """The earliest first month a series ending at `end` may have (MAX_SERIES_MONTHS)."""
    index = end.year * 12 + end.month - MAX_SERIES_MONTHS  # months since year 0, 0-based
    return dt.date(max(index // 12, 1), index % 12 + 1, 1) if index >= 12 else dt.date(1, 1, 1)


def default_start(cutoff: dt.date) -> dt.date:
    """Where a series starts by default: the first month after the inventory cut-off."""
    return dt.date(cutoff.year + 1, 1, 1)


def resolve_scope(register: dict[str, Agency], agency_code: str | None = None,
                  level: str | None = None, with_children: bool = False) -> Scope:
    """Which registered agencies a series covers; an agency code wins over a level."""
    if agency_code:
        agency = register.get(agency_code)
        if agency is None:
            raise UnknownScope(agency_code)
        if with_children:
            members = [agency, *(a for a in register.values() if a.parent_code == agency_code)]
            return Scope("district", agency_code, f"{agency.agency_name} (gồm cấp dưới)",
                         tuple(members))
        return Scope("agency", agency_code, agency.agency_name, (agency,))
    if level:
        members = [a for a in register.values() if a.level == level]
        return Scope("level", level, LEVEL_LABELS.get(level, level), tuple(members))
    return Scope("all", "all", "Toàn thành phố", tuple(register.values()))


def build_series(scope: Scope, before: int, months: list[tuple[dt.date, int]],
                 roadmap: Roadmap) -> dict[str, Any]:
    """Pure: monthly counts → cumulative counts, coverage and target per month."""
    weights = Counter[str]()
    for agency in scope.agencies:
        weights[agency.level] += agency.inventory_count
    inventory = sum(weights.values())
    if not inventory:  # nothing to weigh by: the levels present count alike
        weights = Counter({a.level: 1 for a in scope.agencies})
    years = sorted({m.year for m, _ in months})
    steps = step_targets(roadmap, years, {lvl: weights[lvl] for lvl in LEVELS if weights[lvl]})
    points, total = [], before
    for month, count in months:
        total += count
        points.append({"month": f"{month.year:04d}-{month.month:02d}",  # strftime: "1-01"
                       "digitized": count, "cumulative": total,
                       "coverage": total / inventory if inventory else None,
                       "target": steps.get(month.year, 0.0)})
    return {"scope": scope.as_dict(), "inventory": inventory,
            "digitized_before": before, "points": points,
            "steps": [{"year": y, "target": steps[y]} for y in years]}


def coverage_series(client: Elasticsearch, settings: Settings, start: dt.date, end: dt.date,
                    agency_code: str | None = None, level: str | None = None,
                    with_children: bool = False) -> dict[str, Any]:
    register = AgencyStore(client, settings).all()
    scope = resolve_scope(register, agency_code, level, with_children)
    # Registered agencies only, even for "all": orphans have no inventory to count against.
    codes = sorted(a.agency_code for a in scope.agencies)
    before, months = monthly_digitized(client, settings.index_name("results"),
                                       settings.coverage_cutoff, codes, start, end)
    series = build_series(scope, before, months, settings.roadmap)
    series.update({"from": start.isoformat(), "to": end.isoformat(),
                   "cutoff": settings.coverage_cutoff.isoformat()})
    return series
