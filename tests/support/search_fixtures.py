"""Helpers for the search API, web UI and browser tests (issue 4).

Plain functions, wrapped into fixtures by each test module. The session's index is shared with
other test modules (which may ingest records of their own), so expectations are computed from
the sample manifest and checked on the sample's records, never as "exactly 60".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from flask.testing import FlaskClient

from domain.settings import Settings
from domain.text.vietnamese import fold_diacritics
from tests.conftest import REPO, SAMPLE, TODAY, run_cli, settings_env

MARKUP_TEXT = 'Biên bản zqxmarkup <b>in đậm</b> & "trích" <script>x</script> a<b'
MARKUP_RECORD = {
    "result_id": "T4-MARKUP-0001", "result_number": "9/2024/T4-MK", "document_type": "Biên bản",
    "agency_code": "H26.T4", "agency_name": "UBND phường Thử Bốn", "agency_level": "commune",
    "issued_on": "2024-05-06", "holder_name": "Người <Thử> Nghiệm", "status": "active",
    "valid_from": "2024-05-06", "valid_until": None, "files": ["files/t4-markup.txt"],
}


@dataclass(frozen=True)
class Staff:
    officer: str
    manager: str
    password: str
    officer_token: str
    manager_token: str


_STAFF: dict[str, Staff] = {}
_MARKUP: dict[str, subprocess.CompletedProcess] = {}


def manifest() -> list[dict[str, Any]]:
    lines = (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def valid_on(record: dict[str, Any], day: dt.date) -> bool:
    """The documented definition, written out again so the tests do not trust domain.validity."""
    until = record.get("valid_until")
    return (record.get("status") == "active"
            and dt.date.fromisoformat(record["valid_from"]) <= day
            and (until is None or dt.date.fromisoformat(until) >= day))


EXPECTED_LABEL = {"valid": "Còn hiệu lực", "expired": "Hết hiệu lực", "revoked": "Đã thu hồi",
                  "replaced": "Đã được thay thế"}


def state_of(record: dict[str, Any], day: dt.date = TODAY) -> str:
    if record["status"] != "active":
        return record["status"]
    return "valid" if valid_on(record, day) else "expired"


def unique_holder(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A record whose holder's name (folded) occurs in no other record's text or metadata."""
    texts = {r["result_id"]: fold_diacritics((SAMPLE / "truth" / f"{r['result_id']}.txt")
                                             .read_text(encoding="utf-8")).lower()
             for r in records}
    for record in sorted(records, key=lambda r: r["result_id"]):
        name = fold_diacritics(record["holder_name"]).lower()
        if all(name not in text for rid, text in texts.items() if rid != record["result_id"]):
            return record
    raise AssertionError("no holder name is unique to one record")


def _cli_add(settings: Settings, name: str, role: str, password: str) -> str:
    """`sohoa users add NAME --role ROLE --password-stdin`; returns the printed API token."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "users", "add", name, "--role", role,
         "--password-stdin"],
        cwd=REPO, env=settings_env(settings), input=password + "\n", capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1].strip()


def staff(settings: Settings) -> Staff:
    """An officer and a manager created through the CLI (once per deployment)."""
    if settings.index_prefix not in _STAFF:
        suffix = secrets.token_hex(3)
        password = "Tra-cuu-" + secrets.token_hex(6)
        officer, manager = f"t4-officer-{suffix}", f"t4-manager-{suffix}"
        _STAFF[settings.index_prefix] = Staff(
            officer, manager, password, _cli_add(settings, officer, "officer", password),
            _cli_add(settings, manager, "manager", password))
    return _STAFF[settings.index_prefix]


def ingest_markup_record(settings: Settings, es: Elasticsearch, folder: Path
                         ) -> subprocess.CompletedProcess:
    """One born-digital record whose text and holder carry `<`, `&` and quotes."""
    if settings.index_prefix not in _MARKUP:
        (folder / "files").mkdir(parents=True, exist_ok=True)
        (folder / MARKUP_RECORD["files"][0]).write_text(MARKUP_TEXT + "\n", encoding="utf-8")
        path = folder / "manifest.jsonl"
        path.write_text(json.dumps(MARKUP_RECORD, ensure_ascii=False) + "\n", encoding="utf-8")
        _MARKUP[settings.index_prefix] = run_cli(settings, "ingest", str(path), "--wait",
                                                 timeout=300)
        es.indices.refresh(index=settings.index_name("results"))
    return _MARKUP[settings.index_prefix]


def web_login(client: FlaskClient, username: str, password: str) -> None:
    """Sign in through the real login form (its CSRF token read from the page)."""
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the login form carries no CSRF token"
    response = client.post("/dang-nhap", data={"username": username, "password": password,
                                               "csrf_token": token.group(1), "next": "/"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


