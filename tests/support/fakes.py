"""An in-memory stand-in for the few Elasticsearch calls the pipeline and the job store make, so
their logic is unit-tested without a node (the real node is tested in tests/integration)."""

from __future__ import annotations

import copy
from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ConflictError, NotFoundError


def _meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(),
                           duration=0.0, node=NodeConfig("http", "localhost", 9200))


class FakeElasticsearch:
    """Documents per index, with internal and `external_gte` versions and compare-and-set
    writes (`if_seq_no`, `op_type=create`); `search` understands the query shapes the pipeline
    sends (a `terms` filter and an `ids` exclusion; no query: every document, as the agency
    register is read) and answers aggregations with no buckets."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
        self.writes: list[tuple[str, str]] = []
        self.seq_no = 0  # one counter for every write, as a one-shard index has
        self.seq_nos: dict[tuple[str, str], int] = {}

    def get(self, *, index: str, id: str, **_: Any) -> dict[str, Any]:
        if id not in self.docs.get(index, {}):
            raise NotFoundError("not found", _meta(404), {})
        version, source = self.docs[index][id]
        return {"_id": id, "_version": version, "_source": copy.deepcopy(source),
                "_seq_no": self.seq_nos[(index, id)], "_primary_term": 1}

    def exists(self, *, index: str, id: str, **_: Any) -> bool:
        return id in self.docs.get(index, {})

    def _stored(self, index: str, id: str, version: int, source: dict[str, Any]) -> None:
        self.docs.setdefault(index, {})[id] = (version, source)
        self.seq_no += 1
        self.seq_nos[(index, id)] = self.seq_no

    def index(self, *, index: str, id: str, document: dict[str, Any],
              version: int | None = None, version_type: str | None = None,
              op_type: str | None = None, if_seq_no: int | None = None,
              **_: Any) -> dict[str, Any]:
        self._guard(index, id, op_type, if_seq_no)
        stored = self.docs.setdefault(index, {})
        current = stored.get(id, (0, {}))[0]
        if version_type == "external_gte":
            assert version is not None
            if version < current:
                raise ConflictError("version conflict", _meta(409), {})
            new_version = version
        else:
            new_version = current + 1
        self._stored(index, id, new_version, copy.deepcopy(document))
        self.writes.append((index, id))
        return {"_id": id, "_version": new_version, "result": "created"}

    def _guard(self, index: str, id: str, op_type: str | None, if_seq_no: int | None) -> None:
        """`op_type=create` and `if_seq_no` (compare-and-swap) as Elasticsearch checks them."""
        exists = id in self.docs.get(index, {})
        if op_type == "create" and exists:
            raise ConflictError("document already exists", _meta(409), {})
        if if_seq_no is not None and (not exists or self.seq_nos[(index, id)] != if_seq_no):
            raise ConflictError("sequence number conflict", _meta(409), {})

    def update(self, *, index: str, id: str, doc: dict[str, Any], if_seq_no: int | None = None,
               **_: Any) -> dict[str, Any]:
        found = self.get(index=index, id=id)
        if if_seq_no is not None and if_seq_no != found["_seq_no"]:
            raise ConflictError("version conflict", _meta(409), {})
        self._stored(index, id, found["_version"] + 1, {**found["_source"], **copy.deepcopy(doc)})
        return {"_id": id, "_version": found["_version"] + 1, "result": "updated"}

    def search(self, *, index: str, query: dict[str, Any] | None = None,
               aggs: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        if aggs is not None:
            return {"hits": {"total": {"value": 0}, "hits": []},
                    "aggregations": {name: {"buckets": []} for name in aggs}}
        if query is None:
            every = [{"_id": doc_id, "_source": source}
                     for doc_id, (_v, source) in self.docs.get(index, {}).items()]
            return {"hits": {"total": {"value": len(every)}, "hits": every}}
        wanted = query["bool"]["filter"][0]["terms"]
        (field, values), = wanted.items()
        excluded = set(query["bool"].get("must_not", [{}])[0].get("ids", {}).get("values", []))
        hits = [{"_id": doc_id, "_source": source}
                for doc_id, (_v, source) in self.docs.get(index, {}).items()
                if doc_id not in excluded and set(source.get(field) or []) & set(values)]
        return {"hits": {"total": {"value": len(hits)}, "hits": hits}}

    def count(self, *, index: str, **_: Any) -> dict[str, Any]:
        return {"count": len(self.docs.get(index, {}))}
