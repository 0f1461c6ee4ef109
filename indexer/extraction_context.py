"""What field extraction needs from the index: the agency register and the document types the
index already holds (confirmed or given by a manifest). Cached per worker process for a minute,
so a batch does not read them once per record; a register whose size changed (an agency list
was just loaded) is read again at once."""

from __future__ import annotations

import threading
import time

from elasticsearch import Elasticsearch, NotFoundError

from domain.agencies import AgencyStore
from domain.review import PENDING_QUERY
from domain.settings import Settings
from indexer.metadata import Register

_TTL_S = 60.0
_LOCK = threading.Lock()
_CACHE: dict[str, tuple[float, int, Register, tuple[str, ...]]] = {}


def _known_types(client: Elasticsearch, index: str) -> tuple[str, ...]:
    try:
        response = client.search(index=index, size=0, query={"bool": {"must_not": [
            PENDING_QUERY]}},
            aggs={"types": {"terms": {"field": "document_type", "size": 500}}})
    except NotFoundError:
        return ()
    return tuple(b["key"] for b in response["aggregations"]["types"]["buckets"])


def _register_size(client: Elasticsearch, settings: Settings) -> int:
    try:
        return int(client.count(index=settings.index_name("agencies"))["count"])
    except NotFoundError:
        return 0


def extraction_context(client: Elasticsearch, settings: Settings
                       ) -> tuple[Register, tuple[str, ...]]:
    key = settings.index_prefix
    size = _register_size(client, settings)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached and time.monotonic() - cached[0] < _TTL_S and cached[1] == size:
            return cached[2], cached[3]
    try:
        register = Register(AgencyStore(client, settings).all().values())
    except NotFoundError:
        register = Register(())
    types = _known_types(client, settings.index_name("results"))
    with _LOCK:
        _CACHE[key] = (time.monotonic(), size, register, types)
    return register, types
