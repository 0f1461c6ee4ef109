"""Coverage at scale: bulk-load N synthetic records into an own index prefix, then time the
coverage answer (domain function and the Flask API) as of distinct dates spread over 2022-2026
(early dates match few records), and as of dates past every digitisation (all records match).

`run(n)` returns the figures; `markdown(figures)` renders them for BENCHMARKS.md. Every call
uses a different as-of date, so Elasticsearch's request cache never answers for the cluster.
The bench prefix is dropped afterwards, whatever happens.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from app.coverage.report import coverage_report
from app.coverage.series import coverage_series
from domain.agencies import Agency, AgencyStore, parse_register
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings

SAMPLE_REGISTER = Path(__file__).resolve().parents[1].parent / "shared/corpus/sample/agencies.csv"
FIRST_ISSUE = dt.date(2000, 1, 1)
PLAN_START = dt.date(2022, 1, 1)
TODAY = dt.date(2026, 11, 25)


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def synthetic_records(
    n: int, agencies: list[Agency], cutoff: dt.date, seed: int = 7
) -> Iterator[dict[str, Any]]:
    """Records spread over the register: ~70 % from the inventory (issued by the cut-off),
    the rest digitised at reception; ~10 % without digitized_on (ingestion day applies)."""
    rng = random.Random(seed)
    for i in range(n):
        agency = agencies[rng.randrange(len(agencies))]
        if rng.random() < 0.7:
            issued = _day(rng, FIRST_ISSUE, cutoff)
            digitized = _day(rng, PLAN_START, TODAY)
        else:
            issued = _day(rng, cutoff + dt.timedelta(days=1), TODAY - dt.timedelta(days=10))
            digitized = issued + dt.timedelta(days=rng.randrange(10))
        ingested = digitized + dt.timedelta(days=rng.randrange(30))
        has_date = rng.random() >= 0.1
        yield {
            "result_id": f"B{i:08d}",
            "agency_code": agency.agency_code,
            "agency_name": agency.agency_name,
            "agency_level": agency.level,
            "issued_on": issued.isoformat(),
            "status": "active",
            "digitized_on": digitized.isoformat() if has_date else None,
            "digitized_effective": (digitized if has_date else ingested).isoformat(),
            "quality_flags": ["low-confidence"] if rng.random() < 0.03 else [],
        }


def _timed(calls: int, action: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(calls):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def _load(client: Elasticsearch, settings: Settings, agencies: list[Agency], n: int) -> float:
    alias = settings.index_name("results")
    index = next(iter(client.indices.get_alias(name=alias)))
    client.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    started = time.perf_counter()
    actions = (
        {"_index": index, "_id": doc["result_id"], "_source": doc}
        for doc in synthetic_records(n, agencies, settings.coverage_cutoff)
    )
    for ok, item in helpers.parallel_bulk(
        client, actions, thread_count=2, chunk_size=5000, queue_size=4
    ):
        if not ok:
            raise RuntimeError(f"bulk load failed: {item}")
    client.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
    client.indices.refresh(index=index)
    return time.perf_counter() - started


def run(n_records: int, calls: int = 25) -> dict[str, Any]:
    """Load `n_records`, time `calls` coverage answers; drop the bench indices afterwards."""
    from app import create_app
    from app.auth.accounts import AccountStore

    settings = replace(
        load_settings(), index_prefix=f"bench-cov-{uuid.uuid4().hex[:8]}", today=TODAY
    )
    client = make_client(settings, timeout_s=300)
    ensure_indices(client, settings, log=lambda _m: None)
    try:
        agencies, _ = parse_register(SAMPLE_REGISTER.read_text(encoding="utf-8"))
        AgencyStore(client, settings).load(agencies)
        load_s = _load(client, settings, agencies, n_records)
        count = client.count(index=settings.index_name("results"))["count"]
        dates = [PLAN_START + dt.timedelta(days=37 * i + 3) for i in range(calls)]
        coverage_report(client, settings, TODAY)  # one warm-up (JIT, field data, connections)
        domain = _timed(calls, lambda i: coverage_report(client, settings, dates[i]))
        token = AccountStore(client, settings).add("bench-manager", "manager")
        api = create_app({"SOHOA_SETTINGS": settings, "TESTING": True}).test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def api_call(days: list[dt.date]) -> Callable[[int], None]:
            def call(i: int) -> None:
                response = api.get(
                    "/api/v1/coverage", headers=headers, query_string={"as_of": days[i].isoformat()}
                )
                if response.status_code != 200:
                    raise RuntimeError(f"coverage API answered {response.status_code}")

            return call

        # Fresh dates (not those of the domain calls), so no answer comes from a cache; then
        # the worst case: dates past every digitisation, where every record is counted.
        api_times = _timed(calls, api_call([d + dt.timedelta(days=11) for d in dates]))
        api_full = _timed(calls, api_call([TODAY + dt.timedelta(days=1 + i) for i in range(calls)]))
        series = _timed(
            calls,
            lambda i: coverage_series(
                client, settings, PLAN_START, dates[i] + dt.timedelta(days=400)
            ),
        )
        return {
            "n_records": count,
            "agencies": len(agencies),
            "calls": calls,
            "load_s": round(load_s, 1),
            "load_docs_per_s": round(count / load_s),
            "coverage_domain": _summary(domain),
            "coverage_api": _summary(api_times),
            "coverage_api_all_records": _summary(api_full),
            "series_domain": _summary(series),
        }
    finally:
        drop_all(client, settings)


def markdown(figures: dict[str, Any]) -> str:
    rows = [
        ("`coverage_report` (register + aggregation + arithmetic)", figures["coverage_domain"]),
        (
            "`GET /api/v1/coverage` via the Flask test client (incl. token check)",
            figures["coverage_api"],
        ),
        (
            "the same, as of dates on/after the last digitisation (every record counted)",
            figures["coverage_api_all_records"],
        ),
        ("`coverage_series` (monthly histogram, dashboard chart)", figures["series_domain"]),
    ]
    lines = [
        f"{figures['n_records']:,} synthetic records over {figures['agencies']} agencies, "
        f"bulk-loaded in {figures['load_s']} s ({figures['load_docs_per_s']:,} docs/s); "
        f"{figures['calls']} calls each, every one as of a different date. Target: median "
        "< 500 ms.",
        "",
        "| what | median | p95 | min | max |",
        "|---|---|---|---|---|",
    ]
    for label, s in rows:
        lines.append(
            f"| {label} | {s['median_ms']} ms | {s['p95_ms']} ms | {s['min_ms']} ms | "
            f"{s['max_ms']} ms |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print(markdown(result))
