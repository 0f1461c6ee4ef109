"""Intake without a full manifest (issue 14), on the real CLI, worker, Elasticsearch and app.

The documents are born-digital `.txt` files written here in the standard layout of Vietnamese
administrative documents (invented people and numbers, a document type the sample lacks), so
extraction is exercised without an OCR wait. What is checked: a files-only line ingests, its
fields are extracted and it waits in the review queue; nobody can see it as a citizen until an
officer confirms it; a text that states no number gets none; the same scan twice is one record;
coverage and search report the review state.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from domain.agencies import AgencyStore, parse_register
from domain.settings import Settings
from tests.conftest import SAMPLE, WorkerProcess, run_cli
from tests.support.apps import bearer, make_app
from tests.support.security_fixtures import citizen_login, clear_citizen_limits, create_staff

pytestmark = pytest.mark.services

# Random IDs: no other record of the session may name these people.
HOLDER_ID = "0011" + "92" + f"{secrets.randbelow(10**6):06d}"
HOLDER_BIRTH = ("1992-04-17", "17/04/1992")
NUMBER = f"{secrets.randbelow(900) + 100}/2025/GP-BDNT"

PERMIT = f"""ỦY BAN NHÂN DÂN
QUẬN BA ĐÌNH
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: {NUMBER}
Ba Đình, ngày 03 tháng 03 năm 2025
GIẤY PHÉP TỔ CHỨC BIỂU DIỄN NGHỆ THUẬT
Cấp cho: Bà Nguyễn Thị Hồng Nhung
Ngày sinh: {HOLDER_BIRTH[1]}
Số định danh cá nhân: {HOLDER_ID}.
Nơi cư trú: Số 12 phố Đội Cấn, phường Kim Mã, quận Ba Đình, thành phố Hà Nội.
Được tổ chức biểu diễn tại: Nhà văn hóa phường Kim Mã.
Giấy phép này có giá trị đến ngày 30 tháng 06 năm 2025.
Nơi nhận:
- Người được cấp;
- Lưu: VT.
CHỦ TỊCH
(Đã ký)
Trần Văn Bình
"""
# A document that prints no number at all (a notice with no "Số:" line).
NO_NUMBER = """UBND QUẬN BA ĐÌNH
UBND PHƯỜNG KIM MÃ
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Kim Mã, ngày 09 tháng 09 năm 2024
GIẤY XÁC NHẬN CƯ TRÚ
Họ, chữ đệm, tên: LÊ VĂN TÂM
Ngày, tháng, năm sinh: 01/02/1980.
Số định danh cá nhân: 001080123456.
Nơi cư trú: Số 3 phố Kim Mã, phường Kim Mã, quận Ba Đình, thành phố Hà Nội.
CHỦ TỊCH
(Đã ký)
Phạm Thu Hà
"""


@pytest.fixture(scope="module")
def intake(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both documents ingested from a folder (files only); the permit twice."""
    agencies, _ = parse_register((SAMPLE / "agencies.csv").read_text(encoding="utf-8"))
    AgencyStore(es, session_settings).load(agencies)
    folder = tmp_path_factory.mktemp("intake")
    (folder / "permit.txt").write_text(PERMIT, encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "permit-again.txt").write_text(PERMIT, encoding="utf-8")
    (folder / "notice.txt").write_text(NO_NUMBER, encoding="utf-8")
    first = run_cli(session_settings, "ingest", str(folder / "sub"), "--wait", timeout=300)
    result = run_cli(session_settings, "ingest", str(folder), "--wait", timeout=300)
    es.indices.refresh(index=session_settings.index_name("results"))
    return {"first": first, "result": result, "folder": folder}


@pytest.fixture(scope="module")
def app(session_settings: Settings, intake: dict[str, Any]) -> Flask:
    return make_app(session_settings)


NOTICE_ID = "001080123456"


def _find(es: Elasticsearch, settings: Settings, id_number: str) -> list[dict[str, Any]]:
    response = es.search(index=settings.index_name("results"), size=10,
                         query={"term": {"holder_id_number": id_number}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_folder_ingest_queues_every_file(intake: dict[str, Any]) -> None:
    assert intake["first"].returncode == 0, intake["first"].stderr
    assert intake["result"].returncode == 0, intake["result"].stderr


def test_same_scan_twice_is_one_record(intake: dict[str, Any], es: Elasticsearch,
                                       session_settings: Settings) -> None:
    found = _find(es, session_settings, HOLDER_ID)
    assert len(found) == 1
    assert found[0]["result_id"].startswith("auto-")


def test_fields_extracted_and_pending(intake: dict[str, Any], es: Elasticsearch,
                                      session_settings: Settings) -> None:
    record = _find(es, session_settings, HOLDER_ID)[0]
    assert record["review"]["state"] == "pending"
    expected = {"result_number": NUMBER, "issued_on": "2025-03-03", "agency_code": "H26.BD",
                "agency_level": "district", "holder_name": "Nguyễn Thị Hồng Nhung",
                "holder_id_number": HOLDER_ID, "holder_birth_date": HOLDER_BIRTH[0],
                "document_type": "Giấy phép tổ chức biểu diễn nghệ thuật",
                "valid_until": "2025-06-30", "signer": "Trần Văn Bình",
                "signer_title": "Chủ Tịch"}
    for name, value in expected.items():
        assert record[name] == value, name
        assert record["review"]["fields"][name]["value"] == value
        assert 0 < record["review"]["fields"][name]["confidence"] <= 1


def test_no_number_stated_no_number_invented(intake: dict[str, Any], es: Elasticsearch,
                                             session_settings: Settings) -> None:
    record = _find(es, session_settings, NOTICE_ID)[0]
    assert "result_number" not in record
    assert "result_number" not in record["review"]["fields"]
    assert record["holder_id_number"] == "001080123456"
    assert record["issued_on"] == "2024-09-09"
    assert record["agency_code"] == "H26.BD.KM"


def test_review_queue_lists_pending_least_certain_first(app: Flask, es: Elasticsearch,
                                                        session_settings: Settings) -> None:
    staff = create_staff(session_settings, es)
    body = app.test_client().get("/api/v1/review?size=100",
                                 headers=bearer(staff.officer_token)).get_json()
    ids = [hit["result_id"] for hit in body["hits"]]
    permit = _find(es, session_settings, HOLDER_ID)[0]["result_id"]
    assert permit in ids
    confidences = [hit["min_confidence"] for hit in body["hits"]]
    assert confidences == sorted(confidences)
    assert all(hit["review_state"] == "pending" for hit in body["hits"])


def test_search_hit_carries_review_state(app: Flask, es: Elasticsearch,
                                         session_settings: Settings) -> None:
    staff = create_staff(session_settings, es)
    body = app.test_client().get(f"/api/v1/search?q={NUMBER}",
                                 headers=bearer(staff.officer_token)).get_json()
    assert body["hits"] and body["hits"][0]["review_state"] == "pending"


def test_confirming_makes_it_visible_to_its_citizen(app: Flask, es: Elasticsearch,
                                                    session_settings: Settings) -> None:
    clear_citizen_limits(app, app.extensions["sohoa.redis"])
    staff = create_staff(session_settings, es)
    client = app.test_client()
    permit = _find(es, session_settings, HOLDER_ID)[0]["result_id"]
    before = citizen_login(client, HOLDER_ID, HOLDER_BIRTH[0], NUMBER)
    assert before.status_code == 401  # a pending record proves nothing and shows nothing
    bad = client.post(f"/api/v1/results/{permit}/review", headers=bearer(staff.officer_token),
                      json={"changes": {"issued_on": "03/03/2025"}, "confirm": True})
    assert bad.status_code == 422 and "issued_on" in bad.get_json()["errors"]
    answer = client.post(f"/api/v1/results/{permit}/review", headers=bearer(staff.officer_token),
                         json={"changes": {"holder_address": "Số 12 phố Đội Cấn, Hà Nội"},
                               "confirm": True})
    assert answer.status_code == 200, answer.get_json()
    record = answer.get_json()
    assert record["review"]["state"] == "confirmed"
    assert record["holder_address"] == "Số 12 phố Đội Cấn, Hà Nội"
    after = citizen_login(client, HOLDER_ID, HOLDER_BIRTH[0], NUMBER)
    assert after.status_code == 200, after.get_json()
    token = after.get_json()["token"]
    mine = client.get("/api/v1/citizen/results", headers=bearer(token)).get_json()
    assert permit in {r["result_id"] for r in mine["results"]}


def test_coverage_reports_pending_review(app: Flask, es: Elasticsearch,
                                         session_settings: Settings) -> None:
    staff = create_staff(session_settings, es)
    # Ingested records count from the day they were ingested (the real date, not the pinned one).
    as_of = dt.date.today().isoformat()
    body = app.test_client().get(f"/api/v1/coverage?as_of={as_of}",
                                 headers=bearer(staff.manager_token)).get_json()
    assert "pending_review" in body["totals"]["all"]
    row = next(r for r in body["rows"] if r["agency_code"] == "H26.BD.KM")
    assert row["pending_review"] >= 1  # the notice still waits


def test_api_ingest_without_metadata(app: Flask, es: Elasticsearch,
                                     session_settings: Settings, intake: dict[str, Any]) -> None:
    staff = create_staff(session_settings, es)
    path: Path = intake["folder"] / "notice.txt"
    with path.open("rb") as handle:
        answer = app.test_client().post("/api/v1/ingest", headers=bearer(staff.officer_token),
                                        data={"files": (handle, "notice.txt")})
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["result_id"] == _find(es, session_settings, NOTICE_ID)[0]["result_id"]
    assert json.dumps(body)  # job_id and result_id, no metadata needed
