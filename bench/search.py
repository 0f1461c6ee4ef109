"""Search latency at scale: p50/p95/p99 of a mixed query set at 1 and 8 concurrent clients over
N = 100 000 and 1 000 000 synthetic records, beside a stock multi_match on the same index;
bulk indexing rate."""

from __future__ import annotations

import gc
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
from domain.search import query_kinds
from domain.search.params import SearchRequest
from domain.search.service import search
from domain.settings import Settings, load_settings
from domain.text.vietnamese import fold_diacritics

SIZES = tuple(int(n) for n in os.environ.get("SOHOA_BENCH_SIZES", "100000,1000000").split(","))
BASES = int(os.environ.get("SOHOA_BENCH_BASES", "40000"))
QUERIES_PER_KIND = 40
FORGIVING_PER_KIND = 15  # x4 kinds = 60: a fifth of the 300 queries
CONCURRENT_QUERIES = 1600
# Before each measurement, both sides answer this many queries of another draw (WARMUP_SEED),
# none of them a measured query: the node's search code is then compiled and its caches hold
# what a node that has served a while holds, but no answer to a measured query. Before, 20 of
# the measured queries warmed up, so "ours", measured first, paid the warm-up of a node that
# had only indexed, and stock came after it.
WARMUP_QUERIES = 300
WARMUP_SEED = 6


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


def _typo(words: list[str], rng: random.Random) -> str:
    long = [i for i, w in enumerate(words) if len(w) >= 4] or [0]
    k = rng.choice(long)
    return " ".join([*words[:k], query_kinds.one_edit(words[k], rng), *words[k + 1:]])


def _i_y(words: list[str], rng: random.Random) -> str:
    swaps = [(i, s) for i, w in enumerate(words) if (s := query_kinds.swap_i_y(w))]
    if not swaps:
        return _typo(words, rng)
    k, swapped = rng.choice(swaps)
    return " ".join([*words[:k], swapped, *words[k + 1:]])


def forgiving_queries(docs: list[dict[str, Any]], rng: random.Random) -> list[tuple[str, str]]:
    """What relaxed search is for: typo in a holder or a content word, i/y spelling, one word
    that matches nothing (domain.search.query_kinds)."""
    queries: list[tuple[str, str]] = []
    for _ in range(FORGIVING_PER_KIND):
        d = rng.choice(docs)
        kind, holder = d["document_type"].lower(), str(d["holder_name"]).split()
        summary = str(d.get("summary") or d["document_type"]).split()
        start = rng.randint(0, max(0, len(summary) - 4))
        queries += [
            ("typo/holder+type", f"{kind} {_typo(holder, rng)}"),
            ("i/y/holder+type", f"{kind} {_i_y(holder, rng)}"),
            ("unmatched/holder+type",
             f"{kind} {' '.join(holder)} {query_kinds.absent_syllable(set(), rng)}"),
            ("typo/content", _typo(summary[start:start + 4], rng).lower()),
        ]
    return queries


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
    queries += forgiving_queries(docs, rng)
    rng.shuffle(queries)
    return queries


def warmup_set(bases: list[dict[str, Any]], measured: list[tuple[str, str]],
               size: int = WARMUP_QUERIES) -> list[tuple[str, str]]:
    """Queries of another draw, without any that folds to a measured one (its count would
    come from Elasticsearch's request cache, its term statistics from ours)."""
    seen = {_folded(q) for _, q in measured}
    return [item for item in query_set(bases, seed=WARMUP_SEED) if _folded(item[1]) not in seen
            ][:size]


def _folded(q: str) -> str:
    return " ".join(fold_diacritics(q).lower().split())


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


def _concurrent_repeats(queries: int) -> int:
    """How many times the concurrent measurement sends the query set: about
    CONCURRENT_QUERIES queries in all."""
    return max(1, CONCURRENT_QUERIES // queries)


def measure(
    fn: Any, client: Elasticsearch, settings: Settings, queries: list[tuple[str, str]],
    clients: int, warmup: list[tuple[str, str]],
) -> dict[str, Any]:
    work = queries * (_concurrent_repeats(len(queries)) if clients > 1 else 1)
    errors = 0
    latencies: list[tuple[str, float]] = []

    def one(item: tuple[str, str]) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            fn(client, settings, item[1])
        except Exception:  # noqa: BLE001 - a benchmark counts every failure as an error
            errors += 1
            return
        latencies.append((item[0], (time.perf_counter() - started) * 1000))

    # The collector as a web worker has it (app/wsgi.py): what this process holds by now (the
    # records it generated, the segmenter) frozen, else each full collection walks it in the
    # middle of whichever side's query set it off (one pass of 210 ms during ours at 1 client,
    # five of up to 320 ms at 8, none during stock's: its queries allocate little).
    gc.collect()
    gc.freeze()
    for item in warmup:  # the same warm-up for both sides (see WARMUP_QUERIES)
        one(item)
    latencies.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, work))
    elapsed = time.perf_counter() - started
    by_kind: dict[str, list[float]] = {}
    for kind, ms in latencies:
        by_kind.setdefault(kind, []).append(ms)
    return {
        **_percentiles([ms for _, ms in latencies]),
        "queries": len(work),
        "errors": errors,
        "qps": len(work) / elapsed,
        "by_kind": {k: _percentiles(v) for k, v in sorted(by_kind.items())},
    }


def _kind_rows(size: int, result: dict[str, Any]) -> list[str]:
    ours, stock = result["ours_1"]["by_kind"], result["stock_1"]["by_kind"]
    return [f"| {size:,} | {kind} | {o['p50']:.1f} / {o['p99']:.1f} "
            f"| {stock[kind]['p50']:.1f} / {stock[kind]['p99']:.1f} |"
            for kind, o in ours.items() if kind in stock]


def run() -> tuple[dict[str, Any], str]:
    base_settings = load_settings()
    print(f"making {BASES} analysed base records…", flush=True)
    bases = synthetic.make_bases(BASES)
    queries = query_set(bases)
    warmup = warmup_set(bases, queries)
    figures: dict[str, Any] = {}
    rows: list[str] = []
    kind_rows: list[str] = []
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
                result[f"ours_{clients}"] = measure(_ours, client, settings, queries, clients,
                                                    warmup)
                result[f"stock_{clients}"] = measure(_stock, client, settings, queries,
                                                     clients, warmup)
            figures[size] = result
            for clients in (1, 8):
                o, s = result[f"ours_{clients}"], result[f"stock_{clients}"]
                rows.append(
                    f"| {size:,} | {clients} | {o['p50']:.1f} / {o['p95']:.1f} / {o['p99']:.1f} "
                    f"| {o['errors']} | {s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f} "
                    f"| {o['p50'] / s['p50']:.2f} | {o['qps']:.0f} |"
                )
            rows.append(f"| {size:,} | indexing | {rate:,.0f} docs/s (bulk, 2 threads) | | | | |")
            kind_rows += _kind_rows(size, result)
        finally:
            drop_all(client, settings)
    concurrent = len(queries) * _concurrent_repeats(len(queries))
    body = f"""Data: synthetic records from the dev-text seeds ({BASES:,} distinct analysed
bases with new holders, each repeated with fresh result number, ID number, dates and status; see
`bench/synthetic.py`). Query set: {len(queries)} queries, {QUERIES_PER_KIND} of each kind (number,
ID number, holder+type with and without diacritics, type+agency, content phrase), and a fifth
that needs forgiving: {FORGIVING_PER_KIND} each of a typo in the holder, an i/y spelling of it,
one word that matches nothing, a typo in a content phrase (relaxed search), all taken from the
generated records. "ours" = `domain.search.service.search` as the API runs it (parse, ranking query,
facets, highlights); "stock" = a plain `multi_match` on the same index (no facets/highlights).
At 8 clients, {concurrent} queries are spread over 8 threads. Before each measurement, both
sides answer the same {len(warmup)} warm-up queries of another draw (none folds to a measured
query), so neither is measured on a node that has only indexed; and this process's objects are
first frozen out of Python's cyclic collector, as a web worker's are (`app/wsgi.py`). Latency
in ms.

| records | clients | ours p50 / p95 / p99 | errors | stock p50 / p95 / p99 | p50 ratio | ours q/s |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Per query kind at 1 client (p50 / p99 ms; the forgiving kinds run the relaxed search):

| records | kind | ours | stock |
|---|---|---|---|
{chr(10).join(kind_rows)}
"""
    return figures, body
