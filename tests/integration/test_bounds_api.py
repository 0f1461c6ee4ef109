"""Issue 16 (part B) against the real services: bounded work, no 500s, checks at intake,
personal files never cached, failed sign-ins audited in bounded number, and gunicorn answering
over-limit requests with the API's JSON problem.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from elasticsearch import Elasticsearch
from flask import Flask
from flask.testing import FlaskClient

from app import extensions
from domain.settings import Settings
from tests.conftest import REPO, settings_env
from tests.support.apps import bearer
from tests.support.paths import BAD, SAMPLE
from tests.support.pdfs import text_pdf
from tests.support.security_fixtures import (
    XSS_HOLDER,
    XSS_RECORDS,
    Staff,
    citizen_login,
    clear_citizen_limits,
    create_staff,
    set_csrf,
    web_login,
)

pytestmark = pytest.mark.services

XSS_ID = XSS_RECORDS[0]["result_id"]
STREAMED = {"wsgi.input_terminated": True}  # what gunicorn sets for a chunked body


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es, tag="bounds")


@pytest.fixture(scope="module")
def manager_web(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    assert web_login(client, staff.manager, staff.password).status_code == 302
    return client


def _metadata(result_id: str, **fields: Any) -> str:
    return json.dumps({"result_id": result_id, "agency_code": "H26.BOUNDS",
                       "agency_name": "UBND thử", "agency_level": "commune",
                       "issued_on": "2024-03-04", "document_type": "Giấy phép", **fields})


def _ingest(client: FlaskClient, staff: Staff, metadata: str,
            files: list[tuple[bytes, str]]) -> Any:
    data: dict[str, Any] = {"metadata": metadata,
                            "files": [(io.BytesIO(body), name) for body, name in files]}
    return client.post("/api/v1/ingest", data=data, headers=bearer(staff.officer_token),
                       content_type="multipart/form-data")


def _stored_originals(settings: Settings) -> set[Path]:
    return set(settings.originals_dir.rglob("*")) if settings.originals_dir.exists() else set()


def _job_count(es: Elasticsearch, settings: Settings) -> int:
    es.indices.refresh(index=settings.index_name("jobs"))
    return es.count(index=settings.index_name("jobs"))["count"]


def _wait_done(client: FlaskClient, staff: Staff, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(staff.officer_token)).get_json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not finished in {timeout}s")


# --- item 3: bodies, query strings ---------------------------------------------------------

def test_streamed_bodies_are_bounded_like_others(app: Flask) -> None:
    client = app.test_client()
    for size in (2 * 2**20, 70_000):
        body = b'{"id_number": "' + b"1" * size + b'"}'
        response = client.post("/api/v1/citizen/session", input_stream=io.BytesIO(body),
                               headers={"Transfer-Encoding": "chunked",
                                        "Content-Type": "application/json"},
                               environ_overrides=STREAMED)
        assert response.status_code == 413 and response.get_json()["status"] == 413
    form = client.post("/dang-nhap", input_stream=io.BytesIO(b"username=" + b"x" * 100_000),
                       headers={"Transfer-Encoding": "chunked",
                                "Content-Type": "application/x-www-form-urlencoded"},
                       environ_overrides=STREAMED)
    assert form.status_code == 413
    small = client.post("/api/v1/citizen/session", input_stream=io.BytesIO(b'{"id_number": 1}'),
                        headers={"Transfer-Encoding": "chunked",
                                 "Content-Type": "application/json"},
                        environ_overrides=STREAMED)
    assert small.status_code in (401, 429)  # read and judged, not refused for its size


def test_long_query_string_is_the_api_json_414(app: Flask, staff: Staff) -> None:
    response = app.test_client().get("/api/v1/search?q=" + "a" * 5000,
                                     headers=bearer(staff.officer_token))
    assert response.status_code == 414 and response.get_json()["status"] == 414


# --- item 4: no 500s ------------------------------------------------------------------------

def test_deeply_nested_json_is_refused_not_a_crash(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    for body in ("[" * 2000, '{"id_number":' * 2000):
        response = client.post("/api/v1/citizen/session", data=body,
                               content_type="application/json")
        assert 400 <= response.status_code < 500 and response.is_json
    refused = _ingest(client, staff, "[" * 2000, [(b"text", "a.txt")])
    assert refused.status_code == 400 and "nested" in refused.get_json()["error"]


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_coverage_at_the_calendars_edges(app: Flask, staff: Staff, manager_web: FlaskClient,
                                         as_of: str) -> None:
    api = app.test_client()
    manager = bearer(staff.manager_token)
    assert api.get(f"/api/v1/coverage?as_of={as_of}", headers=manager).status_code == 200
    for page in ("/bao-cao/so-hoa", "/bao-cao/so-hoa/in"):
        assert manager_web.get(f"{page}?as_of={as_of}").status_code == 200, page


def test_coverage_series_at_the_calendars_edges(app: Flask, staff: Staff) -> None:
    api = app.test_client()
    manager = bearer(staff.manager_token)
    late = api.get("/api/v1/coverage/series?from=9900-01&to=9999-12", headers=manager)
    assert late.status_code == 200
    assert late.get_json()["points"][-1]["month"] == "9999-12"
    early = api.get("/api/v1/coverage/series?from=0001-01&to=0001-03", headers=manager)
    assert [p["month"] for p in early.get_json()["points"]] == ["0001-01", "0001-02", "0001-03"]
    assert api.get("/api/v1/coverage/series?from=0000-01", headers=manager).status_code == 400


# --- item 5: checks at intake ------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "fragment"), [
    ({"holder_id_number": {"$ne": None}}, "must be a string"),
    ({"holder_id_number": ["001082489830"]}, "must be a string"),
    ({"holder_id_number": "12345"}, "12 digits"),
    ({"result_id": "a/b"}, "result_id"),
    ({"result_id": "..x"}, "result_id"),
])
def test_wrong_types_are_refused_and_nothing_is_stored(app: Flask, staff: Staff,
                                                       es: Elasticsearch,
                                                       session_settings: Settings,
                                                       fields: dict, fragment: str) -> None:
    before, jobs = _stored_originals(session_settings), _job_count(es, session_settings)
    response = _ingest(app.test_client(), staff,
                       _metadata(fields.pop("result_id", "BOUNDS-types"), **fields),
                       [("Giấy phép số 1".encode(), "a.txt")])
    assert response.status_code == 400 and fragment in response.get_json()["error"]
    assert _stored_originals(session_settings) == before
    assert _job_count(es, session_settings) == jobs


@pytest.mark.parametrize(("name", "code"), [
    ("empty.pdf", "empty-file"), ("encrypted.pdf", "encrypted-pdf"),
    ("html-named.pdf", "content-mismatch"), ("bomb.png", "decompression-bomb"),
    ("truncated.png", "truncated-image"),
])
def test_bad_files_are_refused_at_intake(app: Flask, staff: Staff, es: Elasticsearch,
                                         session_settings: Settings, name: str,
                                         code: str) -> None:
    before, jobs = _stored_originals(session_settings), _job_count(es, session_settings)
    good = (SAMPLE / "files").glob("*.png").__next__()
    response = _ingest(app.test_client(), staff, _metadata(f"BOUNDS-{code}"),
                       [(good.read_bytes(), good.name), ((BAD / "files" / name).read_bytes(),
                                                         name)])
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and name in body["error"]
    assert _stored_originals(session_settings) == before  # not even the good file
    assert _job_count(es, session_settings) == jobs


def test_two_files_with_one_name_are_both_kept(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    response = _ingest(client, staff, _metadata("BOUNDS-same-name"),
                       [("Trang một".encode(), "scan.txt"), (b"Trang hai", "scan.txt")])
    assert response.status_code == 202, response.get_data(as_text=True)
    job = _wait_done(client, staff, response.get_json()["job_id"])
    assert job["state"] == "done", job
    record = client.get("/api/v1/results/BOUNDS-same-name",
                        headers=bearer(staff.officer_token)).get_json()
    assert [f["name"] for f in record["files"]] == ["scan.txt", "scan-2.txt"]
    assert "Trang một" in record["text"] and "Trang hai" in record["text"]


def test_an_agency_without_a_name_does_not_break_the_search_page(app: Flask,
                                                                  staff: Staff) -> None:
    # Found by the property run: an ingested record naming no agency_name made the officers'
    # search page fail while sorting its agency list by name.
    client = app.test_client()
    metadata = json.loads(_metadata("BOUNDS-no-agency-name"))
    del metadata["agency_name"]
    metadata["agency_code"] = "H26.NONAME"
    response = _ingest(client, staff, json.dumps(metadata), [(b"Giay phep", "a.txt")])
    assert _wait_done(client, staff, response.get_json()["job_id"])["state"] == "done"
    extensions_es = app.extensions["sohoa.es"]
    extensions_es.indices.refresh(index=app.config["SOHOA_SETTINGS"].index_name("results"))
    officer = app.test_client()
    assert web_login(officer, staff.officer, staff.password).status_code == 302
    page = officer.get("/")
    assert page.status_code == 200 and "H26.NONAME" in page.get_data(as_text=True)


def test_result_ids_outside_the_set_are_never_looked_up(app: Flask, staff: Staff) -> None:
    client = app.test_client()
    for result_id in ("..", "a..b", "x" * 200):
        response = client.get(f"/api/v1/results/{result_id}",
                              headers=bearer(staff.officer_token))
        assert response.status_code == 404 and response.is_json


# --- item 6: personal files never cached ------------------------------------------------------

def _assert_not_cacheable(response: Any, where: str) -> None:
    assert response.status_code == 200, where
    assert response.headers["Cache-Control"] == "no-store", where
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers, where


@pytest.fixture(scope="module")
def pdf_record(app: Flask, staff: Staff, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A record with a page to preview: a born-digital PDF (text layer, no OCR wait)."""
    folder = tmp_path_factory.mktemp("pdf-record")
    pdf = text_pdf(folder / "giay-phep.pdf", 595, 842, "Giay phep so 9")
    client = app.test_client()
    response = _ingest(client, staff, _metadata(
        "BOUNDS-pdf", holder_id_number=XSS_HOLDER["id"], holder_name="Nguyễn Thử"),
        [(pdf.read_bytes(), pdf.name)])
    assert response.status_code == 202, response.get_data(as_text=True)
    assert _wait_done(client, staff, response.get_json()["job_id"])["state"] == "done"
    return "BOUNDS-pdf"


def test_every_personal_file_is_no_store(app: Flask, staff: Staff, pdf_record: str) -> None:
    officer_api = app.test_client()
    officer_web = app.test_client()
    assert web_login(officer_web, staff.officer, staff.password).status_code == 302
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    signed_in = citizen_login(app.test_client(), XSS_HOLDER["id"], XSS_HOLDER["birth"],
                              XSS_RECORDS[0]["result_number"])
    citizen = bearer(signed_in.get_json()["token"])
    revalidate = {"If-None-Match": "*", "If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}
    answers = {
        "staff API file": officer_api.get(f"/api/v1/results/{XSS_ID}/files/0",
                                          headers={**bearer(staff.officer_token),
                                                   **revalidate}),
        "citizen API file": officer_api.get(f"/api/v1/citizen/results/{XSS_ID}/files/0",
                                            headers={**citizen, **revalidate}),
        "web download": officer_web.get(f"/ket-qua/{pdf_record}/tep/1", headers=revalidate),
        "web inline": officer_web.get(f"/ket-qua/{pdf_record}/tep/1?xem=1"),
        "web preview": officer_web.get(f"/ket-qua/{pdf_record}/trang/1.png?w=240",
                                       headers=revalidate),
        "web preview again": officer_web.get(f"/ket-qua/{pdf_record}/trang/1.png?w=240"),
    }
    for where, response in answers.items():
        _assert_not_cacheable(response, where)


# --- item 3: failed sign-ins audited in bounded number ---------------------------------------

def _events(es: Elasticsearch, settings: Settings, **term: str) -> list[dict]:
    es.indices.refresh(index=settings.index_name("audit"))
    response = es.search(index=settings.index_name("audit"), size=500, query={"bool": {
        "filter": [{"term": {k: v}} for k, v in term.items()]}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_failed_sign_ins_write_a_bounded_trace(app: Flask, es: Elasticsearch,
                                               session_settings: Settings) -> None:
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    client, staff_web = app.test_client(), app.test_client()
    token = set_csrf(staff_web)
    for n in range(40):
        citizen_login(client, f"0010990{n:05d}", "1999-01-01", "1/2024", REMOTE_ADDR="10.9.9.9")
        signed_out = staff_web.post("/dang-nhap", data={
            "username": f"ghost{n}", "password": "x", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert signed_out.status_code in (401, 429)
    citizen = _events(es, session_settings, client_ip="10.9.9.9", action="citizen.login")
    # 40 tries: failures until the address is locked (20), then locked refusals; each kind is
    # recorded at its 1st, 2nd, 4th, 8th, 16th occurrence.
    assert 2 <= len(citizen) <= 12, len(citizen)
    assert max(e["details"].get("attempts", 0) for e in citizen) >= 16
    assert {e["outcome"] for e in citizen} <= {"failure", "locked"}
    staff_events = _events(es, session_settings, client_ip="10.9.9.9", action="staff.login")
    assert 2 <= len(staff_events) <= 12, len(staff_events)


# --- gunicorn, as `sohoa serve` runs it -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(session_settings: Settings) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO, env={**settings_env(session_settings), "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_gunicorn_answers_long_lines_with_the_json_problem(served: str) -> None:
    for length in (5000, 9000, 50_000):
        response = requests.get(f"{served}/api/v1/search?q={'a' * length}", timeout=10)
        assert response.status_code == 414, length
        assert response.json()["status"] == 414
    big_header = requests.get(f"{served}/healthz", headers={"X-Big": "a" * 9000}, timeout=10)
    assert big_header.status_code == 431 and big_header.json()["status"] == 431


def test_gunicorn_bounds_chunked_bodies(served: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id_number": "'
        for _ in range(500):  # 2 MB, streamed without a Content-Length
            yield b"1" * 4096
        yield b'"}'

    response = requests.post(f"{served}/api/v1/citizen/session", data=chunks(),
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413 and response.json()["status"] == 413
