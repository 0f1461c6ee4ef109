"""The agency register: parse and check `agencies.csv`, keep it in `<prefix>-agencies`.

CSV columns: agency_code, agency_name, level (city|district|commune), parent_code,
inventory_count (valid paper results issued on or before the coverage cut-off), reviewed_on.
A bad row is reported with its line number (the header is line 1) and never stops the good rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import Elasticsearch, helpers

from domain.settings import Settings
from domain.text.codes import parse_iso_date

LEVELS = ("city", "district", "commune")
COLUMNS = ("agency_code", "agency_name", "level", "parent_code", "inventory_count", "reviewed_on")
REQUIRED_COLUMNS = ("agency_code", "agency_name", "level", "inventory_count")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MAX_AGENCIES = 10_000  # Hanoi has ~650 agencies; past this the register is read by scrolling


class RegisterError(ValueError):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class Agency:
    agency_code: str
    agency_name: str
    level: str
    parent_code: str | None
    inventory_count: int
    reviewed_on: str | None = None

    @classmethod
    def from_source(cls, source: dict[str, Any]) -> Agency:
        return cls(source["agency_code"], source.get("agency_name") or source["agency_code"],
                   source["level"], source.get("parent_code") or None,
                   int(source.get("inventory_count") or 0), source.get("reviewed_on"))


@dataclass(frozen=True)
class RowError:
    line: int
    agency_code: str | None
    message: str

    def __str__(self) -> str:
        code = f" ({self.agency_code})" if self.agency_code else ""
        return f"line {self.line}{code}: {self.message}"


def _check_row(row: dict[str, str]) -> tuple[Agency | None, str | None]:
    """One row on its own (the parent is checked later, against the whole register)."""
    code = row.get("agency_code", "").strip()
    if not code:
        return None, "missing agency_code"
    if not _CODE.match(code):
        return None, (f"agency_code {code!r} may hold only letters, digits, '.', '-', '_' "
                      "(at most 64)")
    name = row.get("agency_name", "").strip()
    if not name:
        return None, "missing agency_name"
    level = row.get("level", "").strip().lower()
    if level not in LEVELS:
        return None, f"unknown level {row.get('level', '')!r}; expected one of {', '.join(LEVELS)}"
    raw_count = row.get("inventory_count", "").strip()
    if not raw_count:
        return None, "missing inventory_count"
    if not re.fullmatch(r"[+-]?\d+", raw_count):
        return None, f"inventory_count {raw_count!r} is not a whole number"
    if int(raw_count) < 0:
        return None, f"inventory_count {raw_count} is negative"
    reviewed = row.get("reviewed_on", "").strip() or None
    if reviewed and parse_iso_date(reviewed) is None:
        return None, f"reviewed_on {reviewed!r} is not a date YYYY-MM-DD"
    parent = row.get("parent_code", "").strip() or None
    if parent == code:
        return None, "an agency cannot be its own parent"
    return Agency(code, name, level, parent, int(raw_count), reviewed), None


def parse_register(text: str, known_codes: Iterable[str] = ()
                   ) -> tuple[list[Agency], list[RowError]]:
    """Good agencies and bad rows of a register CSV; `known_codes` are already loaded ones."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RegisterError(f"the header lacks column(s) {', '.join(missing)}; expected "
                            f"{','.join(COLUMNS)}")
    reader.fieldnames = header
    good: dict[str, tuple[int, Agency]] = {}
    rejected: dict[str, int] = {}  # code -> line of a rejected row, to explain its children
    errors: list[RowError] = []
    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank line
        clean = {k: v if isinstance(v, str) else "" for k, v in row.items() if k is not None}
        agency, problem = _check_row(clean)
        code = clean.get("agency_code", "").strip() or None
        if agency is None:
            errors.append(RowError(line, code, problem or "bad row"))
            if code:
                rejected.setdefault(code, line)
        elif agency.agency_code in good:
            first = good[agency.agency_code][0]
            errors.append(RowError(line, code, f"duplicate agency_code (line {first} is kept)"))
        else:
            good[agency.agency_code] = (line, agency)
    # A parent must be a loaded agency; dropping a row can orphan its children, so repeat.
    known = set(known_codes)
    changed = True
    while changed:
        changed = False
        for code, (line, agency) in list(good.items()):
            if agency.parent_code and agency.parent_code not in good \
                    and agency.parent_code not in known:
                why = (f" (its row, line {rejected[agency.parent_code]}, was rejected)"
                       if agency.parent_code in rejected else "")
                errors.append(RowError(line, code, f"parent_code {agency.parent_code!r} is not "
                                                   f"in the register{why}"))
                rejected.setdefault(code, line)
                del good[code]
                changed = True
    errors.sort(key=lambda e: e.line)
    return [agency for _, agency in good.values()], errors


@dataclass(frozen=True)
class LoadSummary:
    created: int
    updated: int
    pruned: int


class AgencyStore:
    """The register in Elasticsearch, one document per agency with `_id` = agency_code."""

    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("agencies")

    def load(self, agencies: list[Agency], prune: bool = False) -> LoadSummary:
        """Upsert the agencies (idempotent); with `prune`, delete those not in `agencies`."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        def actions() -> Iterator[dict[str, Any]]:
            for agency in agencies:
                yield {"_index": self.index, "_id": agency.agency_code,
                       "_source": {**asdict(agency), "loaded_at": now}}

        created = updated = 0
        for ok, item in helpers.streaming_bulk(self.client, actions(), chunk_size=1000,
                                               raise_on_error=True):
            result = item["index"].get("result") if ok else None
            created += result == "created"
            updated += result == "updated"
        self.client.indices.refresh(index=self.index)
        pruned = 0
        if prune:
            # Bulk deletes by id: not every cluster build has the delete-by-query module.
            stale = set(self.all()) - {agency.agency_code for agency in agencies}
            pruned, _ = helpers.bulk(self.client, ({"_op_type": "delete", "_index": self.index,
                                                    "_id": code} for code in sorted(stale)),
                                     refresh="wait_for")
        return LoadSummary(created, updated, pruned)

    def all(self) -> dict[str, Agency]:
        """Every registered agency by code."""
        response = self.client.search(index=self.index, size=_MAX_AGENCIES,
                                      track_total_hits=True, sort=["_doc"])
        hits = response["hits"]["hits"]
        if response["hits"]["total"]["value"] > len(hits):
            hits = list(helpers.scan(self.client, index=self.index,
                                     query={"query": {"match_all": {}}}))
        agencies = (Agency.from_source(hit["_source"]) for hit in hits)
        return {agency.agency_code: agency for agency in agencies}
