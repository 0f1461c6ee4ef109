"""domain.search.vocabulary: known phrases read from a real index, and their short-lived cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from domain.search.vocabulary import VocabularyCache, load_vocabulary

pytestmark = pytest.mark.services


@pytest.fixture
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"vocabulary-test-{uuid.uuid4().hex[:8]}"
    properties = {"document_type": {"type": "keyword"}, "agency_name": {"type": "keyword"}}
    es.indices.create(index=name, mappings={"properties": properties})
    es.index(index=name, document={"document_type": "Giấy phép xây dựng",
                                   "agency_name": "UBND quận Ba Đình"}, refresh=True)
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def test_types_and_agency_tails_come_from_the_index(es: Elasticsearch, index: str) -> None:
    phrases = load_vocabulary(es, index).phrases
    assert phrases["giay phep xay dung"] == "t"
    assert phrases["ba dinh"] == "a" and phrases["quan ba dinh"] == "a"


def test_cache_serves_until_its_time_is_up_then_reloads_aside(es: Elasticsearch,
                                                              index: str) -> None:
    now = [0.0]
    cache = VocabularyCache(ttl_s=60, clock=lambda: now[0], spawn=lambda work: work())
    assert "trich luc khai sinh" not in cache.get(es, index).phrases
    es.index(index=index, document={"document_type": "Trích lục khai sinh"}, refresh=True)
    now[0] = 59.0
    assert "trich luc khai sinh" not in cache.get(es, index).phrases
    now[0] = 61.0  # stale: this search is served the old phrases, the reload runs aside
    assert "trich luc khai sinh" not in cache.get(es, index).phrases
    assert cache.get(es, index).phrases["trich luc khai sinh"] == "t"
