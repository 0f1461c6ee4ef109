"""What search reads from the whole results index and keeps for a short while, so it costs no
request per search:
- the phrases a query may name (document types, agency names). A phrase added by new records is
  recognised within `TTL_S`; until then the query still finds those records, through the plain
  free-text path (domain.search.query.Vocabulary says why it helps);
- the display names of the codes facets count (agency, procedure). Counting them per search
  (a name sub-aggregation under each code) cost some 40 % of a broad query's facets at a million
  records; a code newer than `TTL_S` is shown without its name meanwhile.
Both are reloaded in the background once stale (IndexCache), never while a search waits.
"""

from __future__ import annotations

import logging
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
logger = logging.getLogger(__name__)


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


def _in_background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="sohoa-cache-refresh", daemon=True).start()


class IndexCache(Generic[T]):
    """One value per index (thread-safe). The first search of an index loads it; once older
    than `ttl_s` it is reloaded in the background (`spawn`), the searches meanwhile served the
    value they had: a reload reads the whole index (some 700 ms at a million records), which
    no search should wait for. A reload that fails is logged and tried again by a later get."""

    def __init__(self, load: Callable[[Elasticsearch, str], T], ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = _in_background) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._clock = clock
        self._spawn = spawn
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, T]] = {}
        self._reloading: set[str] = set()

    def get(self, client: Elasticsearch, index: str) -> T:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(index)
            stale = entry is not None and now - entry[0] >= self._ttl_s \
                and index not in self._reloading
            if stale:
                self._reloading.add(index)
        if entry is None:
            return self._store(index, now, self._load(client, index))
        if stale:
            self._spawn(lambda: self._reload(client, index))
        return entry[1]

    def _store(self, index: str, loaded_at: float, value: T) -> T:
        with self._lock:
            self._entries[index] = (loaded_at, value)
        return value

    def _reload(self, client: Elasticsearch, index: str) -> None:
        started = self._clock()
        try:
            self._store(index, started, self._load(client, index))
        except Exception:  # a background reload has no caller to raise to: log, retry later
            what = getattr(self._load, "__name__", "value")
            logger.exception("reloading the cached %s of %s failed", what, index)
        finally:
            with self._lock:
                self._reloading.discard(index)


class VocabularyCache(IndexCache[Vocabulary]):
    """Vocabularies per index (domain.search.query.Vocabulary)."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = _in_background) -> None:
        super().__init__(load_vocabulary, ttl_s, clock, spawn)
