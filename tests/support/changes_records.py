"""Small born-digital records (no OCR wait) for the record-changes tests (issue 15), their own
agency in the register, and helpers to ingest them through the real CLI and worker.

The records carry their own result_ids and agency, so editing them never disturbs the other
modules' records in the same session index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from domain.agencies import AgencyStore, parse_register
from domain.settings import Settings
from tests.conftest import SAMPLE, run_cli

AGENCY = {"agency_code": "H26.CHG.TH", "agency_name": "UBND phường Thử Hồ",
          "agency_level": "commune"}
REGISTER = ("agency_code,agency_name,level,parent_code,inventory_count,reviewed_on\n"
            f"{AGENCY['agency_code']},{AGENCY['agency_name']},commune,,40,2024-01-01\n")


def change_record(n: int, holder: str, id_number: str, **extra: Any) -> dict[str, Any]:
    result_id = f"CHG-{n:04d}"
    record = {"result_id": result_id, "result_number": f"{n}/2020/GP-CHG",
              "document_type": "Giấy phép xây dựng", **AGENCY, "issued_on": "2020-03-04",
              "holder_name": holder, "holder_id_number": id_number,
              "holder_birth_date": "1980-01-01", "valid_from": "2020-03-04",
              "valid_until": None, "status": "active", "digitized_on": "2023-05-06",
              "files": [f"files/{result_id.lower()}.txt"]}
    record.update(extra)
    return record


def record_text(record: dict[str, Any]) -> str:
    # No names in the text: what search finds by name comes from the (editable) metadata.
    return f"GIẤY PHÉP XÂY DỰNG\nSố: {record['result_number']}\nCông trình nhà ở riêng lẻ\n"


def write_manifest(folder: Path, records: list[dict[str, Any]]) -> Path:
    (folder / "files").mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / record["files"][0]).write_text(record_text(record), encoding="utf-8")
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                        encoding="utf-8")
    return manifest


def ingest(settings: Settings, es: Elasticsearch, folder: Path,
           records: list[dict[str, Any]]) -> subprocess.CompletedProcess:
    result = run_cli(settings, "ingest", str(write_manifest(folder, records)), "--wait",
                     timeout=300)
    es.indices.refresh(index=settings.index_name("results"))
    return result


def load_register(settings: Settings, es: Elasticsearch) -> None:
    """Our agency together with the sample's register: the worker caches the register for a
    while, so a register without the sample's agencies would mislead later modules' ingests."""
    store = AgencyStore(es, settings)
    sample = (SAMPLE / "agencies.csv").read_text(encoding="utf-8").rstrip("\n") + "\n"
    good, errors = parse_register(sample + REGISTER.split("\n", 1)[1])
    assert not errors, errors
    store.load(good)
