"""Fixtures for the coverage tests: an own index prefix holding the sample register and the
sample manifest's metadata, indexed without OCR (documents built by the real pipeline code),
plus manager/officer accounts. Import the fixtures you use into the test module."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers
from flask.testing import FlaskClient

from app.auth.accounts import AccountStore
from domain.agencies import AgencyStore, parse_register
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.jobs import JobPayload
from indexer.pipeline import build_document
from tests.conftest import SAMPLE, TODAY
from tests.support.apps import make_app
from tests.support.coverage_oracle import read_manifest
from tests.support.security_fixtures import web_login

PASSWORD = "Bao-cao-2026!"
# Flags given to a few sample records so the review list has something to show.
FLAGGED = {"H26.GL.KS-241212-00001": ["low-confidence"],
           "H26.CG.QH-190512-00002": ["blank-page", "low-confidence"],
           "H26.DD.KL-140614-00004": ["result-number-not-found"]}


# Beyond the sample: a record without digitized_on (counts from its ingestion day), one issued
# after the cut-off (digitised at reception), one issued on the cut-off day itself (inventory),
# one of an agency missing from the register.
EXTRA_RECORDS = [
    {"result_id": "EXTRA-NO-DATE", "agency_code": "H26.SYT", "agency_name": "Sở Y tế",
     "agency_level": "city", "issued_on": "2020-05-05", "status": "active",
     "valid_from": "2020-05-05", "files": []},
    {"result_id": "EXTRA-AFTER", "agency_code": "H26.SYT", "agency_name": "Sở Y tế",
     "agency_level": "city", "issued_on": "2023-01-05", "digitized_on": "2023-01-06",
     "status": "active", "valid_from": "2023-01-05", "files": []},
    {"result_id": "EXTRA-ON-CUTOFF", "agency_code": "H26.SKHDT",
     "agency_name": "Sở Kế hoạch và Đầu tư", "agency_level": "city", "issued_on": "2021-12-31",
     "digitized_on": "2024-01-02", "status": "active", "valid_from": "2021-12-31", "files": []},
    {"result_id": "EXTRA-ORPHAN", "agency_code": "H26.XX.TN",
     "agency_name": "UBND phường Thử Nghiệm", "agency_level": "commune",
     "issued_on": "2019-01-01", "digitized_on": "2022-02-02",
     "status": "active", "valid_from": "2019-01-01", "files": []},
]


@dataclass
class CoverageEnv:
    settings: Settings
    es: Elasticsearch
    app: Any
    manager_token: str
    officer_token: str
    ingested_at: dt.datetime
    records: list[dict[str, Any]]

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def api(self, path: str, token: str | None = None, **params: str) -> Any:
        headers = {"Authorization": f"Bearer {token or self.manager_token}"}
        return self.client().get(path, query_string=params, headers=headers)


def fresh_settings() -> Settings:
    return replace(load_settings(), index_prefix=f"test-cov-{uuid.uuid4().hex[:8]}", today=TODAY)


def index_records(es: Elasticsearch, settings: Settings, records: list[dict[str, Any]],
                  now: dt.datetime) -> None:
    """Index manifest records as the pipeline would build them (no files, no text)."""
    def actions() -> Iterator[dict[str, Any]]:
        for record in records:
            meta = {k: v for k, v in record.items() if k != "files"}
            payload = JobPayload(record["result_id"], meta, (), 1)
            doc = build_document(payload, [], "", FLAGGED.get(record["result_id"], []), [], now)
            yield {"_index": settings.index_name("results"), "_id": doc["result_id"],
                   "_source": doc}

    helpers.bulk(es, actions(), refresh="wait_for")


def load_sample_register(es: Elasticsearch, settings: Settings) -> None:
    agencies, errors = parse_register((SAMPLE / "agencies.csv").read_text(encoding="utf-8"))
    assert not errors
    AgencyStore(es, settings).load(agencies)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    response = web_login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture(scope="module")
def coverage_env(services: str) -> Iterator[CoverageEnv]:
    settings = fresh_settings()
    es = make_client(settings)
    ensure_indices(es, settings, log=lambda _m: None)
    load_sample_register(es, settings)
    ingested_at = dt.datetime(2023, 3, 15, 8, 0, tzinfo=dt.UTC)
    records = [*read_manifest(SAMPLE / "manifest.jsonl"), *EXTRA_RECORDS]
    index_records(es, settings, records, ingested_at)
    accounts = AccountStore(es, settings)
    manager = accounts.add("quanly", "manager", password=PASSWORD)
    officer = accounts.add("canbo", "officer", password=PASSWORD)
    app = make_app(settings)
    yield CoverageEnv(settings, es, app, manager, officer, ingested_at, records)
    drop_all(es, settings)

