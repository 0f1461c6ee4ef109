"""Load: 50 concurrent clients for 60 s of mixed searches and record views through the real web
stack (gunicorn → Flask → Elasticsearch) over 100 000 synthetic records, on loopback only.

`python3 -m bench.load [--records N] [--clients C] [--seconds S]`, or `python3 -m bench load`.
The records come from `bench/synthetic.py` (real `build_search_fields` over a set of analysed
bases, cheap metadata varied per record). Bounded: a fixed duration and a request cap.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from elasticsearch import Elasticsearch, helpers

from app.auth.accounts import AccountStore
from bench import synthetic
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from domain.text.vietnamese import fold_diacritics

REPO = Path(__file__).resolve().parents[1]
RECORDS = 100_000
BASES = 2_000
CLIENTS = 50
SECONDS = 60
MAX_REQUESTS = 500_000   # a hard cap besides the clock
SEARCH_SHARE = 0.7       # the rest are record views


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"search": [], "view": []})
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            else:
                self.latencies[kind].append(ms)

    def count(self) -> int:
        return sum(map(len, self.latencies.values())) + sum(self.errors.values())


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(values)
    at = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(at(0.95), 1),
            "p99_ms": round(at(0.99), 1)}


def load_records(client: Elasticsearch, settings: Settings, total: int) -> list[dict[str, Any]]:
    """Bulk-load `total` synthetic records; return a sample of them to build requests from."""
    bases = synthetic.make_bases(BASES)
    index = settings.index_name("results")
    client.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    actions = ({"_index": index, "_id": d["result_id"], "_source": d}
               for d in synthetic.variants(bases, total))
    for ok, item in helpers.parallel_bulk(client, actions, thread_count=2, chunk_size=1000,
                                          request_timeout=300):
        if not ok:
            raise RuntimeError(f"bulk item failed: {item}")
    client.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
    client.indices.refresh(index=index)
    return list(synthetic.variants(bases, min(total, 5_000)))


def requests_from(docs: list[dict[str, Any]], seed: int = 3) -> list[tuple[str, str]]:
    """(kind, path) pairs: searches of every query kind, and record views."""
    rng = random.Random(seed)
    paths: list[tuple[str, str]] = []
    for doc in rng.sample(docs, min(len(docs), 2_000)):
        holder_type = f"{doc['document_type']} {doc['holder_name']}".lower()
        agency_tail = " ".join(str(doc.get("agency_name", "")).split()[-2:])
        query = rng.choice([doc["result_number"], doc["holder_id_number"], holder_type,
                            fold_diacritics(holder_type),
                            f"{doc['document_type']} {agency_tail}".lower()])
        if rng.random() < SEARCH_SHARE:
            paths.append(("search", f"/api/v1/search?q={quote(query)}"))
        else:
            paths.append(("view", f"/api/v1/results/{quote(doc['result_id'])}"))
    return paths


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(settings: Settings, workers: int = 2, threads: int = 8) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "SOHOA_ES_URL": settings.es_url, "SOHOA_REDIS_URL": settings.redis_url,
           "SOHOA_INDEX_PREFIX": settings.index_prefix, "SOHOA_DATA_DIR": str(settings.data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--threads", str(threads), "--log-level", "warning", "app.wsgi:app"],
        cwd=REPO, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError("the web app did not come up within 60 s")


def drive(base: str, token: str, work: list[tuple[str, str]], clients: int, seconds: float
          ) -> dict[str, Any]:
    """`clients` threads, each in a loop over `work` until the clock or the cap runs out."""
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("load is only ever sent to this machine's loopback")
    tally = Tally()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        i = n * 37
        while time.monotonic() < stop_at and tally.count() < MAX_REQUESTS:
            kind, path = work[i % len(work)]
            i += 1
            started = time.perf_counter()
            error = None
            try:
                answer = session.get(base + path, timeout=30)
                if answer.status_code != 200:
                    error = f"http {answer.status_code}"
            except requests.RequestException as exc:
                error = type(exc).__name__
            tally.add(kind, (time.perf_counter() - started) * 1000, error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    every = [ms for values in tally.latencies.values() for ms in values]
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": tally.count(),
            "errors": sum(tally.errors.values()), "error_kinds": tally.errors,
            "requests_per_s": round(tally.count() / elapsed, 1), **percentiles(every),
            "by_kind": {kind: {"requests": len(v), **percentiles(v)}
                        for kind, v in tally.latencies.items()}}


def measure(records: int = RECORDS, clients: int = CLIENTS, seconds: float = SECONDS
            ) -> dict[str, Any]:
    base_settings = load_settings()
    settings = replace(base_settings, index_prefix=f"bench-load-{uuid.uuid4().hex[:6]}")
    client = make_client(settings, timeout_s=300)
    ensure_indices(client, settings, log=lambda _m: None)
    server = None
    try:
        started = time.monotonic()
        docs = load_records(client, settings, records)
        load_s = time.monotonic() - started
        token = AccountStore(client, settings).add("bench-load", "officer")
        server, base = serve(settings)
        work = requests_from(docs)
        warmup = drive(base, token, work[:200], min(clients, 8), 5)  # latencies not counted
        figures = drive(base, token, work, clients, seconds)
        figures.update(records=records, load_seconds=round(load_s, 1),
                       warmup_requests=warmup["requests"], warmup_errors=warmup["error_kinds"],
                       server="gunicorn 2 workers × 8 threads")
        return figures
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_all(client, settings)


def run() -> tuple[dict[str, Any], str]:
    f = measure()
    s, v = f["by_kind"]["search"], f["by_kind"]["view"]
    lat = f"{f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']}"
    body = f"""Data: {f['records']:,} synthetic records (`bench/synthetic.py`: {BASES:,} analysed
bases × cheap metadata variants), loaded in {f['load_seconds']} s. Load: {f['clients']} concurrent
clients (threads, `requests`, keep-alive) for {f['seconds']} s against `{f['server']}` on
127.0.0.1, everything (clients, web app, Elasticsearch) on the same machine. Mix:
{SEARCH_SHARE:.0%} `GET /api/v1/search` (result number, ID number, holder + type with and without
diacritics, type + agency), the rest `GET /api/v1/results/<id>`.

| requests | req/s | errors | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|---|
| {f['requests']:,} | {f['requests_per_s']} | {f['errors']} | {lat} |

| kind | requests | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|
| search | {s['requests']:,} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} |
| record view | {v['requests']:,} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} |
"""
    return f, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()
    print(json.dumps(measure(args.records, args.clients, args.seconds), indent=2))


if __name__ == "__main__":
    main()
