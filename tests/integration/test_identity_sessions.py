"""Issue 16, items 1, 2 and 8 against the real services: a co-party never becomes the holder,
sessions end when they end, lockouts hold under parallel guesses, no Host header reflected.

Records of our own (born-digital .txt, no OCR wait): a marriage certificate naming a wife
(holder) and a husband (other party) whose text prints both ID numbers and birth dates, as real
ones do, and one record of each spouse alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from flask.testing import FlaskClient

from app import extensions
from app.auth.ratelimit import FailureLimiter, Limit
from app.auth.sessions import SessionStore, session_id_of
from app.citizen.identity import CitizenIdentity, IdentityClaim
from domain.settings import Settings
from tests.conftest import REPO, WorkerProcess, run_cli, settings_env
from tests.support.apps import bearer, make_app
from tests.support.security_fixtures import (
    citizen_login,
    clear_citizen_limits,
    create_staff,
    ingest_records,
    set_csrf,
    web_login,
)

pytestmark = pytest.mark.services

WIFE = {"id": "001186000444", "birth": "1986-04-04", "dmy": "04/04/1986"}
HUSBAND = {"id": "001084000555", "birth": "1984-05-05", "dmy": "05/05/1984"}
MARRIAGE = {
    "result_id": "IDT-KH-0001", "result_number": "31/2023/GCNKH-IDT",
    "document_type": "Giấy chứng nhận kết hôn", "agency_code": "H26.IDT",
    "agency_name": "UBND phường Thử Danh", "agency_level": "commune", "issued_on": "2023-03-03",
    "holder_name": "Đỗ Thị Vợ", "holder_id_number": WIFE["id"], "holder_birth_date": WIFE["birth"],
    "holder_address": "Số 9 ngõ Bí Mật", "valid_from": "2023-03-03", "valid_until": None,
    "status": "active",
    "other_parties": [{"name": "Lý Văn Chồng", "id_number": HUSBAND["id"],
                       "birth_date": HUSBAND["birth"]}],
    "files": ["files/idt-kh-0001.txt"],
    "_text": ("GIẤY CHỨNG NHẬN KẾT HÔN\nSố: 31/2023/GCNKH-IDT\n"
              f"Họ, chữ đệm, tên chồng: LÝ VĂN CHỒNG\nNgày, tháng, năm sinh: {HUSBAND['dmy']}\n"
              f"Giấy tờ tùy thân: {HUSBAND['id']}\n"
              f"Họ, chữ đệm, tên vợ: ĐỖ THỊ VỢ\nNgày, tháng, năm sinh: {WIFE['dmy']}\n"
              f"Giấy tờ tùy thân: {WIFE['id'][:3]} {WIFE['id'][3:6]} {WIFE['id'][6:]}\n"
              "Ngày đăng ký: 03/03/2023\n"),
}
WIFE_ALONE = {
    "result_id": "IDT-XD-0002", "result_number": "77/2024/GPXD-IDT", "document_type": "Giấy phép",
    "agency_code": "H26.IDT", "agency_name": "UBND phường Thử Danh", "agency_level": "commune",
    "issued_on": "2024-04-04", "holder_name": "Đỗ Thị Vợ", "holder_id_number": WIFE["id"],
    "holder_birth_date": WIFE["birth"], "valid_from": "2024-04-04", "valid_until": None,
    "status": "active", "files": ["files/idt-xd-0002.txt"],
    "_text": "GIẤY PHÉP XÂY DỰNG số 77/2024/GPXD-IDT cấp cho bà Đỗ Thị Vợ.\n",
}
HUSBAND_ALONE = {
    **WIFE_ALONE, "result_id": "IDT-XD-0003", "result_number": "78/2024/GPXD-IDT",
    "holder_name": "Lý Văn Chồng", "holder_id_number": HUSBAND["id"],
    "holder_birth_date": HUSBAND["birth"], "files": ["files/idt-xd-0003.txt"],
    "_text": "GIẤY PHÉP XÂY DỰNG số 78/2024/GPXD-IDT cấp cho ông Lý Văn Chồng.\n",
}
RECORDS = [MARRIAGE, WIFE_ALONE, HUSBAND_ALONE]


@pytest.fixture(scope="module")
def app(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
        tmp_path_factory: pytest.TempPathFactory) -> Flask:
    result = ingest_records(session_settings, es, tmp_path_factory.mktemp("identity"), RECORDS)
    assert result.returncode == 0, result.stdout + result.stderr
    return make_app(session_settings)


@pytest.fixture(autouse=True)
def clean_limits(app: Flask) -> Iterator[None]:
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    yield


def _token(client: FlaskClient, person: dict[str, str], record: dict[str, Any]) -> str:
    response = citizen_login(client, person["id"], person["birth"], record["result_number"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _listed(client: FlaskClient, token: str) -> set[str]:
    body = client.get("/api/v1/citizen/results", headers=bearer(token)).get_json()
    return {item["result_id"] for item in body["results"]}


def _secrets(person: dict[str, str]) -> tuple[str, ...]:
    return (person["id"], person["id"][6:], person["birth"], person["dmy"])


def test_no_citizen_view_shows_another_persons_id_number_or_birth_date(app: Flask) -> None:
    client = app.test_client()
    husband = _token(client, HUSBAND, HUSBAND_ALONE)
    wife = _token(client, WIFE, WIFE_ALONE)
    for token, other in ((husband, WIFE), (wife, HUSBAND)):
        view = client.get(f"/api/v1/citizen/results/{MARRIAGE['result_id']}",
                          headers=bearer(token))
        listing = client.get("/api/v1/citizen/results", headers=bearer(token))
        assert view.status_code == 200
        for body in (view.get_data(as_text=True), listing.get_data(as_text=True)):
            for secret in _secrets(other):
                assert secret not in body, (other["id"][:4], secret)
        assert "31/2023/GCNKH-IDT" in view.get_data(as_text=True)
    assert "Bí Mật" not in client.get(f"/api/v1/citizen/results/{MARRIAGE['result_id']}",
                                      headers=bearer(husband)).get_data(as_text=True)
    # The page shows the same as the JSON.
    set_csrf(client)
    with client.session_transaction() as session:
        csrf = session["_csrf"]
    assert client.post("/cong-dan", data={"id_number": HUSBAND["id"],
                                          "birth_date": HUSBAND["dmy"],
                                          "result_number": HUSBAND_ALONE["result_number"],
                                          "csrf_token": csrf}).status_code == 302
    page = client.get(f"/cong-dan/ho-so/{MARRIAGE['result_id']}").get_data(as_text=True)
    assert "Lý Văn Chồng" in page and all(s not in page for s in _secrets(WIFE))


def test_a_co_party_signing_in_as_the_holder_gets_nothing_they_could_not_see(app: Flask
                                                                             ) -> None:
    # The husband holds the marriage certificate: its paper prints the wife's ID number and
    # birth date. With them and its number he signs in "as the wife"...
    client = app.test_client()
    response = citizen_login(client, WIFE["id"], WIFE["birth"], MARRIAGE["result_number"])
    if response.status_code == 200:
        token = response.get_json()["token"]
        # ...and sees only what names him too: never her own records.
        assert _listed(client, token) == {MARRIAGE["result_id"]}
        alone = client.get(f"/api/v1/citizen/results/{WIFE_ALONE['result_id']}",
                           headers=bearer(token))
        assert alone.status_code == 404
        assert client.get(f"/api/v1/citizen/results/{WIFE_ALONE['result_id']}/files/0",
                          headers=bearer(token)).status_code == 404
        assert response.get_json()["scope"] == "shared"
    else:
        assert response.status_code == 401
    # The same on the pages, which say why the list is short.
    web = app.test_client()
    csrf = set_csrf(web)
    signed_in = web.post("/cong-dan", data={"id_number": WIFE["id"], "birth_date": WIFE["dmy"],
                                            "result_number": MARRIAGE["result_number"],
                                            "csrf_token": csrf})
    if signed_in.status_code == 302:
        page = web.get("/cong-dan/ho-so").get_data(as_text=True)
        assert MARRIAGE["result_number"] in page and WIFE_ALONE["result_number"] not in page
        assert "chỉ thấy các kết quả" in page
        assert web.get(f"/cong-dan/ho-so/{WIFE_ALONE['result_id']}").status_code == 404
    # The wife proving herself with a record only she holds sees all of hers.
    own = citizen_login(client, WIFE["id"], WIFE["birth"], WIFE_ALONE["result_number"])
    assert own.get_json()["scope"] == "all"
    assert _listed(client, own.get_json()["token"]) == {MARRIAGE["result_id"],
                                                        WIFE_ALONE["result_id"]}


def test_visitors_write_nothing_to_redis(app: Flask, session_settings: Settings) -> None:
    redis_client = app.extensions["sohoa.redis"]
    pattern = f"{session_settings.index_prefix}:session:*"
    before = len(list(redis_client.scan_iter(pattern)))
    for _ in range(5):
        client = app.test_client()
        for page in ("/cong-dan", "/dang-nhap"):
            assert client.get(page).status_code == 200
        assert not session_id_of(_cookie(client))  # a signed cookie, not a server session
    assert len(list(redis_client.scan_iter(pattern))) == before


def test_citizen_token_ends_with_logout(app: Flask) -> None:
    client = app.test_client()
    token = _token(client, WIFE, WIFE_ALONE)
    assert client.get("/api/v1/citizen/results", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/citizen/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/citizen/results", headers=bearer(token)).status_code == 401
    assert client.post("/api/v1/citizen/logout", headers=bearer(token)).status_code == 401


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("sohoa_session")
    assert cookie is not None
    return cookie.value


def test_citizen_web_session_ends_with_logout_even_for_a_copied_cookie(app: Flask) -> None:
    client = app.test_client()
    csrf = set_csrf(client)
    assert client.post("/cong-dan", data={
        "id_number": WIFE["id"], "birth_date": WIFE["birth"],
        "result_number": WIFE_ALONE["result_number"], "csrf_token": csrf}).status_code == 302
    copied = _cookie(client)
    assert client.get("/cong-dan/ho-so").status_code == 200
    assert client.post("/cong-dan/thoat", data={"csrf_token": csrf}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("sohoa_session", copied)
    assert thief.get("/cong-dan/ho-so").status_code == 302


def test_staff_session_ends_with_logout_even_for_a_copied_cookie(
        app: Flask, session_settings: Settings, es: Elasticsearch) -> None:
    staff = create_staff(session_settings, es, tag="sess")
    client = app.test_client()
    assert web_login(client, staff.officer, staff.password).status_code == 302
    copied = _cookie(client)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        csrf = session.get("_csrf") or ""
    if not csrf:
        csrf = set_csrf(client)
    assert client.post("/dang-xuat", data={"csrf_token": csrf}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("sohoa_session", copied)
    assert thief.get("/").status_code == 302
    with app.app_context():
        assert SessionStore(extensions.redis_client(),
                            session_settings.index_prefix).load(session_id_of(copied)) is None


def test_disable_and_password_change_delete_the_sessions_in_redis(
        app: Flask, session_settings: Settings, es: Elasticsearch) -> None:
    staff = create_staff(session_settings, es, tag="revoke")
    store_of = SessionStore(app.extensions["sohoa.redis"], session_settings.index_prefix)
    sessions = []
    for _ in range(2):
        client = app.test_client()
        assert web_login(client, staff.manager, staff.password).status_code == 302
        sessions.append(session_id_of(_cookie(client)))
    assert all(sid and store_of.load(sid) is not None for sid in sessions)
    changed = subprocess_input(session_settings, "Mật-khẩu-khác-" + "9" * 6, "users",
                               "set-password", staff.manager, "--password-stdin")
    assert changed.returncode == 0, changed.stderr
    assert all(store_of.load(sid) is None for sid in sessions)
    client = app.test_client()
    assert web_login(client, staff.officer, staff.password).status_code == 302
    sid = session_id_of(_cookie(client))
    assert store_of.load(sid) is not None
    disabled = run_cli(session_settings, "users", "disable", staff.officer)
    assert disabled.returncode == 0, disabled.stderr
    assert store_of.load(sid) is None


def subprocess_input(settings: Settings, text: str, *args: str) -> Any:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, input=text + "\n",
                          env=settings_env(settings), capture_output=True, text=True,
                          timeout=120, check=False)


class SlowWrongProvider:
    """Counts the guesses that reach the identity check; each takes a while and fails."""

    name = "slow-wrong"

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def verify(self, claim: IdentityClaim) -> CitizenIdentity | None:
        with self.lock:
            self.calls += 1
        time.sleep(0.3)
        return None


def test_sixteen_parallel_guesses_never_pass_the_limit(session_settings: Settings,
                                                       app: Flask) -> None:
    provider = SlowWrongProvider()
    parallel = make_app(session_settings, CITIZEN_IDENTITY_PROVIDER=lambda _app: provider)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def guess(i: int) -> None:
        client = parallel.test_client()
        barrier.wait()
        response = citizen_login(client, WIFE["id"], f"1986-01-{i + 1:02d}",
                                 WIFE_ALONE["result_number"], REMOTE_ADDR=f"10.16.0.{i}")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    print(f"16 parallel guesses: {provider.calls} reached the check, statuses {sorted(statuses)}")
    assert len(statuses) == 16 and set(statuses) <= {401, 429}
    assert provider.calls <= 5
    # ...and the lock is set: the right answer now gets 429 too.
    right = citizen_login(app.test_client(), WIFE["id"], WIFE["birth"],
                          WIFE_ALONE["result_number"], REMOTE_ADDR="10.16.1.1")
    assert right.status_code == 429


def test_failure_limiter_is_atomic_under_contention(app: Flask) -> None:
    with app.app_context():
        limiter = FailureLimiter(extensions.redis_client(), extensions.settings().index_prefix,
                                 "atomic-test", {"id": Limit("id", 5, 60, 60)})
        subjects = {"id": f"subject-{time.time_ns()}"}
        granted: list[int] = []
        barrier = threading.Barrier(16)

        def attempt() -> None:
            barrier.wait()
            if limiter.acquire(subjects) == 0:
                granted.append(1)
                time.sleep(0.1)
                limiter.record_failure(subjects)

        threads = [threading.Thread(target=attempt) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(granted) == 5
        assert limiter.retry_after(subjects) > 0
        limiter.clear(subjects)


def test_slash_merge_redirect_does_not_reflect_the_host_header(app: Flask) -> None:
    client = app.test_client()
    for path in ("/cong-dan//ho-so", "/api/v1//citizen/results", "/cong-dan/ho-so//x"):
        response = client.get(path, headers={"Host": "evil.example"})
        location = response.headers.get("Location", "")
        assert "evil.example" not in location, (path, location)
        assert not location.startswith("//")
    assert json.dumps(dict(client.get("/cong-dan//ho-so", headers={
        "Host": "evil.example", "X-Forwarded-Host": "evil.example"}).headers)).count("evil") == 0
