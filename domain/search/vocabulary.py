"""The phrases a query may name (document types, agency names): read from the results index and
kept for a short while, so recognising them costs no request per search.

A phrase added by new records is recognised within `TTL_S`; until then the query still finds
those records, through the plain free-text path (domain.search.query.Vocabulary says why it helps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from elasticsearch import Elasticsearch

from domain.search.query import Vocabulary

TTL_S = 60.0
# Far above any real register (Hanoi has some 600 agencies); a terms aggregation needs a bound.
MAX_TYPES = 2_000
MAX_AGENCIES = 10_000


def load_vocabulary(client: Elasticsearch, index: str) -> Vocabulary:
    """Every document type and agency name in `index` (two terms aggregations, no hits)."""
    aggs = {
        "types": {"terms": {"field": "document_type", "size": MAX_TYPES}},
        "agencies": {"terms": {"field": "agency_name", "size": MAX_AGENCIES}},
    }
    response = client.search(index=index, size=0, aggs=aggs, track_total_hits=False)
    buckets = response["aggregations"]
    return Vocabulary.from_names(
        [b["key"] for b in buckets["types"]["buckets"]],
        [b["key"] for b in buckets["agencies"]["buckets"]],
    )


class VocabularyCache:
    """Vocabularies per index, each reloaded once older than `ttl_s` (thread-safe)."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Vocabulary]] = {}

    def get(self, client: Elasticsearch, index: str) -> Vocabulary:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(index)
        if entry and now - entry[0] < self._ttl_s:
            return entry[1]
        vocabulary = load_vocabulary(client, index)
        with self._lock:
            self._entries[index] = (now, vocabulary)
        return vocabulary
