"""How many records hold each adjacent pair of a query's syllables.

A pair most records hold (`giấy chứng`, `đăng ký`) ranks almost nothing, yet scoring it walks
most of the index: at a million records such pairs were two thirds of a broad query's time
(see docs/search.md). The first phase leaves those pairs out and the rescore, over the best
candidates only, scores them. Frequencies come from a term-vector request on an artificial
document (the shingle field's own analyzer, no hits), kept a short while per query text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from elasticsearch import Elasticsearch

from domain.search.schema import TEXT_FOLDED, TEXT_FOLDED_SHINGLES

COMMON_PAIR_SHARE = 0.05  # a pair in more than this share of the records is "common"
TTL_S = 60.0
MAX_ENTRIES = 10_000


def common_pairs(response: Mapping[str, Any], share: float = COMMON_PAIR_SHARE) -> frozenset[str]:
    """The pairs of a term-vector answer held by more than `share` of the records."""
    vectors = response.get("term_vectors", {}).get(TEXT_FOLDED_SHINGLES, {})
    records = int(vectors.get("field_statistics", {}).get("doc_count", 0))
    return frozenset(pair for pair, stats in vectors.get("terms", {}).items()
                     if records and int(stats.get("doc_freq", 0)) > share * records)


def load_common_pairs(client: Elasticsearch, index: str, folded_text: str) -> frozenset[str]:
    parent, child = TEXT_FOLDED.split(".")  # the artificial document: {"search": {...}}
    response = client.termvectors(
        index=index, doc={parent: {child: folded_text}}, fields=[TEXT_FOLDED_SHINGLES],
        term_statistics=True, field_statistics=True, positions=False, offsets=False,
        realtime=False)
    return common_pairs(response.body)


class PairStats:
    """Common pairs per (index, folded query text), each entry reloaded after `ttl_s`; at most
    `max_entries` kept, the least recently used dropped first (thread-safe)."""

    def __init__(self, ttl_s: float = TTL_S, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._max, self._clock = ttl_s, max_entries, clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], tuple[float, frozenset[str]]] = OrderedDict()

    def get(self, client: Elasticsearch, index: str, folded_text: str) -> frozenset[str]:
        key, now = (index, folded_text), self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry and now - entry[0] < self._ttl_s:
                self._entries.move_to_end(key)
                return entry[1]
        pairs = load_common_pairs(client, index, folded_text)
        with self._lock:
            self._entries[key] = (now, pairs)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return pairs
