"""How many records hold each syllable and each adjacent pair of a query.

Four uses, one request:
- a pair most records hold (`giấy chứng`, `đăng ký`) ranks almost nothing, yet scoring it walks
  most of the index: at a million records such pairs were two thirds of a broad query's time
  (docs/search.md). The first phase leaves those pairs out; the rescore, over the best
  candidates only, scores them;
- a syllable most records hold is taken as present by the gate (domain.search.es_query);
- relaxing decides which way a syllable may be corrected by how common it is as typed
  (domain.search.relax);
- how many records match at most (domain.search.match_bound), from these counts and those of
  the role keys of the query's known phrases (`t:giay phep xay dung`).
Frequencies come from one term-vector request on an artificial document (each field's own
analyzer, no hits, ~3 ms), kept a short while per query text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from domain.search.schema import KEYS_FOLDED, TEXT_FOLDED, TEXT_FOLDED_SHINGLES

COMMON_PAIR_SHARE = 0.05  # a pair in more than this share of the records is "common"
COMMON_SYLLABLE_SHARE = 0.5  # a syllable in more than half the records: the gate assumes it
TTL_S = 60.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class TermStats:
    records: int = 0  # records with any folded text
    syllables: Mapping[str, int] = field(default_factory=dict)  # folded syllable -> records
    pairs: Mapping[str, int] = field(default_factory=dict)  # folded pair -> records
    keys: Mapping[str, int] = field(default_factory=dict)  # role key asked -> records

    def common_pairs(self, share: float = COMMON_PAIR_SHARE) -> frozenset[str]:
        """The pairs held by more than `share` of the records."""
        bound = share * self.records
        return frozenset(p for p, n in self.pairs.items() if self.records and n > bound)


    def common_syllables(self, share: float = COMMON_SYLLABLE_SHARE) -> frozenset[str]:
        """The syllables held by more than `share` of the records."""
        bound = share * self.records
        return frozenset(w for w, n in self.syllables.items() if self.records and n > bound)


def _field(response: Mapping[str, Any], name: str) -> tuple[int, dict[str, int]]:
    vectors = response.get("term_vectors", {}).get(name, {})
    records = int(vectors.get("field_statistics", {}).get("doc_count", 0))
    return records, {t: int(s.get("doc_freq", 0)) for t, s in vectors.get("terms", {}).items()}


def term_stats_from(response: Mapping[str, Any], keys: Sequence[str] = ()) -> TermStats:
    """TermStats of a term-vector answer. Terms no record holds are absent from it; of the
    role `keys` asked, those are recorded as held by none."""
    records, syllables = _field(response, TEXT_FOLDED)
    _, pairs = _field(response, TEXT_FOLDED_SHINGLES)
    _, held = _field(response, KEYS_FOLDED)
    return TermStats(records, syllables, pairs, {key: held.get(key, 0) for key in keys})


def load_term_stats(client: Elasticsearch, index: str, folded_text: str,
                    keys: Sequence[str] = ()) -> TermStats:
    """The counts of `folded_text`'s syllables and pairs, and of the role `keys`."""
    parent, child = TEXT_FOLDED.split(".")  # the artificial document: {"search": {...}}
    doc: dict[str, Any] = {child: folded_text}
    if keys:
        doc[KEYS_FOLDED.split(".")[1]] = list(keys)
    response = client.termvectors(
        index=index, doc={parent: doc},
        fields=[TEXT_FOLDED, TEXT_FOLDED_SHINGLES, KEYS_FOLDED], term_statistics=True,
        field_statistics=True, positions=False, offsets=False, realtime=False)
    return term_stats_from(response.body, keys)


class TermStatsCache:
    """TermStats per (index, folded query text, role keys), each entry reloaded after `ttl_s`;
    at most `max_entries` kept, the least recently used dropped first (thread-safe)."""

    def __init__(self, ttl_s: float = TTL_S, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._max, self._clock = ttl_s, max_entries, clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, tuple[str, ...]], tuple[float, TermStats]] = \
            OrderedDict()

    def get(self, client: Elasticsearch, index: str, folded_text: str,
            keys: Sequence[str] = ()) -> TermStats:
        key, now = (index, folded_text, tuple(keys)), self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry and now - entry[0] < self._ttl_s:
                self._entries.move_to_end(key)
                return entry[1]
        stats = load_term_stats(client, index, folded_text, keys)
        with self._lock:
            self._entries[key] = (now, stats)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return stats
