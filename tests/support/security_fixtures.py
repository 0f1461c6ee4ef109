"""Helpers for the accounts / citizen / audit / security tests (issue 5).

Plain functions, wrapped into fixtures by each test module: staff accounts created through the
real account store, a Flask app bound to the session's deployment, and a few small `.txt`
records (two carrying XSS payloads in every text field) ingested through the real CLI + worker.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from flask.testing import FlaskClient

from app.auth.accounts import AccountStore
from domain.settings import Settings
from tests.conftest import WorkerProcess, run_cli
from tests.support.apps import make_app
from tests.support.search_fixtures import Staff

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{XSS_SCRIPT} {XSS_ATTR}"

# A small deployment of our own: an XSS-laden record with a holder and an other party, and a
# plain record of somebody else (for "not yours" checks), all born-digital .txt (no OCR wait).
XSS_HOLDER = {"id": "001099000111", "birth": "1999-01-02"}
XSS_PARTY = {"id": "001199000222"}  # no birth date anywhere: the ID's year (1999) is the check
OTHER = {"id": "001088000333", "birth": "1988-05-06"}
XSS_RECORDS = [
    {"result_id": "XSS-0001", "result_number": f"12/2024/{PAYLOAD}",
     "document_type": f"Giấy chứng nhận {PAYLOAD}", "procedure_code": "1.000894",
     "procedure_name": f"Đăng ký {PAYLOAD}", "agency_code": "H26.XSS",
     "agency_name": f"UBND {PAYLOAD}", "agency_level": "commune", "issued_on": "2024-02-03",
     "signer": PAYLOAD, "signer_title": PAYLOAD, "holder_name": f"Nguyễn {PAYLOAD}",
     "holder_id_number": XSS_HOLDER["id"], "holder_birth_date": XSS_HOLDER["birth"],
     "holder_address": PAYLOAD, "valid_from": "2024-02-03", "valid_until": None,
     "status": "active", "summary": PAYLOAD, "digitized_on": "2024-03-01",
     "other_parties": [{"name": f"Trần {PAYLOAD}", "id_number": XSS_PARTY["id"]}],
     "files": ["files/xss-0001.txt"],
     "_text": f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 12/2024\n{PAYLOAD}\nNội dung {PAYLOAD}\n"},
    {"result_id": "XSS-0002", "result_number": "7/2020/GP-XSS", "document_type": "Giấy phép",
     "agency_code": "H26.XSS", "agency_name": "UBND phường Thử", "agency_level": "commune",
     "issued_on": "2020-01-01", "holder_name": "Lê Văn Khác", "holder_id_number": OTHER["id"],
     "holder_birth_date": OTHER["birth"], "valid_from": "2020-01-01",
     "valid_until": "2021-01-01", "status": "active", "files": ["files/xss-0002.txt"],
     "_text": "Giấy phép thử nghiệm số 7/2020/GP-XSS cấp cho ông Lê Văn Khác.\n"},
]


_STAFF_CACHE: dict[str, Staff] = {}
_INGEST_CACHE: dict[str, subprocess.CompletedProcess] = {}


def create_staff(settings: Settings, es: Elasticsearch, tag: str = "") -> Staff:
    """One officer and one manager with passwords and API tokens (once per deployment and tag;
    a test that counts a user's audit events takes its own tag)."""
    key = f"{settings.index_prefix}/{tag}"
    if key not in _STAFF_CACHE:
        store = AccountStore(es, settings)
        password = "Mật-khẩu-" + secrets.token_hex(6)
        suffix = secrets.token_hex(3)
        officer, manager = f"officer{tag}-{suffix}", f"manager{tag}-{suffix}"
        _STAFF_CACHE[key] = Staff(
            officer=officer, manager=manager, password=password,
            officer_token=store.add(officer, "officer", password),
            manager_token=store.add(manager, "manager", password))
    return _STAFF_CACHE[key]


def ingest_small_records(settings: Settings, es: Elasticsearch, folder: Path
                         ) -> subprocess.CompletedProcess:
    """Write XSS_RECORDS as a manifest of .txt files and ingest it (needs the worker fixture)."""
    if settings.index_prefix not in _INGEST_CACHE:
        _INGEST_CACHE[settings.index_prefix] = ingest_records(settings, es, folder, XSS_RECORDS)
    return _INGEST_CACHE[settings.index_prefix]


def ingest_records(settings: Settings, es: Elasticsearch, folder: Path,
                   records: list[dict[str, Any]]) -> subprocess.CompletedProcess:
    """Ingest manifest records whose one file is the `.txt` given as `_text` (needs a worker)."""
    (folder / "files").mkdir(parents=True, exist_ok=True)
    lines = []
    for record in records:
        meta = {k: v for k, v in record.items() if k != "_text"}
        (folder / meta["files"][0]).write_text(record["_text"], encoding="utf-8")
        lines.append(json.dumps(meta, ensure_ascii=False))
    manifest = folder / "manifest.jsonl"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(settings, "ingest", str(manifest), "--wait", timeout=300)
    es.indices.refresh(index=settings.index_name("results"))
    return result


def set_csrf(client: FlaskClient, token: str = "csrf-test-token") -> str:
    with client.session_transaction() as session:
        session["_csrf"] = token
    return token


def web_login(client: FlaskClient, username: str, password: str) -> Any:
    token = set_csrf(client)
    return client.post("/dang-nhap", data={"username": username, "password": password,
                                           "csrf_token": token})


def citizen_login(client: FlaskClient, id_number: str, birth_date: str, result_number: str,
                  **environ: str) -> Any:
    extra = {"environ_base": environ} if environ else {}
    return client.post("/api/v1/citizen/session", json={
        "id_number": id_number, "birth_date": birth_date, "result_number": result_number},
        **extra)


def clear_citizen_limits(app: Flask, redis_client: Any) -> None:
    """Drop this deployment's rate-limit keys (tests start from a clean slate)."""
    prefix = app.config["SOHOA_SETTINGS"].index_prefix
    keys = list(redis_client.scan_iter(f"{prefix}:ratelimit:*"))
    if keys:
        redis_client.delete(*keys)


# Named `app`: the test modules that import it take it as their app.
@pytest.fixture(scope="module", name="app")
def app_with_small_records(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
                           tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app over a session index that holds the small markup-laden records."""
    result = ingest_small_records(session_settings, es, tmp_path_factory.mktemp("small"))
    assert result.returncode == 0, result.stdout + result.stderr
    return make_app(session_settings)
