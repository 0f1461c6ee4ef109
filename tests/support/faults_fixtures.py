"""Helpers for the fault tests: services of their own on free ports (so the shared dev node and
Redis are never stopped, and two test sessions never meet), a .txt corpus cut from dev-text,
and waiting that tolerates a service being down."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from elasticsearch import ApiError, Elasticsearch, TransportError

from app.devstack import elasticsearch as es_dev
from app.devstack.stack import default_stack_dir
from indexer.jobs import STATES, JobStore
from tests.conftest import SHARED

DEV_TEXT = SHARED / "corpus" / "dev-text"


def txt_corpus(target: Path, count: int, offset: int = 0) -> Path:
    """`count` born-digital records of dev-text (fast to index) with their own manifest."""
    (target / "files").mkdir(parents=True, exist_ok=True)
    lines = (DEV_TEXT / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = lines[offset:offset + count]
    for line in chosen:
        for name in json.loads(line)["files"]:
            shutil.copy(DEV_TEXT / name, target / name)
    manifest = target / "manifest.jsonl"
    manifest.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return manifest


def wait_for(predicate: Callable[[], Any], timeout_s: float, interval_s: float = 0.5,
             what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy; a service error counts as 'not yet'."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if value := predicate():
                return value
        except (ApiError, TransportError, redis.RedisError):
            pass
        time.sleep(interval_s)
    raise TimeoutError(f"{what} not reached within {timeout_s:.0f}s")


def batch_counts(store: JobStore, batch_id: str) -> dict[str, int]:
    """How many jobs of a batch are in each state (read through the store's search)."""
    store.client.indices.refresh(index=store.index)
    counts = dict.fromkeys(STATES, 0)
    for job in store.search({"term": {"batch_id": batch_id}}, fields=["state"]):
        counts[job["state"]] += 1
    return counts


def wait_batch(store: JobStore, batch_id: str, total: int, timeout_s: float) -> dict[str, int]:
    """Wait until every job of the batch is done; on timeout, fail naming what is left."""
    try:
        return wait_for(lambda: (c := batch_counts(store, batch_id))["done"] == total and c,
                        timeout_s, 1.0, f"all {total} records done")
    except TimeoutError:
        left = list(store.search({"bool": {"filter": [{"term": {"batch_id": batch_id}}],
                                           "must_not": [{"term": {"state": "done"}}]}},
                                 fields=["result_id", "state", "error", "updated_at"]))
        raise AssertionError(f"{len(left)} of {total} not done after {timeout_s:.0f}s: "
                             f"{left[:5]}") from None


def batch_id_of(ingest_stdout: str) -> str:
    for word in ingest_stdout.split():
        if word.rstrip(":").count("-") == 2 and word[:8].isdigit():
            return word.rstrip(":")
    raise AssertionError(f"no batch id in: {ingest_stdout!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a free port, without persistence (like the stack)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=(self.workdir / "redis.log").open("ab"), stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_for(client.ping, 20, 0.1, f"redis on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: the queue and every unacknowledged message are gone with it."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass(frozen=True)
class FaultNode(es_dev.EsNode):
    """A single Elasticsearch node on free ports of its own, never the shared one on 9200."""

    http: int = 0
    transport: int = 0

    @property
    def name(self) -> str:
        return "sohoa-fault-node"

    @property
    def http_port(self) -> int:
        return self.http

    @property
    def transport_port(self) -> int:
        return self.transport


class OwnElasticsearch:
    """Start, SIGKILL and restart a dedicated node (its data survives a restart). Ports and
    folder are this instance's own, so two test sessions on one machine never collide."""

    def __init__(self, heap: str = "512m") -> None:
        self.stack_dir = default_stack_dir()
        folder = self.stack_dir / f"es-faults-{uuid.uuid4().hex[:8]}"
        self.node = FaultNode(1, folder, 1, free_port(), free_port())
        self.heap = heap

    @property
    def url(self) -> str:
        return self.node.url

    def start(self) -> None:
        dist = es_dev.distribution(self.stack_dir, print)
        es_dev.start_node(self.node, [self.node], dist, self.heap, self.stack_dir / "snapshots")
        es_dev.wait_healthy(self.url, 1, timeout_s=180)

    def pid(self) -> int | None:
        return es_dev.read_pid(self.node.pid_file)

    def kill(self) -> None:
        if (pid := self.pid()) is not None:
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: es_dev.read_pid(self.node.pid_file) is None, 30, 0.2,
                     "Elasticsearch process gone")

    def remove(self) -> None:
        """Stop the node and delete its folder."""
        if (pid := self.pid()) is not None:
            es_dev.stop_pid(pid)
        shutil.rmtree(self.node.cluster_dir, ignore_errors=True)


def forget_queue(redis_url: str, queue: str) -> None:
    """Remove a test prefix's queue and kombu's binding keys for it from a shared Redis."""
    client = redis.Redis.from_url(redis_url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def wait_green_or_yellow(client: Elasticsearch, timeout_s: float = 120) -> None:
    wait_for(lambda: client.options(request_timeout=5, max_retries=0).cluster.health()["status"]
             in ("green", "yellow"), timeout_s, 1.0, "cluster health yellow/green")
