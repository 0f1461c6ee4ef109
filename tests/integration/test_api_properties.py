"""Property-based run over the whole JSON API, generated from its own OpenAPI document.

Schemathesis draws requests for every operation (GET and POST), valid and invalid by the
document, and each is sent as every kind of caller: anonymous, an officer, a manager and a
citizen (real tokens). Against the real Elasticsearch and Redis, over a deployment holding a few
records, it asserts: no 5xx; every status is one the document lists for the operation; every
error is the JSON problem {error, status}; responses match their documented schema and content
type; data valid by the document is not refused, data it forbids is not accepted.

Bounded: SOHOA_PROPERTY_EXAMPLES examples per operation (default 15), derandomised, so the run
takes a minute or two and repeats exactly.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from elasticsearch import Elasticsearch
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from app import extensions
from app.api.openapi import document
from domain.settings import Settings
from indexer.jobs import JobStore
from tests.support.apps import bearer
from tests.support.paths import TODAY
from tests.support.security_fixtures import (
    XSS_HOLDER,
    XSS_RECORDS,
    citizen_login,
    clear_citizen_limits,
    create_staff,
)

pytestmark = pytest.mark.services

EXAMPLES = int(os.environ.get("SOHOA_PROPERTY_EXAMPLES", "15"))
ROLES = ("anonymous", "officer", "manager", "citizen")
WINDOW = 10_000


@pytest.fixture(scope="module")
def callers(app: Flask, session_settings: Settings, es: Elasticsearch) -> dict[str, dict]:
    staff = create_staff(session_settings, es, tag="props")
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    return {"anonymous": {}, "officer": bearer(staff.officer_token),
            "manager": bearer(staff.manager_token), "citizen": _citizen_token(app)}


def _citizen_token(app: Flask) -> dict[str, str]:
    signed_in = citizen_login(app.test_client(), XSS_HOLDER["id"], XSS_HOLDER["birth"],
                              XSS_RECORDS[0]["result_number"])
    assert signed_in.status_code == 200, signed_in.get_data(as_text=True)
    return bearer(signed_in.get_json()["token"])


ACCEPTED: list[str] = []  # job ids of generated uploads the API accepted


@pytest.fixture(scope="module", autouse=True)
def _remove_generated_records(session_settings: Settings, es: Elasticsearch) -> Iterator[None]:
    """Generated uploads that pass intake become records of the shared session index; take
    them out again (after their jobs end) so other modules see only their own records."""
    yield
    jobs = JobStore(es, session_settings)
    deadline = time.monotonic() + 180
    for job_id in ACCEPTED:
        job = jobs.get(job_id) or {}
        while job.get("state") not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = jobs.get(job_id) or {}
        if job.get("result_id"):
            es.options(ignore_status=404).delete(
                index=session_settings.index_name("results"), id=job["result_id"], refresh=True)


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Iterator[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(with_security_parameters=False)
    # Over-long query strings and bodies are refused before validation, as documented.
    schema.config.checks.negative_data_rejection.expected_statuses.extend(["413", "414"])
    yield schema


PATHS = document()["paths"]
# Invalid requests exist only for operations that take input.
CASES = [(method.upper(), path, mode) for path, ops in PATHS.items()
         for method, op in ops.items()
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or op["parameters"] or "requestBody" in op]
# Who may pass each operation's guard (the rest must be refused with 401/403).
ALLOWED = {"officer, manager": {"officer", "manager"}, "manager": {"manager"},
           "citizen token": {"citizen"}, "anyone": set(ROLES)}


DEFAULT_SIZES = {"/search": 10, "/quality": 50, "/audit": 50, "/review": 20}
# What an absent bound of a range means, where the operation fills it in.
DEFAULT_BOUNDS = {"/coverage/series": (dt.date(2022, 1, 1), TODAY)}


def _bound(value: Any) -> dt.date | None:
    """A date, date-time or YYYY-MM (its first day) as a date; None for anything else."""
    text = str(value or "")
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else \
            dt.date.fromisoformat(text + "-01")
    except ValueError:
        return None


def _number(value: Any, default: int) -> int | None:
    """A generated page/size as the API reads it: empty is the default, 30.0 is 30."""
    if value is None or value == "":
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        return int(value)
    return None


def breaks_combined_rule(path: str, query: dict[str, Any] | None) -> bool:
    """True when a request breaks a rule tying two parameters together, which JSON Schema
    cannot express and each operation's description states instead (answered 400)."""
    query = query or {}
    page = _number(query.get("page"), 1)
    size = _number(query.get("size"), DEFAULT_SIZES.get(path, 0))
    if page is not None and size is not None and page * size > WINDOW:
        return True
    default_start, default_end = DEFAULT_BOUNDS.get(path, (None, None))
    for low, high in (("issued_from", "issued_to"), ("from", "to")):
        start = _bound(query.get(low)) or default_start
        end = _bound(query.get(high)) or default_end
        if start and end and (start > end or
                              (end.year - start.year) * 12 + end.month - start.month >= 1200):
            return True
    return False


def _no_body_check(case: Any) -> bool:
    # A file's bytes cannot be described by a schema: generated uploads are refused (400) as
    # unreadable files, which is right; so "valid data accepted" is not asked of them.
    return case.operation.method.upper() == "POST" and case.operation.path == "/ingest"


def _allowed_roles(case: Any) -> set[str]:
    op = PATHS[case.operation.path][case.operation.method.lower()]
    who = op["description"].removeprefix("Who: ").split(".")[0]
    return ALLOWED[who]


def _check_every_caller(case: Any, callers: dict[str, dict]) -> None:
    skip_acceptance = breaks_combined_rule(case.operation.path, case.query) or \
        _no_body_check(case)
    # Roles are this test's own callers with real tokens, checked just below; Schemathesis's
    # ignored_auth would replay with credentials of its own making instead.
    excluded = [ignored_auth, *([positive_data_acceptance] if skip_acceptance else [])]
    allowed = _allowed_roles(case)
    generated = dict(case.headers or {})
    for role in ROLES:
        auth = callers[role]
        if role == "citizen" and case.operation.path == "/citizen/logout":
            auth = _citizen_token(case.operation.schema.app)  # logout ends the one it is given
        case.headers = {**generated, **auth}
        response = case.call()
        assert response.status_code < 500, (role, case.as_curl_command(), response.text[:300])
        if response.status_code == 202:
            ACCEPTED.append(response.json()["job_id"])
        if role not in allowed:
            assert response.status_code >= 400, (role, case.as_curl_command())
        if response.status_code >= 400:
            body = response.json()
            assert body["status"] == response.status_code and isinstance(body["error"], str), \
                (role, response.text[:300])
        case.validate_response(response, excluded_checks=excluded)


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_api_matches_its_document_for_every_caller(api_schema: Any, callers: dict[str, dict],
                                                   method: str, path: str,
                                                   mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _check_every_caller(case, callers)

    run()


def test_document_states_the_combined_rules() -> None:
    # The rules the run above exempts must be in the document the clients read.
    paths = document()["paths"]
    assert "page × size" in paths["/search"]["get"]["description"]
    assert "issued_from may not be after issued_to" in paths["/search"]["get"]["description"]
    assert "from may not be after to" in paths["/coverage/series"]["get"]["description"]
    assert "page × size" in paths["/quality"]["get"]["description"]
    assert "page × size" in paths["/audit"]["get"]["description"]
