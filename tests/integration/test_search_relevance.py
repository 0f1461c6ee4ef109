"""Relevance on dev-text (3 000 records, 174 queries) against a stock-BM25 baseline built from the
same records in the same run. Needs Elasticsearch; no OCR (the records are `.txt`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from domain.search import evaluation as se
from domain.search import query_kinds
from domain.text.vietnamese import fold_diacritics, syllables
from tests.support.paths import SHARED

pytestmark = pytest.mark.services

DEV_TEXT = SHARED / "corpus" / "dev-text"
TODAY = dt.date(2026, 11, 25)
NO_DIACRITICS = "/no-diacritics"


@pytest.fixture(scope="module")
def relevance_run(services: str) -> Iterator[dict[str, Any]]:
    es = Elasticsearch(services, request_timeout=120)
    prefix = f"relevance-test-{uuid.uuid4().hex[:8]}"
    ours_index, base_index = f"{prefix}-ours", f"{prefix}-baseline"
    try:
        pairs = se.corpus_pairs(DEV_TEXT)
        se.index_corpus(es, ours_index, pairs)
        se.create_baseline_index(es, base_index)
        se.fill_baseline_index(es, base_index, pairs)
        queries = se.load_queries(DEV_TEXT / "queries.jsonl")
        search = se.ours_search_fn(TODAY)
        twins = _accented_twins(queries, {r["result_id"]: (r, t) for r, t in pairs})
        yield {
            "ours": se.run_eval(es, ours_index, queries, search),
            "baseline": se.run_eval(es, base_index, queries, se.baseline_search),
            "twins": se.run_eval(es, ours_index, twins, search),
            "folded": se.run_eval(es, ours_index, twins_of(queries), search),
        }
    finally:  # by name: wildcard deletes may be refused (action.destructive_requires_name)
        es.indices.delete(index=[ours_index, base_index], ignore_unavailable=True)


def twins_of(queries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [q for q in queries if q["kind"].endswith(NO_DIACRITICS)]


def _accented_twins(
    queries: Sequence[Mapping[str, Any]], records: Mapping[str, tuple[Mapping[str, Any], str]]
) -> list[dict[str, Any]]:
    """Each no-diacritics query with its marks put back, read from its first relevant record:
    the same query typed both ways, so the comparison measures diacritics and nothing else."""
    twins = []
    for q in twins_of(queries):
        record, text = records[q["relevant"][0]]
        values = [text, *(str(v) for v in record.values() if isinstance(v, str))]
        values += [p.get("name", "") for p in record.get("other_parties") or []]
        twins.append(dict(q) | {"query": _reaccent(syllables(q["query"]), values)})
    return twins


def _reaccent(folded: list[str], values: list[str]) -> str:
    # Greedy: the longest run of query syllables found (folded) in one of the record's strings.
    seqs = [syllables(v) for v in values]
    out, i = [], 0
    while i < len(folded):
        best: list[str] = []
        for seq in seqs:
            for j in range(len(seq)):
                n = 0
                while i + n < len(folded) and j + n < len(seq):
                    if fold_diacritics(seq[j + n]) != folded[i + n]:
                        break
                    n += 1
                if n > len(best):
                    best = seq[j : j + n]
        out += best or [folded[i]]
        i += max(1, len(best))
    return " ".join(out)


def test_report_is_printed(relevance_run: dict[str, Any]) -> None:
    print("\n" + se.format_report(relevance_run["ours"], relevance_run["baseline"]))
    print("no-diacritics queries vs the same queries with marks (nDCG@10):")
    for kind, scores in relevance_run["folded"]["by_kind"].items():
        twin = relevance_run["twins"]["by_kind"][kind]["ndcg@10"]
        print(f"  {kind:<40} {scores['ndcg@10']:.3f} vs {twin:.3f}")
    assert relevance_run["ours"]["overall"]["n"] == 174


def test_clearly_better_than_stock_bm25(relevance_run: dict[str, Any]) -> None:
    ours = relevance_run["ours"]["overall"]["ndcg@10"]
    baseline = relevance_run["baseline"]["overall"]["ndcg@10"]
    assert ours >= baseline + 0.15, (ours, baseline)
    assert ours >= 0.95, ours


def test_no_diacritics_ranks_like_its_accented_twin(relevance_run: dict[str, Any]) -> None:
    folded = relevance_run["folded"]["by_kind"]
    accented = relevance_run["twins"]["by_kind"]
    assert folded, "dev-text has no-diacritics queries"
    for kind, scores in folded.items():
        gap = accented[kind]["ndcg@10"] - scores["ndcg@10"]
        assert gap <= 0.05, (kind, scores["ndcg@10"], accented[kind]["ndcg@10"])


@pytest.fixture(scope="module")
def forgiving_run(services: str) -> Iterator[dict[str, Any]]:
    """The generated forgiving kinds (domain.search.query_kinds) on dev-text, some records'
    text misread, ours and stock on the same records."""
    es = Elasticsearch(services, request_timeout=120)
    prefix = f"relevance-forgiving-{uuid.uuid4().hex[:8]}"
    ours_index, base_index = f"{prefix}-ours", f"{prefix}-baseline"
    try:
        made = query_kinds.generate(se.corpus_pairs(DEV_TEXT))
        se.index_corpus(es, ours_index, made.damaged_pairs)
        se.create_baseline_index(es, base_index)
        se.fill_baseline_index(es, base_index, made.damaged_pairs)
        yield {
            "ours": se.run_eval(es, ours_index, made.queries, se.ours_search_fn(TODAY)),
            "baseline": se.run_eval(es, base_index, made.queries, se.baseline_search),
        }
    finally:
        es.indices.delete(index=[ours_index, base_index], ignore_unavailable=True)


def test_forgiving_kinds_found_and_better_than_stock(forgiving_run: dict[str, Any]) -> None:
    ours, base = forgiving_run["ours"]["by_kind"], forgiving_run["baseline"]["by_kind"]
    print("\n" + se.format_report(forgiving_run["ours"], forgiving_run["baseline"]))
    assert set(ours) == {"typo", "i/y", "partial-diacritics", "unmatched-word", "ocr-damaged"}
    for kind, scores in ours.items():
        assert scores["n"] >= 20, kind
        assert scores["ndcg@10"] >= 0.95, (kind, scores)
        assert scores["ndcg@10"] >= base[kind]["ndcg@10"], (kind, scores, base[kind])
