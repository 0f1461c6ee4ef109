"""The audit trail: a scripted session of officers, a manager and a citizen, then the log read
back through the managers' API and page."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from app import extensions
from domain.settings import Settings
from tests.conftest import REPO, run_cli
from tests.support.apps import bearer
from tests.support.security_fixtures import (
    OTHER,
    XSS_HOLDER,
    XSS_RECORDS,
    Staff,
    citizen_login,
    clear_citizen_limits,
    create_staff,
    web_login,
)

pytestmark = pytest.mark.services
MINE, NOT_MINE = XSS_RECORDS[0]["result_id"], XSS_RECORDS[1]["result_id"]


@pytest.fixture(scope="module")
def staff(session_settings: Settings, es: Elasticsearch) -> Staff:
    return create_staff(session_settings, es, tag="-audit")


def _events(es: Elasticsearch, settings: Settings, **term: str) -> list[dict[str, Any]]:
    es.indices.refresh(index=settings.index_name("audit"))
    filters = [{"term": {k: v}} for k, v in term.items()]
    response = es.search(index=settings.index_name("audit"), size=1000,
                         query={"bool": {"filter": filters}}, sort=[{"timestamp": "asc"}])
    return [hit["_source"] for hit in response["hits"]["hits"]]


@pytest.fixture(scope="module")
def scripted_session(app: Flask, staff: Staff, es: Elasticsearch,
                     session_settings: Settings) -> dict[str, Any]:
    """Officer on the web and the API, a citizen, a failed citizen sign-in; returns a log."""
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    script: dict[str, Any] = {"marker": secrets.token_hex(4)}
    web = app.test_client()
    assert web_login(web, staff.officer, staff.password).status_code == 302
    assert web.get(f"/?q=giay+phep+{script['marker']}").status_code == 200
    assert web.get(f"/ket-qua/{MINE}").status_code == 200
    assert web.get(f"/ket-qua/{NOT_MINE}/tep/1").status_code == 200
    api = app.test_client()
    officer = bearer(staff.officer_token)
    assert api.get(f"/api/v1/search?q={script['marker']}&valid_only=true",
                   headers=officer).status_code == 200
    assert api.get(f"/api/v1/results/{NOT_MINE}", headers=officer).status_code == 200
    assert api.get(f"/api/v1/results/{MINE}/files/0", headers=officer).status_code == 200
    assert api.get("/api/v1/results/NO-SUCH", headers=officer).status_code == 404
    # A citizen: one failed sign-in, then theirs, then a try at somebody else's record.
    bad = citizen_login(api, XSS_HOLDER["id"], "1999-12-31", XSS_RECORDS[0]["result_number"])
    assert bad.status_code == 401
    good = citizen_login(api, XSS_HOLDER["id"], XSS_HOLDER["birth"],
                         XSS_RECORDS[0]["result_number"])
    citizen = bearer(good.get_json()["token"])
    assert api.get("/api/v1/citizen/results", headers=citizen).status_code == 200
    assert api.get(f"/api/v1/citizen/results/{MINE}", headers=citizen).status_code == 200
    assert api.get(f"/api/v1/citizen/results/{MINE}/files/0", headers=citizen).status_code == 200
    assert api.get(f"/api/v1/citizen/results/{NOT_MINE}", headers=citizen).status_code == 404
    return script


def test_every_view_and_download_is_in_the_log(scripted_session: dict[str, Any],
                                               staff: Staff, es: Elasticsearch,
                                               session_settings: Settings) -> None:
    officer = _events(es, session_settings, user=staff.officer)
    seen = {(e["action"], e.get("result_id"), e["outcome"]) for e in officer}
    expected = {
        ("staff.login", None, "ok"),
        ("result.view", MINE, "ok"),          # web page
        ("result.file", NOT_MINE, "ok"),      # web download
        ("result.view", NOT_MINE, "ok"),      # API
        ("result.file", MINE, "ok"),          # API download
        ("result.view", "NO-SUCH", "not_found"),
    }
    assert expected <= seen, expected - seen
    assert all(e["role"] == "officer" and e["client_ip"] == "127.0.0.1" for e in officer)
    searches = [e for e in officer if e["action"] == "search"
                and scripted_session["marker"] in e["details"].get("query", "")]
    assert len(searches) == 2
    assert any(e["details"].get("filters", {}).get("valid_only") == "true" for e in searches)
    masked = f"citizen:{XSS_HOLDER['id'][:4]}****{XSS_HOLDER['id'][-4:]}"
    citizen = _events(es, session_settings, user=masked)
    seen = {(e["action"], e.get("result_id"), e["outcome"]) for e in citizen}
    assert {("citizen.login", None, "failure"), ("citizen.login", None, "ok"),
            ("citizen.results", None, "ok"), ("citizen.view", MINE, "ok"),
            ("citizen.file", MINE, "ok"), ("citizen.view", NOT_MINE, "denied")} <= seen
    assert XSS_HOLDER["id"] not in json.dumps(citizen, ensure_ascii=False)
    print(f"officer events: {len(officer)}, citizen events: {len(citizen)}")


def test_manager_pages_through_the_log_and_officer_cannot(scripted_session: dict[str, Any],
                                                         app: Flask, staff: Staff) -> None:
    client = app.test_client()
    manager = bearer(staff.manager_token)
    assert client.get("/api/v1/audit", headers=bearer(staff.officer_token)).status_code == 403
    by_record = client.get(f"/api/v1/audit?result_id={MINE}&size=200", headers=manager).get_json()
    assert by_record["total"] >= 4
    assert {e["result_id"] for e in by_record["events"]} == {MINE}
    times = [e["timestamp"] for e in by_record["events"]]
    assert times == sorted(times, reverse=True), "newest first"
    by_user = client.get(f"/api/v1/audit?user={staff.officer}&action=result.file",
                         headers=manager).get_json()
    assert by_user["total"] == 2 and {e["result_id"] for e in by_user["events"]} == {MINE, NOT_MINE}
    page1 = client.get(f"/api/v1/audit?user={staff.officer}&size=2&page=1",
                       headers=manager).get_json()
    page2 = client.get(f"/api/v1/audit?user={staff.officer}&size=2&page=2",
                       headers=manager).get_json()
    assert page1["pages"] >= 3 and not {e["id"] for e in page1["events"]} & \
        {e["id"] for e in page2["events"]}
    none = client.get(f"/api/v1/audit?user={staff.officer}&to=2000-01-01", headers=manager)
    assert none.get_json()["total"] == 0
    assert client.get("/api/v1/audit?from=yesterday", headers=manager).status_code == 400
    web = app.test_client()
    assert web_login(web, staff.officer, staff.password).status_code == 302
    assert web.get("/nhat-ky").status_code == 403
    assert web_login(web, staff.manager, staff.password).status_code == 302
    page = web.get(f"/nhat-ky?user={staff.officer}&action=result.view")
    assert page.status_code == 200 and MINE in page.get_data(as_text=True)


def test_account_changes_on_the_command_line_are_logged(session_settings: Settings,
                                                        es: Elasticsearch) -> None:
    name = f"audited-{secrets.token_hex(3)}"
    assert run_cli(session_settings, "users", "add", name, "--role", "officer").returncode == 0
    assert run_cli(session_settings, "users", "rotate-token", name).returncode == 0
    assert run_cli(session_settings, "users", "disable", name).returncode == 0
    events = [e for e in _events(es, session_settings, role="admin")
              if e["details"].get("account") == name]
    assert [e["action"] for e in events] == ["account.add", "account.rotate-token",
                                             "account.disable"]
    assert all(e["user"].startswith("cli:") for e in events)


def test_audit_log_is_append_only() -> None:
    # Only `create` ever writes to it: no update, delete or overwrite anywhere in the package.
    source = "\n".join(p.read_text() for p in (REPO / "app" / "audit").glob("*.py"))
    assert ".create(" in source
    for call in ("client.update(", "client.delete(", "client.index(", "delete_by_query",
                 "update_by_query", "helpers.bulk"):
        assert call not in source, call
    mapping = json.loads((REPO / "mappings" / "audit-v1.json").read_text())
    assert mapping["mappings"]["dynamic"] is False


def test_logs_never_carry_full_id_numbers(scripted_session: dict[str, Any], app: Flask,
                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client = app.test_client()
        citizen_login(client, OTHER["id"], "1900-01-01", "nothing", REMOTE_ADDR="10.7.0.1")
        logging.getLogger("werkzeug").info("GET /?q=%s", OTHER["id"])
    assert OTHER["id"] not in caplog.text

