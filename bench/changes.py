"""Cost of keeping every version (issue 15): the ingest write before (one `external_gte` index
request) and now (read, compare-and-swap write, history entry), and an officer's edit (with the
wait for search to serve it), on an own index prefix that is dropped afterwards.

    python3 -m bench.changes [N]
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.edits import edit
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.pipeline import write_document


def _doc(n: int, version: int) -> dict[str, Any]:
    return {"result_id": f"B-{n:06d}", "ingest_version": version, "holder_name": f"Người {n}",
            "agency_code": "H26.B", "issued_on": "2020-01-01", "status": "active",
            "valid_from": "2020-01-01", "text": f"Giấy phép số {n}/2020 " * 40}


def _timed(calls: list[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms (n={len(times)})"


def run(n: int) -> dict[str, str]:
    settings: Settings = replace(load_settings(), index_prefix=f"bench-chg-{uuid.uuid4().hex[:6]}")
    client = make_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    index = settings.index_name("results")
    try:
        before = _timed([lambda i=i: client.index(  # the write path before this change
            index=index, id=f"OLD-{i}", document=_doc(i, 1000), version=1000,
            version_type="external_gte") for i in range(n)])
        first = _timed([lambda i=i: write_document(client, settings, _doc(i, 1000))
                        for i in range(n)])
        again = _timed([lambda i=i: write_document(client, settings, _doc(i, 2000))
                        for i in range(n)])
        edits = _timed([lambda i=i: edit(client, settings, f"B-{i:06d}",
                                         {"holder_name": f"Người sửa {i}"}, None, "bench",
                                         expected_version=2)
                        for i in range(min(n, 50))])
    finally:
        drop_all(client, settings)
    return {"ingest write before (one external_gte index)": _summary(before),
            "ingest write now, new record (get, create, history)": _summary(first),
            "ingest write now, re-ingest (get, CAS write, history)": _summary(again),
            "edit with refresh=wait_for (search serves it on return)": _summary(edits)}


if __name__ == "__main__":
    for name, figure in run(int(sys.argv[1]) if len(sys.argv) > 1 else 300).items():
        print(f"{name}: {figure}")
