"""Hardening: headers on every response, size limits, errors without internals, and records
carrying script payloads rendered escaped on every page that shows records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from app import extensions
from domain.settings import Settings
from tests.support.apps import bearer
from tests.support.browser import launch, served
from tests.support.security_fixtures import (
    XSS_ATTR,
    XSS_HOLDER,
    XSS_RECORDS,
    XSS_SCRIPT,
    Staff,
    clear_citizen_limits,
    create_staff,
    set_csrf,
    web_login,
)

pytestmark = pytest.mark.services
XSS_ID = XSS_RECORDS[0]["result_id"]
RAW = (XSS_SCRIPT, "<img src=x onerror=alert(1)>", XSS_ATTR)
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es)


def _citizen_web(app: Flask) -> Any:
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    client = app.test_client()
    csrf = set_csrf(client)
    response = client.post("/cong-dan", data={
        "id_number": XSS_HOLDER["id"], "birth_date": XSS_HOLDER["birth"],
        "result_number": XSS_RECORDS[0]["result_number"], "csrf_token": csrf})
    assert response.status_code == 302
    return client


def test_security_headers_on_every_kind_of_response(app: Flask) -> None:
    client = app.test_client()
    responses = [client.get(path) for path in (
        "/healthz", "/dang-nhap", "/cong-dan", "/static/sohoa.css", "/no-such-page",
        "/api/v1/no-such", "/api/v1/search", "/nhat-ky")]
    for response in responses:
        headers = response.headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    assert responses[1].headers["Cache-Control"] == "no-store"


def test_errors_never_show_internals(app: Flask) -> None:
    client = app.test_client()
    api_404 = client.get("/api/v1/no-such")
    assert api_404.status_code == 404 and api_404.is_json
    assert api_404.get_json()["status"] == 404
    page_404 = client.get("/no-such-page")
    assert page_404.status_code == 404 and "Không tìm thấy" in page_404.get_data(as_text=True)
    wrong_method = client.delete("/api/v1/citizen/session")
    assert wrong_method.status_code == 405 and wrong_method.is_json
    for response in (api_404, page_404, wrong_method):
        assert "Traceback" not in response.get_data(as_text=True)


def test_request_size_limits(app: Flask) -> None:
    client = app.test_client()
    big_json = client.post("/api/v1/citizen/session", data="{" + " " * 200_000 + "}",
                           content_type="application/json")
    assert big_json.status_code == 413 and big_json.is_json
    big_form = client.post("/dang-nhap", data={"username": "x" * 200_000})
    assert big_form.status_code == 413
    long_query = client.get("/cong-dan?q=" + "a" * 5000)
    assert long_query.status_code == 414


def _pages_showing_records(app: Flask, staff: Staff) -> dict[str, str]:
    officer = app.test_client()
    assert web_login(officer, staff.officer, staff.password).status_code == 302
    manager = app.test_client()
    assert web_login(manager, staff.manager, staff.password).status_code == 302
    citizen = _citizen_web(app)
    pages = {
        "officer search": officer.get("/?q=alert"),
        "officer record": officer.get(f"/ket-qua/{XSS_ID}"),
        "citizen list": citizen.get("/cong-dan/ho-so"),
        "citizen record": citizen.get(f"/cong-dan/ho-so/{XSS_ID}"),
        "manager audit log": manager.get(f"/nhat-ky?result_id={XSS_ID}"),
        "manager quality list": manager.get("/bao-cao/so-hoa/chat-luong"),
        "staff login form": app.test_client().get("/dang-nhap?next=" + XSS_ATTR),
        "citizen form": app.test_client().post("/cong-dan", data={
            "id_number": XSS_ATTR, "birth_date": XSS_SCRIPT, "result_number": XSS_ATTR,
            "csrf_token": "x"}),
    }
    # The audit log page shows queries too: search for the payload itself, then render it.
    officer.get("/?q=" + XSS_SCRIPT)
    pages["manager audit (queries)"] = manager.get(
        f"/nhat-ky?user={staff.officer}&action=search")
    return {name: response.get_data(as_text=True) for name, response in pages.items()
            if response.status_code in (200, 400, 401)}


def test_payloads_in_records_are_always_escaped(app: Flask, staff: Staff,
                                                es: Elasticsearch,
                                                session_settings: Settings) -> None:
    es.indices.refresh(index=session_settings.index_name("audit"))
    pages = _pages_showing_records(app, staff)
    assert {"officer search", "officer record", "citizen list", "citizen record",
            "manager audit log"} <= set(pages), sorted(pages)
    for name, html in pages.items():
        for raw in RAW:
            assert raw not in html, f"{name}: raw payload {raw!r} in the page"
    for name in ("officer record", "citizen record", "citizen list"):
        assert ESCAPED in pages[name], f"{name}: the record's text was not rendered at all"
    print(f"pages checked for raw payloads: {len(pages)}: {', '.join(sorted(pages))}")


def test_record_json_carries_payload_as_data_only(app: Flask, staff: Staff) -> None:
    response = app.test_client().get(f"/api/v1/results/{XSS_ID}",
                                     headers=bearer(staff.officer_token))
    assert response.is_json and response.mimetype == "application/json"
    assert XSS_SCRIPT in response.get_json()["summary"]  # stored as given, served as JSON


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_no_script_runs_in_a_real_browser(live_server: str, staff: Staff, app: Flask) -> None:
    from playwright.sync_api import sync_playwright

    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 375, "height": 740})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{live_server}/cong-dan")
        assert page.evaluate("document.documentElement.scrollWidth") <= 376  # fits a phone
        page.fill("#id_number", XSS_HOLDER["id"])
        page.fill("#birth_date", XSS_HOLDER["birth"])
        page.fill("#result_number", XSS_RECORDS[0]["result_number"])
        page.click("button[type=submit]")
        page.wait_for_url("**/cong-dan/ho-so")
        page.click(f"a[href$='/cong-dan/ho-so/{XSS_ID}']")
        page.wait_for_load_state()
        assert "Trần" in page.content()
        page.goto(f"{live_server}/dang-nhap?next=/ket-qua/{XSS_ID}")
        page.fill("#username", staff.officer)
        page.fill("#password", staff.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/ket-qua/{XSS_ID}")
        page.goto(f"{live_server}/?q=alert")
        page.wait_for_load_state()
        browser.close()
    assert dialogs == []
