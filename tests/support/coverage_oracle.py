"""The test oracle for coverage: plain Python over the sample manifest and register.

Written from the definitions in docs/interfaces.md alone, without importing anything from app/,
domain/ or indexer/, so the API is checked against an independent reading of the definitions:
- inventory: the register's inventory_count;
- digitized: records of the agency with issued_on <= cut-off and (digitized_on, or the ingestion
  date when it is missing) <= D;
- target: the roadmap value of the year of D for the agency's level (0 before 2022, 100 % from
  2025 on);
- coverage = digitized / inventory; on_track = coverage >= target. An agency with inventory 0
  has coverage None and is on track (sohoa's documented choice: nothing is owed).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

CUTOFF = "2021-12-31"
ROADMAP = {2022: {"city": 0.30, "district": 0.30, "commune": 0.25},
           2023: {"city": 0.55, "district": 0.55, "commune": 0.50},
           2024: {"city": 0.80, "district": 0.80, "commune": 0.75},
           2025: {"city": 1.00, "district": 1.00, "commune": 1.00}}


def read_manifest(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_register(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def oracle_target(year: int, level: str) -> float:
    if year < 2022:
        return 0.0
    return ROADMAP[min(year, 2025)][level]


def expected_rows(manifest: list[dict], register: list[dict], as_of: dt.date,
                  ingested_on: dt.date) -> list[dict]:
    day = as_of.isoformat()
    rows = []
    for agency in sorted(register, key=lambda a: a["agency_code"]):
        code, level = agency["agency_code"], agency["level"]
        inventory = int(agency["inventory_count"])
        digitized = 0
        for record in manifest:
            if record["agency_code"] != code or record["issued_on"] > CUTOFF:
                continue
            when = record.get("digitized_on") or ingested_on.isoformat()
            if when <= day:
                digitized += 1
        target = oracle_target(as_of.year, level)
        coverage = digitized / inventory if inventory else None
        rows.append({"agency_code": code, "agency_name": agency["agency_name"],
                     "agency_level": level, "parent_code": agency["parent_code"] or None,
                     "inventory": inventory, "digitized": digitized, "coverage": coverage,
                     "target": target,
                     "on_track": True if coverage is None else coverage >= target})
    return rows


def expected_totals(rows: list[dict]) -> dict[str, dict]:
    out = {}
    for key in ("city", "district", "commune", "all"):
        group = [r for r in rows if key == "all" or r["agency_level"] == key]
        inventory = sum(r["inventory"] for r in group)
        digitized = sum(r["digitized"] for r in group)
        out[key] = {"inventory": inventory, "digitized": digitized,
                    "coverage": digitized / inventory if inventory else None,
                    "target": (sum(r["target"] * r["inventory"] for r in group) / inventory
                               if inventory else max((r["target"] for r in group), default=0.0))}
    return out
