"""A real 3-node cluster (`sohoa stack up --nodes 3`, ports 9201-9203): the sample records stay
searchable when the node holding the primary shard is SIGKILLed, and the cluster turns green
again when the node comes back. The shared dev node on 9200 is never touched."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from app.devstack import elasticsearch as es_dev
from app.devstack.stack import default_stack_dir, stop_cluster
from domain.indices import drop_all, ensure_indices
from domain.search.fields import build_search_fields
from domain.settings import Settings, load_settings
from indexer.pipeline import METADATA_FIELDS
from tests.conftest import REPO, SAMPLE, TODAY
from tests.support.faults_fixtures import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]
NODES = 3
HEAP = "512m"  # 2 cores, 3 JVMs: small heaps keep GC and start-up cheap


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[es_dev.EsNode]]:
    # The 3-node cluster has fixed ports: two test sessions on one machine take turns.
    default_stack_dir().mkdir(parents=True, exist_ok=True)
    with (default_stack_dir() / "cluster-test.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env = {**os.environ, "SOHOA_ES_HEAP": HEAP}
        up = subprocess.run(
            [sys.executable, "-m", "app.cli", "stack", "up", "--nodes", str(NODES)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=420, check=False)
        try:
            assert up.returncode == 0, up.stdout + up.stderr
            yield es_dev.cluster_nodes(default_stack_dir(), NODES)
        finally:
            stop_cluster(default_stack_dir(), NODES, log=lambda _m: None)


def sample_documents() -> list[dict[str, Any]]:
    """The sample's metadata with its true text, analysed like the pipeline does."""
    docs = []
    for line in (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = (SAMPLE / "truth" / f"{record['result_id']}.txt").read_text(encoding="utf-8")
        doc = {f: record[f] for f in METADATA_FIELDS if f in record}
        doc.update(text=text, **build_search_fields(record, text))
        docs.append(doc)
    return docs


def found_ids(client: Elasticsearch, index: str, docs: list[dict[str, Any]]) -> set[str]:
    """Records found by a full-text match of their holder's name, each filtered to itself."""
    searches: list[dict[str, Any]] = []
    for doc in docs:
        searches += [{"index": index}, {"size": 1, "_source": False, "query": {"bool": {
            "must": [{"match": {"search.text": doc["holder_name"]}}],
            "filter": [{"term": {"result_id": doc["result_id"]}}]}}}]
    found = set()
    for doc, answer in zip(docs, client.msearch(searches=searches)["responses"], strict=True):
        assert answer.get("_shards", {}).get("failed", 1) == 0, answer
        if answer["hits"]["hits"]:
            found.add(doc["result_id"])
    return found


def _health(client: Elasticsearch) -> dict[str, Any]:
    return client.options(request_timeout=5).cluster.health()


@pytest.mark.timeout(600)
def test_every_record_found_with_one_node_killed(cluster: list[es_dev.EsNode]) -> None:
    settings: Settings = replace(load_settings(), es_url=cluster[0].url, today=TODAY,
                                 index_prefix=f"cluster-{uuid.uuid4().hex[:8]}")
    # Every node's address: the client moves on when one stops answering.
    client = Elasticsearch([n.url for n in cluster], request_timeout=30, max_retries=3,
                           retry_on_timeout=True)
    assert _health(client)["number_of_nodes"] == NODES  # one cluster, not three
    aliases = ensure_indices(client, settings, log=lambda _m: None)
    index = aliases[settings.index_name("results")]
    assert client.indices.get_settings(index=index)[index]["settings"]["index"][
        "number_of_replicas"] == "1"
    docs = sample_documents()
    helpers.bulk(client, ({"_index": index, "_id": d["result_id"], "_source": d} for d in docs),
                 refresh="wait_for")
    client.cluster.health(wait_for_status="green", timeout="120s")
    every = {d["result_id"] for d in docs}
    assert found_ids(client, index, docs) == every

    primary_node = next(s["node"] for s in client.cat.shards(index=index, format="json")
                        if s["prirep"] == "p")
    victim = next(n for n in cluster if n.name == primary_node)
    pid = es_dev.read_pid(victim.pid_file)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    try:
        wait_for(lambda: _health(client)["number_of_nodes"] == NODES - 1, 90, 1.0,
                 "the cluster noticing the lost node")
        assert _health(client)["status"] in ("yellow", "green")  # no primary lost
        assert client.count(index=index)["count"] == len(docs)
        assert found_ids(client, index, docs) == every
    finally:
        dist = es_dev.distribution(default_stack_dir(), lambda _m: None)
        es_dev.start_node(victim, cluster, dist, HEAP, default_stack_dir() / "snapshots")
    wait_for(lambda: (h := _health(client))["number_of_nodes"] == NODES
             and h["status"] == "green", 300, 2.0, "green with all three nodes")
    assert found_ids(client, index, docs) == every
    drop_all(client, settings)
