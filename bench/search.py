"""Search latency at scale: p50/p95/p99 of a mixed query set at 1 and 8 concurrent clients over
N = 100 000 and 1 000 000 synthetic records, beside a stock multi_match on the same index;
bulk indexing rate."""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from elasticsearch import Elasticsearch, helpers

from bench import synthetic
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.search.params import SearchRequest
from domain.search.service import search
from domain.settings import Settings, load_settings
from domain.text.vietnamese import fold_diacritics

SIZES = tuple(int(n) for n in os.environ.get("SOHOA_BENCH_SIZES", "100000,1000000").split(","))
BASES = int(os.environ.get("SOHOA_BENCH_BASES", "40000"))
QUERIES_PER_KIND = 40
CONCURRENT_QUERIES = 1600


def load(
    client: Elasticsearch, settings: Settings, bases: list[dict[str, Any]], total: int
) -> float:
    """Bulk-load `total` documents (refresh off, no replicas while loading); docs/s."""
    index = settings.index_name("results")
    client.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    actions = (
        {"_index": index, "_id": d["result_id"], "_source": d}
        for d in synthetic.variants(bases, total)
    )
    started = time.perf_counter()
    for ok, item in helpers.parallel_bulk(
        client, actions, thread_count=2, chunk_size=1000, request_timeout=300
    ):
        if not ok:
            raise RuntimeError(f"bulk item failed: {item}")
    rate = total / (time.perf_counter() - started)
    client.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
    client.indices.refresh(index=index)
    client.indices.forcemerge(index=index, max_num_segments=5, request_timeout=3600)
    return rate


def query_set(bases: list[dict[str, Any]], seed: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = list(synthetic.variants(bases, len(bases)))
    queries: list[tuple[str, str]] = []
    for _ in range(QUERIES_PER_KIND):
        d = rng.choice(docs)
        holder_type = f"{d['document_type']} {d['holder_name']}".lower()
        agency_tail = " ".join(str(d.get("agency_name", "")).split()[-2:])
        summary = str(d.get("summary") or d["document_type"]).split()
        start = rng.randint(0, max(0, len(summary) - 4))
        queries += [
            ("number", d["result_number"]),
            ("id_number", d["holder_id_number"]),
            ("holder+type", holder_type),
            ("holder+type/no-diacritics", fold_diacritics(holder_type)),
            ("type+agency", f"{d['document_type']} {agency_tail}".lower()),
            ("content", " ".join(summary[start : start + 4]).lower()),
        ]
    rng.shuffle(queries)
    return queries


def _ours(client: Elasticsearch, settings: Settings, q: str) -> None:
    search(client, settings, SearchRequest(q=q))


def _stock(client: Elasticsearch, settings: Settings, q: str) -> None:
    client.search(
        index=settings.index_name("results"),
        size=10,
        _source=False,
        query={"multi_match": {"query": q, "fields": ["search.text", "search.words"]}},
    )


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"p50": statistics.median(ordered), "p95": pick(0.95), "p99": pick(0.99)}


def measure(
    fn: Any, client: Elasticsearch, settings: Settings, queries: list[tuple[str, str]], clients: int
) -> dict[str, Any]:
    work = [q for _, q in queries] * max(
        1, CONCURRENT_QUERIES // len(queries) if clients > 1 else 1
    )
    errors = 0
    latencies: list[float] = []

    def one(q: str) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            fn(client, settings, q)
        except Exception:  # noqa: BLE001 - a benchmark counts every failure as an error
            errors += 1
            return
        latencies.append((time.perf_counter() - started) * 1000)

    for _, q in queries[:20]:  # warm caches the same way for both sides
        one(q)
    latencies.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, work))
    elapsed = time.perf_counter() - started
    return {
        **_percentiles(latencies),
        "queries": len(work),
        "errors": errors,
        "qps": len(work) / elapsed,
    }


def run() -> tuple[dict[str, Any], str]:
    base_settings = load_settings()
    print(f"making {BASES} analysed base records…", flush=True)
    bases = synthetic.make_bases(BASES)
    queries = query_set(bases)
    figures: dict[str, Any] = {}
    rows = []
    for size in SIZES:
        settings = replace(
            base_settings, index_prefix=f"bench-search-{uuid.uuid4().hex[:6]}", today=None
        )
        client = make_client(settings, timeout_s=300)
        ensure_indices(client, settings, log=lambda _m: None)
        try:
            print(f"loading {size:,} records…", flush=True)
            rate = load(client, settings, bases, size)
            result = {"index_docs_per_s": rate}
            for clients in (1, 8):
                result[f"ours_{clients}"] = measure(_ours, client, settings, queries, clients)
                result[f"stock_{clients}"] = measure(_stock, client, settings, queries, clients)
            figures[size] = result
            for clients in (1, 8):
                o, s = result[f"ours_{clients}"], result[f"stock_{clients}"]
                rows.append(
                    f"| {size:,} | {clients} | {o['p50']:.1f} / {o['p95']:.1f} / {o['p99']:.1f} "
                    f"| {o['errors']} | {s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f} "
                    f"| {o['p50'] / s['p50']:.2f} | {o['qps']:.0f} |"
                )
            rows.append(f"| {size:,} | indexing | {rate:,.0f} docs/s (bulk, 2 threads) | | | | |")
        finally:
            drop_all(client, settings)
    body = f"""Data: synthetic records from the dev-text seeds ({BASES:,} distinct analysed
bases with new holders, each repeated with fresh result number, ID number, dates and status; see
`bench/synthetic.py`). Query set: {len(queries)} queries, {QUERIES_PER_KIND} of each kind (number,
ID number, holder+type with and without diacritics, type+agency, content phrase), taken from the
generated records. "ours" = `domain.search.service.search` as the API runs it (parse, ranking query,
facets, highlights); "stock" = a plain `multi_match` on the same index (no facets/highlights).
At 8 clients, {CONCURRENT_QUERIES} queries are spread over 8 threads. Latency in ms.

| records | clients | ours p50 / p95 / p99 | errors | stock p50 / p95 / p99 | p50 ratio | ours q/s |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    return figures, body
