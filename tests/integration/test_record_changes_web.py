"""The record page's change forms (issue 15) through the Flask client: edit form with the scan,
status actions with a required reason, the managers' withdraw/restore, the history tab, CSRF
and stale forms; and in a real headless Chromium an officer correcting a holder's name and
finding the record by the new name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from flask.testing import FlaskClient

from domain.settings import Settings
from tests.conftest import WorkerProcess
from tests.support.apps import make_app
from tests.support.browser import TIMEOUT_MS, launch, served
from tests.support.changes_records import change_record, ingest, load_register
from tests.support.security_fixtures import Staff, create_staff, set_csrf, web_login

pytestmark = pytest.mark.services

CSRF = "changes-web-csrf"
RECORDS = [change_record(21, "Trịnh Văn Web", "001080000221"),
           change_record(22, "Ông Văn Trình Duyệt", "001080000222"),
           change_record(23, "Bà Thị Thay Mới", "001080000223")]


@pytest.fixture(scope="module")
def app(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
        tmp_path_factory: pytest.TempPathFactory) -> Flask:
    load_register(session_settings, es)
    result = ingest(session_settings, es, tmp_path_factory.mktemp("changes-web"), RECORDS)
    assert result.returncode == 0, result.stdout + result.stderr
    return make_app(session_settings, SOHOA_COOKIE_SECURE=False)


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es, tag="chgweb")


def signed_in(app: Flask, name: str, password: str) -> FlaskClient:
    client = app.test_client()
    assert web_login(client, name, password).status_code == 302
    set_csrf(client, CSRF)
    return client


@pytest.fixture()
def officer(app: Flask, staff: Staff) -> FlaskClient:
    return signed_in(app, staff.officer, staff.password)


@pytest.fixture()
def manager(app: Flask, staff: Staff) -> FlaskClient:
    return signed_in(app, staff.manager, staff.password)


def current_version(client: FlaskClient, result_id: str) -> int:
    page = client.get(f"/ket-qua/{result_id}?tab=sua").get_data(as_text=True)
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the edit form carries the version it was read at"
    return int(match[1])


def stored(es: Elasticsearch, settings: Settings, result_id: str) -> dict:
    return es.get(index=settings.index_name("results"), id=result_id)["_source"]


def test_edit_tab_shows_form_with_labels_scan_and_csrf(officer: FlaskClient) -> None:
    page = officer.get("/ket-qua/CHG-0021?tab=sua").get_data(as_text=True)
    assert "Họ và tên người được cấp" in page and "Ngày ban hành" in page
    assert 'name="csrf_token"' in page and "Bản quét" in page
    assert "Mở bản gốc" in page  # a .txt original: a link to it beside the form


def test_edit_form_saves_a_version_and_history_shows_it(officer: FlaskClient,
                                                        es: Elasticsearch,
                                                        session_settings: Settings) -> None:
    version = current_version(officer, "CHG-0021")
    response = officer.post("/ket-qua/CHG-0021/sua", data={
        "csrf_token": CSRF, "version": version, "holder_name": "Trịnh Văn Sửa Web",
        "reason": "nhập sai"})
    assert response.status_code == 302 and "tab=lich-su" in response.headers["Location"]
    assert stored(es, session_settings, "CHG-0021")["holder_name"] == "Trịnh Văn Sửa Web"
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu thay đổi" in page and f"Phiên bản {version + 1}" in page
    assert "Trịnh Văn Web" in page and "Trịnh Văn Sửa Web" in page  # from → to
    old = officer.get("/ket-qua/CHG-0021?phien-ban=1").get_data(as_text=True)
    assert "Đang xem" in old and "Trịnh Văn Web" in old


def test_a_form_without_csrf_or_with_a_stale_version_changes_nothing(
        officer: FlaskClient, es: Elasticsearch, session_settings: Settings) -> None:
    before = stored(es, session_settings, "CHG-0021")
    no_token = officer.post("/ket-qua/CHG-0021/sua", data={
        "version": before["version"], "holder_name": "Giả Mạo"})
    assert no_token.status_code == 400
    stale = officer.post("/ket-qua/CHG-0021/sua", data={
        "csrf_token": CSRF, "version": before["version"] - 1, "holder_name": "Cũ Rồi"})
    assert stale.status_code == 409
    assert "người khác thay đổi" in stale.get_data(as_text=True)
    assert stored(es, session_settings, "CHG-0021") == before


def test_status_actions_need_a_reason_and_apply(officer: FlaskClient, es: Elasticsearch,
                                               session_settings: Settings) -> None:
    version = current_version(officer, "CHG-0022")
    missing = officer.post("/ket-qua/CHG-0022/tinh-trang", data={
        "csrf_token": CSRF, "version": version, "action": "thu-hoi", "reason": " "})
    assert missing.status_code == 422
    assert "Cần ghi lý do" in missing.get_data(as_text=True)
    unknown = officer.post("/ket-qua/CHG-0022/tinh-trang", data={
        "csrf_token": CSRF, "version": version, "action": "thay-the",
        "replaced_by": "KHONG-CO", "reason": "cấp lại"})
    assert unknown.status_code == 422
    assert "Không tìm thấy hồ sơ thay thế" in unknown.get_data(as_text=True)
    extend = officer.post("/ket-qua/CHG-0022/tinh-trang", data={
        "csrf_token": CSRF, "version": version, "action": "gia-han",
        "valid_until": "2031-12-31", "reason": "Quyết định gia hạn 5/QĐ"})
    assert extend.status_code == 302
    replace = officer.post("/ket-qua/CHG-0022/tinh-trang", data={
        "csrf_token": CSRF, "version": version + 1, "action": "thay-the",
        "replaced_by": "CHG-0023", "reason": "cấp đổi"})
    assert replace.status_code == 302
    record = stored(es, session_settings, "CHG-0022")
    assert (record["status"], record["replaced_by"], record["valid_until"]) == (
        "replaced", "CHG-0023", "2031-12-31")
    page = officer.get("/ket-qua/CHG-0023").get_data(as_text=True)
    assert "Thay thế cho" in page and "/ket-qua/CHG-0022" in page


def test_only_managers_withdraw_and_restore(officer: FlaskClient, manager: FlaskClient,
                                           es: Elasticsearch,
                                           session_settings: Settings) -> None:
    version = current_version(manager, "CHG-0023")
    data = {"csrf_token": CSRF, "version": version, "reason": "nhập nhầm"}
    assert "Rút khỏi kho" not in officer.get("/ket-qua/CHG-0023").get_data(as_text=True)
    assert officer.post("/ket-qua/CHG-0023/rut", data=data).status_code == 403
    assert manager.post("/ket-qua/CHG-0023/rut", data={**data, "reason": ""}
                        ).status_code == 422
    assert manager.post("/ket-qua/CHG-0023/rut", data=data).status_code == 302
    assert stored(es, session_settings, "CHG-0023")["withdrawn"] is True
    assert "đã được rút khỏi kho" in manager.get("/ket-qua/CHG-0023").get_data(as_text=True)
    restore = {**data, "version": version + 1, "reason": "rút nhầm"}
    assert manager.post("/ket-qua/CHG-0023/khoi-phuc", data=restore).status_code == 302
    assert stored(es, session_settings, "CHG-0023")["withdrawn"] is False


@pytest.fixture(scope="module")
def base_url(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_browser_officer_corrects_a_holder_name_and_finds_it(
        base_url: str, staff: Staff, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    new_name = "Ông Văn Đã Sửa Tên"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{base_url}/ket-qua/CHG-0022")
        page.fill("#username", staff.officer)
        page.fill("#password", staff.password)
        page.click("form button[type=submit]")
        page.wait_for_selector(".record-head h1")
        page.click("nav.tabs >> text=Sửa thông tin")
        page.wait_for_selector("#f-holder_name")
        assert page.input_value("#f-holder_name") == "Ông Văn Trình Duyệt"
        page.fill("#f-holder_name", new_name)
        page.fill("#f-reason", "sai tên khi nhập")
        page.screenshot(path=str(tmp_path / "edit.png"), full_page=True)
        page.click("form.edit-form button[type=submit]")
        page.wait_for_selector(".record-history")
        assert new_name in page.inner_text(".record-history")
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)

        page.goto(f"{base_url}/?q={new_name}")
        page.wait_for_selector("ol.hits li.hit")
        href = page.locator("ol.hits li.hit a.hit-title").first.get_attribute("href") or ""
        assert href.startswith("/ket-qua/CHG-0022"), href
        browser.close()
