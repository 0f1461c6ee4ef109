"""`GET /api/v1/search`, `GET /results/<id>` and files, against the real services.

The sample corpus is OCR'd and indexed once per session (`ingested_sample`); expectations come
from the manifest with the pinned today (2026-11-25). Pure helpers: test_search_helpers.py.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from domain.settings import Settings
from tests.conftest import SAMPLE, TODAY
from tests.support.apps import bearer, make_app
from tests.support.search_fixtures import ingest_markup_record, manifest, staff, valid_on

CONTRACT_HIT_KEYS = {"result_id", "score", "result_number", "document_type", "agency_code",
                     "agency_name", "issued_on", "status", "valid", "holder_name", "highlights"}


@pytest.fixture(scope="module")
def api(session_settings: Settings, es: Elasticsearch, ingested_sample: Any,
        tmp_path_factory: pytest.TempPathFactory) -> Any:
    assert ingested_sample.returncode == 0, ingested_sample.stdout + ingested_sample.stderr
    marked = ingest_markup_record(session_settings, es, tmp_path_factory.mktemp("t4-markup"))
    assert marked.returncode == 0, marked.stdout + marked.stderr
    app = make_app(session_settings)
    people = staff(session_settings)
    client = app.test_client()

    def get(path: str, params: Any = None, token: str | None = people.officer_token) -> Any:
        headers = bearer(token) if token else {}
        return client.get(path, query_string=params, headers=headers)

    return get


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return {r["result_id"]: r for r in manifest()}


def search_all(api: Any, **params: Any) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """Every hit of a search (paging through), with the first page's total and facets."""
    hits: list[dict[str, Any]] = []
    page, total, facets = 1, None, {}
    while True:
        response = api("/api/v1/search", {**params, "size": 100, "page": page})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if total is None:
            total, facets = body["total"], body["facets"]
        hits += body["hits"]
        if not body["hits"] or len(hits) >= body["total"]:
            return total, hits, facets
        page += 1


@pytest.mark.services
def test_answer_has_the_contract_shape(api: Any, records: dict[str, dict[str, Any]]) -> None:
    body = api("/api/v1/search", {"q": "giấy phép xây dựng"}).get_json()
    assert body["total"] > 0 and body["hits"]
    for hit in body["hits"]:
        assert hit.keys() >= CONTRACT_HIT_KEYS
        assert isinstance(hit["valid"], bool) and isinstance(hit["highlights"], list)
        assert isinstance(hit["score"], float)
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True), "best first"
    facet_names = {"document_type", "agency_code", "agency_level", "status", "valid"}
    assert body["facets"].keys() >= facet_names


@pytest.mark.services
def test_staff_only(api: Any, session_settings: Settings) -> None:
    assert api("/api/v1/search", {"q": "x"}, token=None).status_code == 401
    assert api("/api/v1/search", {"q": "x"}, token="not-a-token").status_code == 401
    manager = staff(session_settings).manager_token
    assert api("/api/v1/search", {"q": "x"}, token=manager).status_code == 200


@pytest.mark.services
def test_every_sample_record_is_found_and_valid_matches_the_contract(
        api: Any, records: dict[str, dict[str, Any]]) -> None:
    total, hits, facets = search_all(api)
    by_id = {h["result_id"]: h for h in hits}
    assert total == len(hits) == len(by_id)
    assert set(records) <= set(by_id)
    for result_id, record in records.items():
        assert by_id[result_id]["valid"] == valid_on(record, TODAY), result_id
        assert by_id[result_id]["status"] == record["status"]
    # Other test modules may add records without a level or status: count what the hits say.
    assert sum(b["count"] for b in facets["agency_level"]) == sum(
        1 for h in hits if h.get("agency_level"))
    assert sum(b["count"] for b in facets["status"]) == sum(1 for h in hits if h["status"])
    assert facets["valid"] == sum(h["valid"] for h in hits)


@pytest.mark.services
def test_valid_only_is_the_contract_definition(api: Any, records: dict[str, Any]) -> None:
    expected = {rid for rid, r in records.items() if valid_on(r, TODAY)}
    assert 0 < len(expected) < len(records)  # the sample has both kinds
    total, hits, facets = search_all(api, valid_only="true")
    got = {h["result_id"] for h in hits}
    assert got & set(records) == expected
    assert all(h["valid"] for h in hits) and total == len(got)
    assert facets["valid"] == total


@pytest.mark.services
@pytest.mark.parametrize("field", ["agency_code", "agency_level", "document_type",
                                   "procedure_code"])
def test_each_filter_keeps_exactly_the_matching_records(
        api: Any, records: dict[str, Any], field: str) -> None:
    value, _ = Counter(r[field] for r in records.values()).most_common(1)[0]
    total, hits, facets = search_all(api, **{field: value})
    expected = {rid for rid, r in records.items() if r[field] == value}
    got = {h["result_id"] for h in hits}
    assert got & set(records) == expected and total == len(got)
    if field in facets:
        assert facets[field] == [{**facets[field][0], "value": value, "count": total}]


@pytest.mark.services
def test_repeated_filter_values_are_a_union(api: Any, records: dict[str, Any]) -> None:
    codes = sorted({r["agency_code"] for r in records.values()})[:2]
    _, hits, _ = search_all(api, agency_code=codes)
    expected = {rid for rid, r in records.items() if r["agency_code"] in codes}
    assert {h["result_id"] for h in hits} & set(records) == expected


@pytest.mark.services
def test_issue_date_range_is_inclusive(api: Any, records: dict[str, Any]) -> None:
    days = sorted(r["issued_on"] for r in records.values())
    low, high = days[10], days[40]
    _, hits, _ = search_all(api, issued_from=low, issued_to=high)
    expected = {rid for rid, r in records.items() if low <= r["issued_on"] <= high}
    assert {h["result_id"] for h in hits} & set(records) == expected
    assert all(low <= h["issued_on"] <= high for h in hits)


@pytest.mark.services
def test_facet_counts_match_the_totals_of_their_filters(api: Any) -> None:
    body = api("/api/v1/search", {"q": "nguyen", "valid_only": "1"}).get_json()
    assert body["total"] > 0
    for field in ("document_type", "agency_code", "agency_level", "procedure_code"):
        buckets = body["facets"][field]
        assert sum(b["count"] for b in buckets) == body["total"], field
        first = buckets[0]
        narrowed = api("/api/v1/search", {"q": "nguyen", "valid_only": "1",
                                          field: first["value"]}).get_json()
        assert narrowed["total"] == first["count"], (field, first)
    named = body["facets"]["agency_code"][0]
    assert named.get("name"), "agency buckets carry the agency's name"


@pytest.mark.services
def test_pages_partition_the_results(api: Any) -> None:
    first = api("/api/v1/search", {"q": "giấy chứng nhận", "size": 7}).get_json()
    total, seen = first["total"], []
    assert total > 14
    for page in range(1, first["pages"] + 1):
        body = api("/api/v1/search", {"q": "giấy chứng nhận", "size": 7, "page": page}).get_json()
        assert body["total"] == total and body["page"] == page
        seen += [h["result_id"] for h in body["hits"]]
    assert len(seen) == len(set(seen)) == total
    beyond = api("/api/v1/search", {"q": "giấy chứng nhận", "size": 7,
                                    "page": first["pages"] + 1}).get_json()
    assert beyond["hits"] == [] and beyond["total"] == total


@pytest.mark.services
@pytest.mark.parametrize(("sort", "newest_first"), [("issued_on", True), ("issued_on_asc", False)])
def test_sort_by_issue_date(api: Any, sort: str, newest_first: bool) -> None:
    body = api("/api/v1/search", {"q": "kết hôn", "sort": sort, "size": 50}).get_json()
    days = [h["issued_on"] for h in body["hits"]]
    assert len(days) > 3 and days == sorted(days, reverse=newest_first)


@pytest.mark.services
def test_result_number_comes_first(api: Any) -> None:
    body = api("/api/v1/search", {"q": "44/GPXD-UBND"}).get_json()
    assert body["hits"][0]["result_id"] == "H26.GL-210118-00058"


@pytest.mark.services
def test_bad_parameters_get_400_with_a_message(api: Any) -> None:
    for params, fragment in [({"page": "0"}, "page"), ({"size": "500"}, "size"),
                             ({"issued_from": "2021-02-30"}, "issued_from"),
                             ({"valid_only": "perhaps"}, "valid_only"),
                             ({"sort": "score"}, "sort"),
                             ({"agency_level": "ward"}, "agency_level"),
                             ({"unknown": "1"}, "unknown")]:
        response = api("/api/v1/search", {"q": "giấy phép", **params})
        assert response.status_code == 400, params
        assert fragment in response.get_json()["error"]


@pytest.mark.services
@pytest.mark.parametrize("query", [
    '"', "'", "(", ")", "[", "]", "{", "}", "\\", "/", "a\\", '"Phan Đình', "Toàn)", "AND OR NOT",
    "*", "?", "~1", "^2", "holder_name:x", "<script>", "&", "%", "+-!", "/.*/", "//", "\t",
    "01/2018/TT-VPCP(", "nguyen van " * 300, "Nguyễn Văn Hùng phố Láng Hạ " * 40, "ạ" * 2000,
])
def test_stray_or_long_queries_never_fail(api: Any, query: str) -> None:
    response = api("/api/v1/search", {"q": query})
    assert response.status_code in (200, 414), response.get_json()  # 414: URL over the limit
    if response.status_code == 200:
        assert isinstance(response.get_json()["total"], int)


@pytest.mark.services
def test_highlights_are_escaped(api: Any) -> None:
    body = api("/api/v1/search", {"q": "zqxmarkup in dam trich"}).get_json()
    hit = next(h for h in body["hits"] if h["result_id"] == "T4-MARKUP-0001")
    assert hit["highlights"], "the matching text is highlighted"
    for fragment in hit["highlights"]:
        without_marks = fragment.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks and ">" not in without_marks, fragment
        assert "<mark>" in fragment
    joined = " ".join(hit["highlights"])
    assert "&lt;b&gt;" in joined and "&lt;script&gt;" in joined
    assert "<mark>in đậm</mark>" in joined, "folded query, accented fragment"
    assert html.unescape(joined.replace("<mark>", "").replace("</mark>", "")).count("<b>") >= 1


@pytest.mark.services
def test_replacement_link_is_in_the_hit(api: Any, records: dict[str, Any]) -> None:
    old = next(r for r in records.values() if r.get("replaced_by"))
    body = api("/api/v1/search", {"q": old["result_number"]}).get_json()
    hit = next(h for h in body["hits"] if h["result_id"] == old["result_id"])
    assert hit["replaced_by"] == old["replaced_by"] and hit["valid"] is False
    assert hit["validity"] == "replaced"


@pytest.mark.services
def test_result_and_its_files(api: Any, records: dict[str, Any]) -> None:
    rid = next(rid for rid, r in records.items() if len(r["files"]) == 2)
    body = api(f"/api/v1/results/{rid}").get_json()
    assert body["result_id"] == rid and body["valid"] == valid_on(records[rid], TODAY)
    assert body["text"].strip() and len(body["files"]) == 2
    for n, (entry, name) in enumerate(zip(body["files"], records[rid]["files"], strict=True)):
        response = api(entry["url"])
        assert response.status_code == 200 and response.mimetype == entry["media_type"]
        assert response.data == (SAMPLE / name).read_bytes(), n
    assert api(f"/api/v1/results/{rid}/files/2").status_code == 404
    assert api("/api/v1/results/NO-SUCH-RECORD").status_code == 404
    assert api(f"/api/v1/results/{rid}", token=None).status_code == 401


@pytest.mark.services
def test_elasticsearch_down_is_503(session_settings: Settings) -> None:
    from dataclasses import replace

    down = make_app(replace(session_settings, es_url="http://127.0.0.1:9"))
    people = staff(session_settings)
    response = down.test_client().get("/api/v1/search", query_string={"q": "x"},
                                      headers=bearer(people.officer_token))
    assert response.status_code == 503
    assert "unavailable" in response.get_json()["error"]
