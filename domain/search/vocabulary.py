"""What search reads from the whole results index and keeps for a short while, so it costs no
request per search:
- the phrases a query may name (document types, agency names). A phrase added by new records is
  recognised within `TTL_S`; until then the query still finds those records, through the plain
  free-text path (domain.search.query.Vocabulary says why it helps);
- the display names of the codes facets count (agency, procedure). Counting them per search
  (a name sub-aggregation under each code) cost some 40 % of a broad query's facets at a million
  records; a code newer than `TTL_S` is shown without its name meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from elasticsearch import Elasticsearch

from domain.search.query import Vocabulary

TTL_S = 60.0
# Far above any real register (Hanoi has some 600 agencies); a terms aggregation needs a bound.
MAX_TYPES = 2_000
MAX_AGENCIES = 10_000
MAX_PROCEDURES = 10_000  # Vietnam's national register lists some 6 000 procedures
# Facet field -> the field holding its display name.
NAMED_FACETS = {"agency_code": "agency_name", "procedure_code": "procedure_name"}
FacetNames = Mapping[str, Mapping[str, str]]  # facet field -> code -> display name
T = TypeVar("T")


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


def load_facet_names(client: Elasticsearch, index: str) -> FacetNames:
    """Each agency and procedure code in `index` with its name (one request, no hits)."""
    sizes = {"agency_code": MAX_AGENCIES, "procedure_code": MAX_PROCEDURES}
    aggs = {field: {"terms": {"field": field, "size": sizes[field]},
                    "aggs": {"name": {"terms": {"field": name, "size": 1}}}}
            for field, name in NAMED_FACETS.items()}
    response = client.search(index=index, size=0, aggs=aggs, track_total_hits=False)
    return {field: {b["key"]: names[0]["key"]
                    for b in response["aggregations"][field]["buckets"]
                    if (names := b["name"]["buckets"])}
            for field in NAMED_FACETS}


class IndexCache(Generic[T]):
    """One value per index, each reloaded once older than `ttl_s` (thread-safe)."""

    def __init__(self, load: Callable[[Elasticsearch, str], T], ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, client: Elasticsearch, index: str) -> T:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(index)
        if entry and now - entry[0] < self._ttl_s:
            return entry[1]
        value = self._load(client, index)
        with self._lock:
            self._entries[index] = (now, value)
        return value


class VocabularyCache(IndexCache[Vocabulary]):
    """Vocabularies per index (domain.search.query.Vocabulary)."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(load_vocabulary, ttl_s, clock)
