"""Staff accounts end to end: the `sohoa users` commands, API tokens, web sign-in, sessions,
CSRF and sign-in lockout — against the real Elasticsearch and Redis."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from elasticsearch import Elasticsearch
from flask import Flask

from app import extensions
from domain.settings import Settings
from tests.conftest import REPO, run_cli, settings_env
from tests.support.apps import bearer, make_app
from tests.support.security_fixtures import clear_citizen_limits, set_csrf, web_login

pytestmark = pytest.mark.services
PASSWORD = "Một-mật-khẩu-đủ-dài-42"


@pytest.fixture(scope="module")
def app(session_settings: Settings) -> Flask:
    return make_app(session_settings)


def _cli_user(settings: Settings, role: str = "officer") -> tuple[str, str]:
    name = f"cli-{role}-{secrets.token_hex(3)}"
    result = run_cli_input(settings, PASSWORD, "users", "add", name, "--role", role,
                           "--password-stdin")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    return name, token


def run_cli_input(settings: Settings, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, input=stdin + "\n",
                          env=settings_env(settings), capture_output=True, text=True,
                          timeout=120, check=False)


def test_users_add_stores_only_hashes_and_the_token_works(app: Flask, session_settings: Settings,
                                                          es: Elasticsearch) -> None:
    name, token = _cli_user(session_settings, "officer")
    stored = es.get(index=session_settings.index_name("users"), id=name)["_source"]
    assert token not in str(stored) and PASSWORD not in str(stored)
    assert stored["password_hash"].startswith("scrypt:")
    client = app.test_client()
    assert client.get("/api/v1/jobs/nope", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/audit", headers=bearer(token)).status_code == 403
    listing = run_cli(session_settings, "users", "list")
    line = next(line for line in listing.stdout.splitlines() if line.startswith(name))
    assert "officer" in line and "active" in line and "yes" in line


def test_duplicate_name_bad_role_and_weak_password_are_refused(session_settings: Settings
                                                               ) -> None:
    name, _ = _cli_user(session_settings)
    again = run_cli(session_settings, "users", "add", name, "--role", "officer")
    assert again.returncode != 0 and "already exists" in again.stderr
    bad_role = run_cli(session_settings, "users", "add", "x-" + name, "--role", "admin")
    assert bad_role.returncode != 0
    weak = run_cli_input(session_settings, "short", "users", "add", "y-" + name, "--role",
                         "officer", "--password-stdin")
    assert weak.returncode != 0 and "at least" in weak.stderr


def test_rotate_token_revokes_the_old_one(app: Flask, session_settings: Settings) -> None:
    name, old = _cli_user(session_settings)
    rotated = run_cli(session_settings, "users", "rotate-token", name)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    client = app.test_client()
    assert client.get("/api/v1/jobs/x", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/jobs/x", headers=bearer(new)).status_code == 404


def test_web_sign_in_session_and_disable_end_access(app: Flask, session_settings: Settings
                                                    ) -> None:
    name, token = _cli_user(session_settings, "manager")
    client = app.test_client()
    first = client.get("/nhat-ky")
    assert first.status_code == 302 and "/dang-nhap?next=/nhat-ky" in first.headers["Location"]
    wrong = web_login(client, name, "not-the-password")
    assert wrong.status_code == 401 and "không đúng" in wrong.get_data(as_text=True)
    ok = web_login(client, name, PASSWORD)
    assert ok.status_code == 302
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/nhat-ky").status_code == 200
    disabled = run_cli(session_settings, "users", "disable", name)
    assert disabled.returncode == 0, disabled.stderr
    assert client.get("/nhat-ky").status_code == 302  # the open session ended at once
    assert client.get("/api/v1/audit", headers=bearer(token)).status_code == 401
    assert web_login(client, name, PASSWORD).status_code == 401


def test_set_password_ends_open_sessions(app: Flask, session_settings: Settings) -> None:
    name, _ = _cli_user(session_settings, "officer")
    client = app.test_client()
    assert web_login(client, name, PASSWORD).status_code == 302
    assert client.get("/dang-xuat").status_code == 200
    new_password = "Mật-khẩu-mới-" + secrets.token_hex(4)
    changed = run_cli_input(session_settings, new_password, "users", "set-password", name,
                            "--password-stdin")
    assert changed.returncode == 0, changed.stderr
    assert "Đăng xuất khỏi" not in client.get("/dang-xuat").get_data(as_text=True)
    assert web_login(app.test_client(), name, PASSWORD).status_code == 401
    assert web_login(app.test_client(), name, new_password).status_code == 302


def test_login_redirects_only_to_same_site_paths(app: Flask, session_settings: Settings) -> None:
    name, _ = _cli_user(session_settings)
    client = app.test_client()
    token = set_csrf(client)
    response = client.post("/dang-nhap", data={"username": name, "password": PASSWORD,
                                               "csrf_token": token,
                                               "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_post_without_csrf_token_is_refused(app: Flask, session_settings: Settings) -> None:
    name, _ = _cli_user(session_settings)
    client = app.test_client()
    set_csrf(client, "the-right-token")
    for data in ({}, {"csrf_token": "a-wrong-token"}):
        response = client.post("/dang-nhap", data={"username": name, "password": PASSWORD, **data})
        assert response.status_code == 400
    assert client.post("/cong-dan", data={"id_number": "1"}).status_code == 400
    # The session cookie alone never authenticates the JSON API.
    assert web_login(client, name, PASSWORD).status_code == 302
    assert client.get("/api/v1/jobs/x").status_code == 401


def test_staff_sign_in_lockout_after_repeated_failures(app: Flask, session_settings: Settings
                                                       ) -> None:
    name, _ = _cli_user(session_settings)
    client = app.test_client()
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    statuses = [web_login(client, name, f"wrong-{i}").status_code for i in range(7)]
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}
    locked = web_login(client, name, PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    assert web_login(client, name, PASSWORD).status_code == 302
