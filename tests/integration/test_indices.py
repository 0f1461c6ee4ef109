"""Index lifecycle against a real node: only `sohoa init` creates or upgrades; an upgrade runs
under a lock, loses no write that lands while it copies, and cleans up after a failure."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from domain.indices import drop_all, ensure_indices, index_states
from domain.settings import Settings, load_settings
from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.services

THINGS_V1 = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {"dynamic": False, "properties": {"n": {"type": "long"},
                                                   "label": {"type": "keyword"}}},
}
THINGS_V2 = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {"dynamic": False, "properties": {"n": {"type": "long"},
                                                   "label": {"type": "keyword"},
                                                   "extra": {"type": "keyword"}}},
}


def _write_mapping(folder: Path, name: str, body: dict) -> None:
    (folder / name).write_text(json.dumps(body), encoding="utf-8")


@pytest.fixture()
def things(services: str, tmp_path: Path) -> Iterator[tuple[Settings, Elasticsearch]]:
    """A deployment whose only index is `things`, from a mappings folder the test controls."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    _write_mapping(mappings, "things-v1.json", THINGS_V1)
    settings = replace(load_settings(), es_url=services, mappings_dir=mappings,
                       index_prefix=f"idx-{uuid.uuid4().hex[:8]}")
    client = Elasticsearch(services, request_timeout=60)
    ensure_indices(client, settings, log=lambda _m: None)
    yield settings, client
    drop_all(client, settings)


def _fill(client: Elasticsearch, alias: str, count: int) -> None:
    from elasticsearch import helpers

    helpers.bulk(client, ({"_index": alias, "_id": f"d{i}", "_source": {"n": 0, "label": "old"}}
                          for i in range(count)), refresh=True)


def _concrete(client: Elasticsearch, alias: str) -> list[str]:
    return sorted(client.indices.get_alias(name=alias))


def test_commands_other_than_init_refuse_missing_and_outdated_indices(
        services: str, tmp_path: Path) -> None:
    settings = replace(load_settings(), es_url=services, data_dir=tmp_path / "data",
                       index_prefix=f"idx-{uuid.uuid4().hex[:8]}")
    client = Elasticsearch(services)
    try:
        refused = run_cli(settings, "users", "list")
        assert refused.returncode != 0
        assert "sohoa init" in refused.stderr and "missing" in refused.stderr
        assert not client.indices.get(index=f"{settings.index_prefix}-*", allow_no_indices=True)

        assert run_cli(settings, "init").returncode == 0
        assert run_cli(settings, "users", "list").returncode == 0

        # A newer mapping version appears (the package was upgraded): `users list` refuses again
        # and leaves the old index as it is; `init` upgrades.
        mappings = tmp_path / "mappings"
        shutil.copytree(settings.mappings_dir, mappings)
        users_v1 = json.loads((mappings / "users-v1.json").read_text())
        _write_mapping(mappings, "users-v2.json", users_v1)
        upgraded = replace(settings, mappings_dir=mappings)
        before = _concrete(client, settings.index_name("users"))
        refused = run_cli(upgraded, "users", "list")
        assert refused.returncode != 0 and "outdated" in refused.stderr
        assert "sohoa init" in refused.stderr
        assert _concrete(client, settings.index_name("users")) == before
        assert run_cli(upgraded, "init").returncode == 0
        assert index_states(client, upgraded)[settings.index_name("users")] == "current"
    finally:
        drop_all(client, settings)


def test_rebuild_keeps_every_write_that_lands_during_the_copy(
        things: tuple[Settings, Elasticsearch]) -> None:
    settings, client = things
    alias = settings.index_name("things")
    _fill(client, alias, 20_000)
    _write_mapping(settings.mappings_dir, "things-v2.json", THINGS_V2)

    acknowledged: dict[str, int] = {}
    stop = threading.Event()

    def writer() -> None:
        # Updates of existing documents and new documents, through the alias, as the app does.
        writes = Elasticsearch(settings.es_url, request_timeout=60)
        step = 0
        while not stop.is_set() or step < 200:
            step += 1
            doc_id = f"d{(step * 7919) % 20_000}" if step % 2 else f"new{step}"
            writes.index(index=alias, id=doc_id, document={"n": step, "label": "written"})
            acknowledged[doc_id] = step

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        targets = ensure_indices(client, settings, log=lambda _m: None)
    finally:
        stop.set()
        thread.join(timeout=120)
    client.indices.refresh(index=alias)

    assert targets[alias].startswith(f"{alias}-v2-")
    assert _concrete(client, alias) == [targets[alias]]  # the old index is gone
    assert len(acknowledged) > 100  # the writer really ran during the rebuild
    found = client.mget(index=alias, ids=list(acknowledged))["docs"]
    lost = [d["_id"] for d in found
            if not d["found"] or d["_source"]["n"] != acknowledged[d["_id"]]]
    assert lost == []
    assert client.count(index=alias)["count"] == 20_000 + sum(
        1 for doc_id in acknowledged if doc_id.startswith("new"))


def test_two_inits_at_once_rebuild_once(things: tuple[Settings, Elasticsearch]) -> None:
    settings, client = things
    alias = settings.index_name("things")
    _fill(client, alias, 5_000)
    _write_mapping(settings.mappings_dir, "things-v2.json", THINGS_V2)
    results: list[dict[str, str]] = []
    threads = [threading.Thread(target=lambda: results.append(
        ensure_indices(Elasticsearch(settings.es_url, request_timeout=60), settings,
                       log=lambda _m: None))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == 2
    assert results[0][alias] == results[1][alias]
    assert client.indices.get(index=f"{alias}-v*", expand_wildcards="all").keys() == {
        results[0][alias]}
    assert client.count(index=alias)["count"] == 5_000


def test_failed_rebuild_deletes_its_half_built_index(
        things: tuple[Settings, Elasticsearch], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, client = things
    alias = settings.index_name("things")
    _fill(client, alias, 1_200)
    before = _concrete(client, alias)
    _write_mapping(settings.mappings_dir, "things-v2.json", THINGS_V2)

    from domain import indices

    real_copy = indices._copy

    def failing_copy(*args, **kwargs):
        real_copy(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(indices, "_copy", failing_copy)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_indices(client, settings, log=lambda _m: None)
    assert _concrete(client, alias) == before
    assert set(client.indices.get(index=f"{alias}-v*", expand_wildcards="all")) == set(before)
    assert client.count(index=alias)["count"] == 1_200
    assert index_states(client, settings)[alias] == "outdated"


def test_upgrading_results_recomputes_the_analysed_fields(services: str, tmp_path: Path) -> None:
    """A record indexed under the previous mapping with the previous analysis (here: a folded
    field without today's i/y spelling rule) serves today's analysis after `init`, with no
    re-ingest."""
    from domain.search.fields import build_search_fields

    old = tmp_path / "old-mappings"
    old.mkdir()
    shutil.copy(REPO / "mappings" / "results-v1.json", old / "results-v1.json")
    settings = replace(load_settings(), es_url=services, mappings_dir=old,
                       index_prefix=f"idx-{uuid.uuid4().hex[:8]}")
    client = Elasticsearch(services, request_timeout=60)
    try:
        ensure_indices(client, settings, log=lambda _m: None)
        record = {"result_id": "UP-1", "holder_name": "Lý Mạnh Huy", "status": "active",
                  "text": "Cấp cho ông Lý Mạnh Huy, kỹ sư."}
        stale = build_search_fields(record, record["text"])
        stale["search"]["text_folded"] = ["STALE"]
        client.index(index=settings.index_name("results"), id="UP-1",
                     document={**record, **stale}, refresh=True)

        new = tmp_path / "new-mappings"
        shutil.copytree(REPO / "mappings", new)
        shutil.copy(old / "results-v1.json", new / "results-v1.json")
        upgraded = replace(settings, mappings_dir=new)
        ensure_indices(client, upgraded, log=lambda _m: None)
        doc = client.get(index=settings.index_name("results"), id="UP-1")["_source"]
        assert doc["search"] == build_search_fields(doc, doc["text"])["search"]
        assert "STALE" not in doc["search"]["text_folded"]
        assert doc["party_id_numbers"] == []
    finally:
        drop_all(client, replace(settings, mappings_dir=REPO / "mappings"))
