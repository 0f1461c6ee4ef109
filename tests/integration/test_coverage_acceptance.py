"""Acceptance: coverage over the really ingested sample (OCR pipeline, CLI, worker) equals the
oracle's reading of manifest.jsonl + agencies.csv, row by row, for the plan's checkpoints."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from elasticsearch import Elasticsearch, helpers

from app.auth.accounts import AccountStore
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings
from tests.conftest import SAMPLE, TODAY, run_cli
from tests.support.apps import make_app
from tests.support.coverage_oracle import (
    expected_rows,
    expected_totals,
    read_manifest,
    read_register,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]
CHECKPOINTS = [dt.date(2022, 12, 31), dt.date(2023, 6, 30), dt.date(2024, 12, 31),
               dt.date(2025, 12, 31), TODAY]
ROW_KEYS = ("agency_code", "agency_name", "agency_level", "parent_code", "inventory",
            "digitized", "coverage", "target", "on_track")


@pytest.fixture(scope="module")
def sample_only(session_settings: Settings, es: Elasticsearch,
                ingested_sample: subprocess.CompletedProcess) -> Iterator[Settings]:
    """A deployment holding exactly the ingested sample records, copied as the pipeline indexed
    them: other test modules add records of their own to the session index."""
    assert ingested_sample.returncode == 0, ingested_sample.stdout + ingested_sample.stderr
    settings = replace(session_settings, index_prefix=f"{session_settings.index_prefix}-cov")
    ensure_indices(es, settings, log=lambda _m: None)
    ids = [record["result_id"] for record in read_manifest(SAMPLE / "manifest.jsonl")]
    hits = helpers.scan(es, index=session_settings.index_name("results"),
                        query={"query": {"ids": {"values": ids}}})
    copied, _ = helpers.bulk(es, ({"_index": settings.index_name("results"), "_id": h["_id"],
                                   "_source": h["_source"]} for h in hits), refresh=True)
    assert copied == len(ids)
    yield settings
    drop_all(es, settings)


@pytest.fixture(scope="module")
def manager_api(sample_only: Settings, es: Elasticsearch):
    session_settings = sample_only
    loaded = run_cli(session_settings, "agencies", "load", str(SAMPLE / "agencies.csv"))
    assert loaded.returncode == 0, loaded.stderr
    token = AccountStore(es, session_settings).add(f"cov-{uuid.uuid4().hex[:8]}", "manager")
    client = make_app(session_settings).test_client()
    return lambda **params: client.get("/api/v1/coverage", query_string=params,
                                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("as_of", CHECKPOINTS, ids=str)
def test_coverage_of_the_ingested_sample_matches_the_oracle(manager_api, as_of: dt.date) -> None:
    response = manager_api(as_of=as_of.isoformat())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    manifest = read_manifest(SAMPLE / "manifest.jsonl")
    # Every sample record has digitized_on; the ingestion day (real today) would apply otherwise.
    expected = expected_rows(manifest, read_register(SAMPLE / "agencies.csv"), as_of,
                             dt.date.today())
    assert body["as_of"] == as_of.isoformat() and body["target_year"] == as_of.year
    got = [{key: row[key] for key in ROW_KEYS} for row in body["rows"]]
    assert len(got) == len(expected) == 59
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs
    for key, want in expected_totals(expected).items():
        totals = body["totals"][key]
        assert (totals["inventory"], totals["digitized"]) == (want["inventory"], want["digitized"])
        assert totals["coverage"] == pytest.approx(want["coverage"])
        assert totals["target"] == pytest.approx(want["target"])
    assert body["orphans"] == []
