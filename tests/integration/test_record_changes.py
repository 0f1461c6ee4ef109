"""Records change over time (issue 15), against the real services: edits with If-Match,
validation, revocation and replacement, withdraw/restore, re-ingest after an edit, concurrent
edits, and the history that keeps every version."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from flask.testing import FlaskClient

from domain.history import HistoryStore
from domain.settings import Settings
from tests.conftest import WorkerProcess
from tests.support.apps import bearer, make_app
from tests.support.changes_records import AGENCY, change_record, ingest, load_register
from tests.support.security_fixtures import Staff, citizen_login, create_staff

pytestmark = pytest.mark.services

PEOPLE = {n: f"0010800001{n:02d}" for n in range(1, 10)}
RECORDS = [
    change_record(1, "Đỗ Thị Sửa Sai", PEOPLE[1]),
    change_record(2, "Vũ Văn Thay", PEOPLE[2], issued_on="2023-02-02", valid_from="2023-02-02"),
    change_record(3, "Lưu Văn Thu", PEOPLE[3]),
    change_record(4, "Hà Thị Rút", PEOPLE[4]),
    change_record(5, "Mai Văn Nạp", PEOPLE[5]),
    change_record(6, "Kiều Văn Đua", PEOPLE[6]),
    change_record(7, "Tạ Văn Cũ", PEOPLE[7]),
]


@pytest.fixture(scope="module")
def app(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
        tmp_path_factory: pytest.TempPathFactory) -> Flask:
    load_register(session_settings, es)
    result = ingest(session_settings, es, tmp_path_factory.mktemp("changes"), RECORDS)
    assert result.returncode == 0, result.stdout + result.stderr
    return make_app(session_settings)


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es, tag="chg")


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def get(client: FlaskClient, token: str, result_id: str) -> Any:
    return client.get(f"/api/v1/results/{result_id}", headers=bearer(token))


def patch(client: FlaskClient, token: str, result_id: str, version: int | str | None,
          changes: Any, reason: str | None = None) -> Any:
    headers = bearer(token)
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    body: dict[str, Any] = {"changes": changes}
    if reason is not None:
        body["reason"] = reason
    return client.patch(f"/api/v1/results/{result_id}", json=body, headers=headers)


def history(client: FlaskClient, token: str, result_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/results/{result_id}/history", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["versions"]


def search_ids(client: FlaskClient, token: str, query: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": query, "size": 50},
                          headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # A relaxed answer lists best partial matches: the query as typed matched nothing.
    return [] if body.get("relaxed") else [hit["result_id"] for hit in body["hits"]]


def version_of(client: FlaskClient, token: str, result_id: str) -> int:
    return get(client, token, result_id).get_json()["version"]


def test_get_carries_version_and_etag(client: FlaskClient, staff: Staff) -> None:
    response = get(client, staff.officer_token, "CHG-0001")
    body = response.get_json()
    assert response.status_code == 200
    assert isinstance(body["version"], int) and body["version"] >= 1
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["withdrawn"] is False
    first = history(client, staff.officer_token, "CHG-0001")[-1]
    assert first["version"] == 1 and first["source"] == "ingest"
    assert first["changes"]["holder_name"] == {"from": None, "to": "Đỗ Thị Sửa Sai"}


def test_an_edit_is_found_at_once_by_its_new_value_and_not_its_old(
        client: FlaskClient, staff: Staff) -> None:
    token = staff.officer_token
    assert "CHG-0001" in search_ids(client, token, "Đỗ Thị Sửa Sai")
    version = version_of(client, token, "CHG-0001")
    response = patch(client, token, "CHG-0001", version, {"holder_name": "Đỗ Thị Đúng Tên"},
                     reason="sai chính tả khi nhập")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["holder_name"] == "Đỗ Thị Đúng Tên"
    assert response.get_json()["version"] == version + 1
    assert response.headers["ETag"] == f'"{version + 1}"'
    # No refresh here: the edit itself waits until search serves it.
    assert "CHG-0001" in search_ids(client, token, "Đỗ Thị Đúng Tên")
    assert "CHG-0001" not in search_ids(client, token, "Sửa Sai")
    latest = history(client, token, "CHG-0001")[0]
    assert latest["version"] == version + 1 and latest["source"] == "edit"
    assert latest["by"] == staff.officer and latest["reason"] == "sai chính tả khi nhập"
    assert latest["changes"] == {"holder_name": {"from": "Đỗ Thị Sửa Sai",
                                                 "to": "Đỗ Thị Đúng Tên"}}


def test_a_stale_if_match_gets_412_and_changes_nothing(client: FlaskClient, staff: Staff,
                                                        es: Elasticsearch,
                                                        session_settings: Settings) -> None:
    token = staff.officer_token
    seen = version_of(client, token, "CHG-0007")
    assert patch(client, token, "CHG-0007", seen, {"signer": "Nguyễn Văn Ký"}).status_code == 200
    before = es.get(index=session_settings.index_name("results"), id="CHG-0007")["_source"]
    versions_before = history(client, token, "CHG-0007")
    stale = patch(client, token, "CHG-0007", seen, {"holder_name": "Tạ Văn Ghi Đè"})
    assert stale.status_code == 412
    assert stale.get_json()["current_version"] == seen + 1
    after = es.get(index=session_settings.index_name("results"), id="CHG-0007")["_source"]
    assert after == before
    assert history(client, token, "CHG-0007") == versions_before
    assert "CHG-0007" not in search_ids(client, token, "Tạ Văn Ghi Đè")


def test_patch_without_if_match_is_refused(client: FlaskClient, staff: Staff) -> None:
    response = patch(client, staff.officer_token, "CHG-0007", None, {"signer": "X Y"})
    assert response.status_code == 428
    bad = patch(client, staff.officer_token, "CHG-0007", "abc", {"signer": "X Y"})
    assert bad.status_code == 400
    missing = patch(client, staff.officer_token, "NO-SUCH-RECORD", 1, {"signer": "X Y"})
    assert missing.status_code == 404
    not_json = client.patch("/api/v1/results/CHG-0007", data="signer=X",
                            headers={**bearer(staff.officer_token), "If-Match": "1"})
    assert not_json.status_code == 422 and "body" in not_json.get_json()["fields"]


def test_validation_names_each_bad_field(client: FlaskClient, staff: Staff) -> None:
    token = staff.officer_token
    version = version_of(client, token, "CHG-0007")
    response = patch(client, token, "CHG-0007", version, {
        "issued_on": "2020-13-01", "agency_level": "tỉnh", "status": "lost", "files": [],
        "result_id": "OTHER", "colour": "blue", "other_parties": [{"id_number": "1"}]})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {
        "issued_on", "agency_level", "status", "files", "result_id", "colour", "other_parties"}
    no_reason = patch(client, token, "CHG-0007", version, {"status": "revoked"})
    assert no_reason.status_code == 422 and set(no_reason.get_json()["fields"]) == {"reason"}
    until = patch(client, token, "CHG-0007", version, {"valid_until": "2030-01-01"})
    assert set(until.get_json()["fields"]) == {"reason"}
    no_target = patch(client, token, "CHG-0007", version, {"status": "replaced"}, reason="r")
    assert set(no_target.get_json()["fields"]) == {"replaced_by"}
    missing = patch(client, token, "CHG-0007", version,
                    {"status": "replaced", "replaced_by": "NO-SUCH-RECORD"}, reason="r")
    assert missing.status_code == 422
    assert "NO-SUCH-RECORD" in missing.get_json()["fields"]["replaced_by"]
    backwards = patch(client, token, "CHG-0007", version, {"valid_until": "2019-01-01"},
                      reason="r")
    assert set(backwards.get_json()["fields"]) == {"valid_until"}
    assert version_of(client, token, "CHG-0007") == version, "nothing was written"


def _citizen_token(client: FlaskClient, n: int) -> str:
    record = RECORDS[n - 1]
    response = citizen_login(client, PEOPLE[n], record["holder_birth_date"],
                             record["result_number"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _coverage_row(client: FlaskClient, staff: Staff) -> dict[str, Any]:
    response = client.get("/api/v1/coverage", query_string={"as_of": "2026-01-01"},
                          headers=bearer(staff.manager_token))
    assert response.status_code == 200, response.get_json()
    return next(r for r in response.get_json()["rows"]
                if r["agency_code"] == AGENCY["agency_code"])


def _valid_facet(client: FlaskClient, token: str, query: str) -> tuple[int, bool]:
    body = client.get("/api/v1/search", query_string={"q": query},
                      headers=bearer(token)).get_json()
    hit = next(h for h in body["hits"] if h["result_id"] == "CHG-0003")
    return body["facets"]["valid"], hit["valid"]


def test_revoking_makes_valid_false_everywhere(client: FlaskClient, staff: Staff) -> None:
    token = staff.officer_token
    citizen = _citizen_token(client, 3)
    assert client.get("/api/v1/citizen/results/CHG-0003",
                      headers=bearer(citizen)).get_json()["valid"] is True
    valid_before, hit_valid = _valid_facet(client, token, "Lưu Văn Thu")
    assert hit_valid is True
    digitized_before = _coverage_row(client, staff)["digitized"]

    response = patch(client, token, "CHG-0003", version_of(client, token, "CHG-0003"),
                     {"status": "revoked"}, reason="Quyết định thu hồi số 12/QĐ-UBND")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["valid"] is False
    assert response.get_json()["validity"] == "revoked"
    valid_after, hit_valid = _valid_facet(client, token, "Lưu Văn Thu")
    assert hit_valid is False and valid_after == valid_before - 1
    view = client.get("/api/v1/citizen/results/CHG-0003", headers=bearer(citizen)).get_json()
    assert view["valid"] is False and view["validity"] == "revoked"
    listed = client.get("/api/v1/citizen/results", headers=bearer(citizen)).get_json()
    assert [r["valid"] for r in listed["results"] if r["result_id"] == "CHG-0003"] == [False]
    # Coverage counts digitised records, valid or not: a revocation does not change it.
    assert _coverage_row(client, staff)["digitized"] == digitized_before


def test_replacement_must_exist_and_is_linked_back(client: FlaskClient, staff: Staff) -> None:
    token = staff.officer_token
    version = version_of(client, token, "CHG-0003")
    response = patch(client, token, "CHG-0003", version,
                     {"status": "replaced", "replaced_by": "CHG-0002"}, reason="cấp lại")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["validity"] == "replaced"
    assert "CHG-0003" in get(client, token, "CHG-0002").get_json()["replaces"]
    back = patch(client, token, "CHG-0003", version + 1, {"status": "active"},
                 reason="thay thế nhầm")
    body = back.get_json()
    assert body["status"] == "active" and body.get("replaced_by") is None
    assert "CHG-0003" not in get(client, token, "CHG-0002").get_json()["replaces"]


def test_withdraw_hides_everywhere_and_restore_brings_back(client: FlaskClient, staff: Staff
                                                            ) -> None:
    officer, manager = staff.officer_token, staff.manager_token
    citizen = _citizen_token(client, 4)
    digitized = _coverage_row(client, staff)["digitized"]
    url = "/api/v1/results/CHG-0004"
    assert client.post(f"{url}/withdraw", json={"reason": "x"},
                       headers=bearer(officer)).status_code == 403
    assert client.post(f"{url}/withdraw", json={},
                       headers=bearer(manager)).status_code == 422
    response = client.post(f"{url}/withdraw", json={"reason": "nhập nhầm hồ sơ"},
                           headers=bearer(manager))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["withdrawn"] is True

    assert "CHG-0004" not in search_ids(client, officer, "Hà Thị Rút")
    assert client.get("/api/v1/citizen/results/CHG-0004",
                      headers=bearer(citizen)).status_code == 404
    mine = client.get("/api/v1/citizen/results", headers=bearer(citizen)).get_json()["results"]
    assert "CHG-0004" not in [r["result_id"] for r in mine]
    assert citizen_login(client, PEOPLE[4], "1980-01-01", RECORDS[3]["result_number"]
                         ).status_code == 401
    assert _coverage_row(client, staff)["digitized"] == digitized - 1
    assert get(client, officer, "CHG-0004").status_code == 200, "staff still see it"
    assert history(client, officer, "CHG-0004")[0]["source"] == "withdraw"

    again = client.post(f"{url}/withdraw", json={"reason": "lần nữa"}, headers=bearer(manager))
    assert again.status_code == 422
    restored = client.post(f"{url}/restore", json={"reason": "rút nhầm"},
                           headers=bearer(manager))
    assert restored.status_code == 200 and restored.get_json()["withdrawn"] is False
    assert "CHG-0004" in search_ids(client, officer, "Hà Thị Rút")
    assert client.get("/api/v1/citizen/results/CHG-0004",
                      headers=bearer(citizen)).status_code == 200
    assert _coverage_row(client, staff)["digitized"] == digitized
    sources = [v["source"] for v in history(client, officer, "CHG-0004")]
    assert sources[:2] == ["restore", "withdraw"]
    assert history(client, officer, "CHG-0004")[1]["changes"] == {
        "withdrawn": {"from": None, "to": True}}


def test_reingest_after_an_edit_keeps_the_edit(client: FlaskClient, staff: Staff,
                                               session_settings: Settings, es: Elasticsearch,
                                               tmp_path: Path) -> None:
    token = staff.officer_token
    version = version_of(client, token, "CHG-0005")
    assert patch(client, token, "CHG-0005", version, {"holder_name": "Mai Văn Nạp Đúng"},
                 reason="sửa tên").status_code == 200
    # The agency sends the same line again: the correction stands, the re-ingest is a version.
    result = ingest(session_settings, es, tmp_path / "same", [RECORDS[4]])
    assert result.returncode == 0, result.stdout + result.stderr
    body = get(client, token, "CHG-0005").get_json()
    assert body["holder_name"] == "Mai Văn Nạp Đúng" and body["version"] == version + 2
    versions = history(client, token, "CHG-0005")
    assert [v["source"] for v in versions[:2]] == ["ingest", "edit"]
    assert versions[1]["changes"]["holder_name"]["to"] == "Mai Văn Nạp Đúng"
    # A manifest that changes the field wins, and the history shows what it replaced.
    changed = {**RECORDS[4], "holder_name": "Mai Văn Nạp Mới"}
    result = ingest(session_settings, es, tmp_path / "changed", [changed])
    assert result.returncode == 0, result.stdout + result.stderr
    assert get(client, token, "CHG-0005").get_json()["holder_name"] == "Mai Văn Nạp Mới"
    latest = history(client, token, "CHG-0005")[0]
    assert latest["source"] == "ingest"
    assert latest["changes"]["holder_name"] == {"from": "Mai Văn Nạp Đúng",
                                                "to": "Mai Văn Nạp Mới"}
    assert len(history(client, token, "CHG-0005")) == version + 3


def test_an_earlier_version_can_be_viewed(client: FlaskClient, staff: Staff) -> None:
    token = staff.officer_token
    first = client.get("/api/v1/results/CHG-0001/history/1", headers=bearer(token))
    assert first.status_code == 200
    assert first.get_json()["record"]["holder_name"] == "Đỗ Thị Sửa Sai"
    assert client.get("/api/v1/results/CHG-0001/history/999",
                      headers=bearer(token)).status_code == 404


def _concurrently(app: Flask, count: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        client = app.test_client()
        start.wait()
        results[i] = work(client, i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_concurrent_patches_one_wins_per_version_none_lost(
        app: Flask, client: FlaskClient, staff: Staff, es: Elasticsearch,
        session_settings: Settings) -> None:
    token = staff.officer_token
    base = version_of(client, token, "CHG-0006")

    # Everyone read the same version: exactly one of them wins it.
    statuses = _concurrently(app, 20, lambda c, i: patch(
        c, token, "CHG-0006", base, {"summary": f"cùng phiên bản {i}"}).status_code)
    assert Counter(statuses) == {200: 1, 412: 19}

    # Everyone retries on 412 until their change is in: none is lost.
    def until_done(c: FlaskClient, i: int) -> int:
        for _attempt in range(200):
            seen = version_of(c, token, "CHG-0006")
            response = patch(c, token, "CHG-0006", seen, {"summary": f"người thứ {i}"})
            if response.status_code == 200:
                return response.get_json()["version"]
            assert response.status_code == 412, response.get_json()
        raise AssertionError("never got through")

    won = _concurrently(app, 20, until_done)
    assert sorted(won) == list(range(base + 2, base + 22)), "one winner per version"
    versions = HistoryStore(es, session_settings).versions("CHG-0006")
    assert [v["version"] for v in versions] == list(range(base + 21, 0, -1)), "complete"
    written = [v["changes"]["summary"]["to"] for v in versions if v["version"] > base + 1]
    assert sorted(written) == sorted(f"người thứ {i}" for i in range(20))
    for newer, older in itertools.pairwise(versions):
        if "summary" in newer["changes"] and "summary" in older["changes"]:
            assert newer["changes"]["summary"]["from"] == older["changes"]["summary"]["to"]


def test_citizens_and_anonymous_callers_change_nothing(client: FlaskClient, staff: Staff) -> None:
    citizen = _citizen_token(client, 1)
    version = version_of(client, staff.officer_token, "CHG-0001")
    for headers in ({}, bearer(citizen)):
        url = "/api/v1/results/CHG-0001"
        calls = [client.patch(url, json={"changes": {"holder_name": "X"}},
                              headers={**headers, "If-Match": str(version)}),
                 client.post(f"{url}/withdraw", json={"reason": "x"}, headers=headers),
                 client.post(f"{url}/restore", json={"reason": "x"}, headers=headers),
                 client.get(f"{url}/history", headers=headers),
                 client.get(f"{url}/history/1", headers=headers)]
        assert [c.status_code for c in calls] == [401] * 5
    assert version_of(client, staff.officer_token, "CHG-0001") == version
