"""Search evaluation: nDCG@10, MRR@10, Recall@10 per query kind, ours against a stock baseline.

The baseline is what Elasticsearch gives with no Vietnamese work: the same records and text in
an index using the `standard` analyzer over the raw fields, queried by a plain `multi_match`.
`index_corpus`/`corpus_pairs` build our side the same way the pipeline does (metadata plus
`build_search_fields`), for tests and for evaluating a corpus without running OCR.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from domain.search.fields import build_search_fields

K = 10
SearchFn = Callable[[Elasticsearch, str, str], list[str]]
Pair = tuple[Mapping[str, Any], str]  # (manifest record, extracted text)
MAPPING_PATH = Path(__file__).resolve().parents[2] / "mappings" / "results-v1.json"
BASELINE_FIELDS = (
    "result_number", "document_type", "procedure_name", "agency_name", "holder_name",
    "holder_id_number", "holder_address", "summary", "other_parties", "text",
)  # fmt: skip


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = K) -> float:
    """Binary-relevance nDCG: gains 1/log2(rank+1), ideal = all relevant first."""
    dcg = sum(1 / math.log2(i + 2) for i, rid in enumerate(ranked[:k]) if rid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = K) -> float:
    return next((1 / (i + 1) for i, rid in enumerate(ranked[:k]) if rid in relevant), 0.0)


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = K) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def load_queries(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("ndcg@10", "mrr@10", "recall@10")
    return {key: statistics.fmean(r[key] for r in rows) for key in keys} | {"n": len(rows)}


def run_eval(
    es: Elasticsearch, index: str, queries: Iterable[Mapping[str, Any]], search_fn: SearchFn
) -> dict[str, Any]:
    """Run every query through `search_fn(es, index, text) -> ranked result_ids` and score it."""
    rows: list[dict[str, Any]] = []
    for q in queries:
        started = time.perf_counter()
        ranked = search_fn(es, index, q["query"])
        elapsed_ms = (time.perf_counter() - started) * 1000
        relevant = set(q["relevant"])
        rows.append({
            "qid": q.get("qid"), "kind": q.get("kind", "all"), "ms": elapsed_ms,
            "ndcg@10": ndcg_at_k(ranked, relevant), "mrr@10": mrr_at_k(ranked, relevant),
            "recall@10": recall_at_k(ranked, relevant),
        })  # fmt: skip
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    latencies = sorted(row["ms"] for row in rows) or [0.0]
    return {
        "overall": _mean_metrics(rows) if rows else {},
        "by_kind": {kind: _mean_metrics(r) for kind, r in sorted(by_kind.items())},
        "latency_ms": {
            "p50": statistics.median(latencies),
            "p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        },
        "queries": rows,
    }


def format_report(ours: Mapping[str, Any], baseline: Mapping[str, Any]) -> str:
    """Side-by-side table: per kind and overall, ours vs baseline nDCG/MRR/Recall and the ratio."""
    head = f"{'kind':<40}{'n':>4}  {'nDCG ours':>9} {'base':>6} {'ratio':>6}"
    head += f"  {'MRR ours':>8} {'base':>6}  {'R@10 ours':>9} {'base':>6}"
    lines = [head, "-" * len(head)]
    kinds = [(k, ours["by_kind"][k], baseline["by_kind"].get(k, {})) for k in ours["by_kind"]]
    for name, o, b in [*kinds, ("OVERALL", ours["overall"], baseline["overall"])]:
        bn = b.get("ndcg@10", 0.0)
        ratio = f"{o['ndcg@10'] / bn:6.2f}" if bn else "     -"
        lines.append(
            f"{name:<40}{o['n']:>4}  {o['ndcg@10']:9.3f} {bn:6.3f} {ratio}"
            f"  {o['mrr@10']:8.3f} {b.get('mrr@10', 0.0):6.3f}"
            f"  {o['recall@10']:9.3f} {b.get('recall@10', 0.0):6.3f}"
        )
    lat_o, lat_b = ours["latency_ms"], baseline["latency_ms"]
    lines.append(
        f"latency ms p50/p95: ours {lat_o['p50']:.1f}/{lat_o['p95']:.1f}, "
        f"baseline {lat_b['p50']:.1f}/{lat_b['p95']:.1f}"
    )
    return "\n".join(lines)


# --- corpora ------------------------------------------------------------------------------


def corpus_pairs(corpus_dir: str | Path, text_dir: str | None = None) -> list[Pair]:
    """(record, text) for each manifest line. Text from `text_dir/<result_id>.txt` (e.g. `truth`)
    when given, else from the record's own `.txt` files: no OCR involved."""
    root = Path(corpus_dir)
    pairs: list[Pair] = []
    for record in load_queries(root / "manifest.jsonl"):
        if text_dir:
            paths = [root / text_dir / f"{record['result_id']}.txt"]
        else:
            paths = [root / f for f in record.get("files", []) if str(f).endswith(".txt")]
        text = "\f".join(p.read_text(encoding="utf-8") for p in paths if p.is_file())
        pairs.append((record, text))
    return pairs


def _bulk(es: Elasticsearch, index: str, docs: Iterable[dict[str, Any]]) -> None:
    actions = ({"_index": index, "_id": d["result_id"], "_source": d} for d in docs)
    helpers.bulk(es.options(request_timeout=120), actions, chunk_size=500)
    es.indices.refresh(index=index)


@cache
def _mapping() -> dict[str, Any]:
    return json.loads(MAPPING_PATH.read_text(encoding="utf-8"))


def results_document(record: Mapping[str, Any], text: str) -> dict[str, Any]:
    """A results-index document as the pipeline makes one, minus files/pages/ingest bookkeeping."""
    known = _mapping()["mappings"]["properties"]
    doc = {k: v for k, v in record.items() if k in known and k not in ("files", "pages")}
    ids = [record.get("holder_id_number")]
    ids += [p.get("id_number") for p in record.get("other_parties") or []]
    doc["party_id_numbers"] = sorted({str(i) for i in ids if i})
    return doc | {"text": text} | build_search_fields(record, text)


def index_corpus(es: Elasticsearch, index: str, pairs: Iterable[Pair]) -> None:
    """Create `index` from mappings/results-v1.json and fill it (tests, offline evaluation)."""
    body = _mapping()
    es.indices.create(index=index, settings=body["settings"], mappings=body["mappings"])
    _bulk(es, index, (results_document(r, t) for r, t in pairs))


# --- baseline -----------------------------------------------------------------------------


def create_baseline_index(es: Elasticsearch, index: str) -> None:
    """Stock index: `standard` analyzer on every raw field and the text, nothing Vietnamese."""
    props: dict[str, Any] = {f: {"type": "text", "analyzer": "standard"} for f in BASELINE_FIELDS}
    props["result_id"] = {"type": "keyword"}
    props["other_parties"] = {"type": "text", "analyzer": "standard"}
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"dynamic": False, "properties": props},
    )


def fill_baseline_index(es: Elasticsearch, index: str, pairs: Iterable[Pair]) -> None:
    def doc(record: Mapping[str, Any], text: str) -> dict[str, Any]:
        d = {f: record.get(f) for f in BASELINE_FIELDS if record.get(f) is not None}
        parties = record.get("other_parties") or []
        d["other_parties"] = [f"{p.get('name', '')} {p.get('id_number', '')}" for p in parties]
        return d | {"result_id": record["result_id"], "text": text}

    _bulk(es, index, (doc(r, t) for r, t in pairs))


def baseline_search(es: Elasticsearch, index: str, query: str) -> list[str]:
    body = {"multi_match": {"query": query, "fields": list(BASELINE_FIELDS)}}
    hits = es.search(index=index, query=body, size=K, _source=False)["hits"]["hits"]
    return [h["_id"] for h in hits]


def ours_search_fn(today: dt.date) -> SearchFn:
    """Our search as a SearchFn: exactly the service's search (parse with the index's
    vocabulary, ranked page and counts, relaxation), no filters."""
    from domain.search.params import SearchRequest
    from domain.search.service import search_index

    def search(es: Elasticsearch, index: str, query: str) -> list[str]:
        answer = search_index(es, index, SearchRequest(q=query, size=K), today=today)
        return [h["result_id"] for h in answer["hits"]]

    return search
