"""Every route × every kind of caller, built by walking `app.url_map`.

A route missing from EXPECTATIONS fails the test (so a new route cannot ship without a guard
decision), and so does an expectation naming a route that no longer exists. Callers: anonymous;
an officer and a manager (web session cookie + Bearer token); a citizen (citizen web session +
citizen token); and an officer holding only the web session cookie, who must look anonymous to
the JSON API (the API never authenticates by cookie).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from domain.settings import Settings
from tests.conftest import WorkerProcess
from tests.support.apps import bearer, make_app
from tests.support.security_fixtures import (
    XSS_HOLDER,
    XSS_RECORDS,
    Staff,
    create_staff,
    ingest_small_records,
    set_csrf,
    web_login,
)

pytestmark = pytest.mark.services

ALLOW = "allow"            # passed the guard: any status but 401/403/429/5xx or a login redirect
LOGIN = "login"            # 302 to the staff sign-in page
CITIZEN_LOGIN = "citizen"  # 302 to the citizens' start page
CALLERS = ("anonymous", "officer", "manager", "citizen")

PUBLIC = dict.fromkeys(CALLERS, ALLOW)
STAFF_API = {"anonymous": 401, "officer": ALLOW, "manager": ALLOW, "citizen": 401}
MANAGER_API = {"anonymous": 401, "officer": 403, "manager": ALLOW, "citizen": 401}
CITIZEN_API = {"anonymous": 401, "officer": 401, "manager": 401, "citizen": ALLOW}
STAFF_WEB = {"anonymous": LOGIN, "officer": ALLOW, "manager": ALLOW, "citizen": LOGIN}
MANAGER_WEB = {"anonymous": LOGIN, "officer": 403, "manager": ALLOW, "citizen": LOGIN}
CITIZEN_WEB = {"anonymous": CITIZEN_LOGIN, "officer": CITIZEN_LOGIN, "manager": CITIZEN_LOGIN,
               "citizen": ALLOW}

EXPECTATIONS: dict[tuple[str, str], dict[str, Any]] = {
    # infrastructure and sign-in
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/dang-nhap"): PUBLIC,
    ("POST", "/dang-nhap"): PUBLIC,
    ("GET", "/dang-xuat"): PUBLIC,
    ("POST", "/dang-xuat"): dict.fromkeys(CALLERS, LOGIN),  # signing out ends on the sign-in page
    # staff JSON API
    ("GET", "/api/v1/search"): STAFF_API,
    ("GET", "/api/v1/suggest"): STAFF_API,
    ("GET", "/api/v1/results/<path:result_id>"): STAFF_API,
    ("GET", "/api/v1/results/<path:result_id>/files/<int:n>"): STAFF_API,
    ("PATCH", "/api/v1/results/<path:result_id>"): STAFF_API,
    ("GET", "/api/v1/results/<path:result_id>/history"): STAFF_API,
    ("GET", "/api/v1/results/<path:result_id>/history/<int:version>"): STAFF_API,
    ("POST", "/api/v1/results/<path:result_id>/withdraw"): MANAGER_API,
    ("POST", "/api/v1/results/<path:result_id>/restore"): MANAGER_API,
    ("POST", "/api/v1/ingest"): STAFF_API,
    ("GET", "/api/v1/jobs/<job_id>"): STAFF_API,
    ("GET", "/api/v1/review"): STAFF_API,
    ("POST", "/api/v1/results/<path:result_id>/review"): STAFF_API,
    ("GET", "/api/v1/coverage"): MANAGER_API,
    ("GET", "/api/v1/coverage/series"): MANAGER_API,
    ("GET", "/api/v1/coverage/export"): MANAGER_API,
    ("GET", "/api/v1/quality"): MANAGER_API,
    ("GET", "/api/v1/audit"): MANAGER_API,
    # citizens' JSON API
    ("POST", "/api/v1/citizen/session"): PUBLIC,
    ("POST", "/api/v1/citizen/logout"): CITIZEN_API,
    ("GET", "/api/v1/citizen/results"): CITIZEN_API,
    ("GET", "/api/v1/citizen/results/<path:result_id>"): CITIZEN_API,
    ("GET", "/api/v1/citizen/results/<path:result_id>/files/<int:n>"): CITIZEN_API,
    # officers' pages
    ("GET", "/"): STAFF_WEB,
    ("GET", "/goi-y"): STAFF_WEB,
    ("GET", "/ket-qua/<path:result_id>"): STAFF_WEB,
    ("GET", "/ket-qua/<path:result_id>/tep/<int:n>"): STAFF_WEB,
    ("GET", "/ket-qua/<path:result_id>/trang/<int:n>.png"): STAFF_WEB,
    ("POST", "/ket-qua/<path:result_id>/sua"): STAFF_WEB,
    ("POST", "/ket-qua/<path:result_id>/tinh-trang"): STAFF_WEB,
    ("POST", "/ket-qua/<path:result_id>/rut"): MANAGER_WEB,
    ("POST", "/ket-qua/<path:result_id>/khoi-phuc"): MANAGER_WEB,
    ("GET", "/duyet"): STAFF_WEB,
    ("GET", "/duyet/<path:result_id>"): STAFF_WEB,
    ("POST", "/duyet/<path:result_id>"): STAFF_WEB,
    ("GET", "/tai-len"): STAFF_WEB,
    ("POST", "/tai-len"): STAFF_WEB,
    ("GET", "/tai-len/cong-viec/<job_id>"): STAFF_WEB,
    # managers' pages
    ("GET", "/bao-cao/so-hoa"): MANAGER_WEB,
    ("GET", "/bao-cao/so-hoa/in"): MANAGER_WEB,
    ("GET", "/bao-cao/so-hoa/xuat.<kind>"): MANAGER_WEB,
    ("GET", "/bao-cao/so-hoa/chat-luong"): MANAGER_WEB,
    ("GET", "/nhat-ky"): MANAGER_WEB,
    # citizens' pages
    ("GET", "/cong-dan"): PUBLIC,
    ("POST", "/cong-dan"): PUBLIC,
    ("GET", "/cong-dan/ho-so"): CITIZEN_WEB,
    ("GET", "/cong-dan/ho-so/<path:result_id>"): CITIZEN_WEB,
    ("GET", "/cong-dan/ho-so/<path:result_id>/tep/<int:n>"): CITIZEN_WEB,
    ("POST", "/cong-dan/thoat"): dict.fromkeys(CALLERS, CITIZEN_LOGIN),
}
# Values for the URL variables: a record the citizen caller owns, so "allow" can mean 200.
URL_VALUES = {"result_id": "XSS-0001", "n": 0, "job_id": "no-such-job", "kind": "csv",
              "filename": "sohoa.css", "version": 1}
CSRF = "matrix-csrf-token"


@dataclass(frozen=True)
class Caller:
    cookie: str | None
    headers: dict[str, str]


@pytest.fixture(scope="module")
def app(session_settings: Settings) -> Flask:
    return make_app(session_settings)


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es)


@pytest.fixture(scope="module")
def small_records(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
                  tmp_path_factory: pytest.TempPathFactory) -> None:
    result = ingest_small_records(session_settings, es, tmp_path_factory.mktemp("small"))
    assert result.returncode == 0, result.stdout + result.stderr


def _cookie(client: Any) -> str | None:
    set_csrf(client, CSRF)
    cookie = client.get_cookie("sohoa_session")
    return cookie.value if cookie else None


def _citizen_claim() -> dict[str, str]:
    return {"id_number": XSS_HOLDER["id"], "birth_date": XSS_HOLDER["birth"],
            "result_number": XSS_RECORDS[0]["result_number"]}


def _make_callers(app: Flask, staff: Staff) -> dict[str, Caller]:
    result = {"anonymous": Caller(_cookie(app.test_client()), {})}
    for role, name, token in (("officer", staff.officer, staff.officer_token),
                              ("manager", staff.manager, staff.manager_token)):
        client = app.test_client()
        assert web_login(client, name, staff.password).status_code == 302
        result[role] = Caller(_cookie(client), bearer(token))
    client = app.test_client()
    claim = _citizen_claim()
    token = client.post("/api/v1/citizen/session", json=claim).get_json()["token"]
    set_csrf(client, CSRF)
    assert client.post("/cong-dan", data={**claim, "csrf_token": CSRF}).status_code == 302
    result["citizen"] = Caller(_cookie(client), bearer(token))
    client = app.test_client()  # a session of its own: the officer's may be ended first
    assert web_login(client, staff.officer, staff.password).status_code == 302
    result["officer-cookie-only"] = Caller(_cookie(client), {})
    return result


@pytest.fixture(scope="module")
def callers(app: Flask, staff: Staff, small_records: None) -> dict[str, Caller]:
    return _make_callers(app, staff)


def _request_body(method: str, rule: str, staff: Staff) -> dict[str, Any]:
    if method != "POST":
        return {}
    if rule == "/api/v1/citizen/session":
        return {"json": _citizen_claim()}
    if rule == "/cong-dan":
        return {"data": {**_citizen_claim(), "csrf_token": CSRF}}
    if rule == "/dang-nhap":
        return {"data": {"username": staff.officer, "password": staff.password,
                         "csrf_token": CSRF}}
    if rule.startswith("/api/"):
        return {}
    return {"data": {"csrf_token": CSRF}}


def _classify(response: Any) -> Any:
    if response.status_code in (301, 302, 303, 307, 308):
        path = urlsplit(response.headers.get("Location", "")).path
        if path == "/dang-nhap":
            return LOGIN
        if path == "/cong-dan":
            return CITIZEN_LOGIN
    if response.status_code in (401, 403, 429) or response.status_code >= 500:
        return response.status_code
    return ALLOW


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, rule.endpoint))
    return sorted(routes)


def test_every_route_has_an_expectation(app: Flask) -> None:
    present = {(method, rule) for method, rule, _ in _routes(app)}
    missing = sorted(present - set(EXPECTATIONS))
    stale = sorted(set(EXPECTATIONS) - present)
    assert not missing, f"routes without a role expectation (add them to EXPECTATIONS): {missing}"
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def test_route_role_matrix(app: Flask, callers: dict[str, Caller], staff: Staff) -> None:
    adapter = app.url_map.bind("localhost")
    failures, checked = [], 0
    for method, rule, endpoint in _routes(app):
        expected_by_caller = EXPECTATIONS.get((method, rule))
        if expected_by_caller is None:
            continue  # reported by test_every_route_has_an_expectation
        arguments = next(r for r in app.url_map.iter_rules() if r.rule == rule).arguments
        unknown = set(arguments) - set(URL_VALUES)
        assert not unknown, f"{rule}: give URL_VALUES a sample for {unknown}"
        url = adapter.build(endpoint, {k: URL_VALUES[k] for k in arguments}, method=method)
        # Sessions are server-side: a sign-in or sign-out ends the session a cookie names, so
        # each state-changing route gets callers with sessions of their own.
        for name, caller in (_make_callers(app, staff) if method == "POST"
                             else callers).items():
            base = "anonymous" if rule.startswith("/api/") else "officer"
            expected = expected_by_caller[base if name == "officer-cookie-only" else name]
            client = app.test_client()
            if caller.cookie:
                client.set_cookie("sohoa_session", caller.cookie)
            response = client.open(url, method=method, headers=caller.headers,
                                   **_request_body(method, rule, staff))
            checked += 1
            got = _classify(response)
            if got != expected:
                failures.append(f"{method} {url} as {name}: expected {expected}, "
                                f"got {response.status_code} ({got})")
    print(f"route x caller checks: {checked}")
    assert checked >= len(EXPECTATIONS) * len(callers)
    assert not failures, "\n".join(failures)


def test_officer_cannot_read_audit_and_citizen_cannot_search(app: Flask,
                                                              callers: dict[str, Caller]) -> None:
    client = app.test_client()
    assert client.get("/api/v1/audit", headers=callers["officer"].headers).status_code == 403
    assert client.get("/api/v1/audit", headers=callers["manager"].headers).status_code == 200
    search = client.get("/api/v1/search?q=giay", headers=callers["citizen"].headers)
    assert search.status_code == 401
    assert client.get("/api/v1/results/XSS-0001",
                      headers=callers["citizen"].headers).status_code == 401
