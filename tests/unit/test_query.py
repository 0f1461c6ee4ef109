"""domain.search.query and domain.search.es_query: pure query understanding and request bodies."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest

from domain.search import term_stats
from domain.search.es_query import (
    COUNT_SAMPLE,
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    RESCORE_WINDOW,
    SAMPLE_ABOVE,
    SAMPLE_SIZE,
    SearchFilters,
    build_count_body,
    build_facets_body,
    build_search_body,
    facet_sample,
)
from domain.search.query import Vocabulary, find_segments, parse_query
from domain.validity import NOT_WITHDRAWN, WITHDRAWN

TODAY = dt.date(2026, 6, 1)


def _body(q: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("filters", SearchFilters())
    return build_search_body(parse_query(q), today=TODAY, **kwargs)


def _terms_values(body: dict[str, Any], field: str) -> list[list[str]]:
    found: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "terms" in node and field in node["terms"]:
                found.append(node["terms"][field])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return found


def test_codes_are_taken_out_of_the_free_text() -> None:
    parsed = parse_query("Số: 34/2026/ATTP-CNĐK ngày 12/03/2026")
    assert [c.kind for c in parsed.codes] == ["result_number", "date"]
    assert parsed.result_number_keys == ("34/2026/ATTP-CNDK",)
    assert "342026ATTPCNDK" in parsed.code_terms
    assert parsed.dates == (dt.date(2026, 3, 12),)
    assert parsed.syllables == ("số", "ngày")


def test_id_number_only() -> None:
    parsed = parse_query(" 001060262559 ")
    assert parsed.code_terms == ("001060262559",)
    assert parsed.syllables == ()


def test_free_text_normalised_folded_and_segmented() -> None:
    parsed = parse_query("Giấy phép xây dựng Nguyễn Thị Hoà")
    assert parsed.has_diacritics
    assert parsed.text == "giấy phép xây dựng nguyễn thị hòa"
    assert parsed.folded_text == "giay phep xay dung nguyen thi hoa"
    assert "giấy_phép" in parsed.words


def test_query_without_marks() -> None:
    parsed = parse_query("giay phep xay dung nguyen van an")
    assert not parsed.has_diacritics
    assert parsed.folded == parsed.syllables
    assert parsed.words == ()  # the segmenter guesses on folded text: not used


@pytest.mark.parametrize("q", ['"', "(", "a [b", "\\", "x OR y AND", "*:*", "tên:\"abc", "/"])
def test_syntax_characters_are_plain_text(q: str) -> None:
    body = _body(q)  # never raises, never uses query_string syntax
    assert "query_string" not in json.dumps(body)


def test_accented_query_adds_accented_clauses() -> None:
    accented = json.dumps(_body("Nguyễn Văn An"), ensure_ascii=False)
    folded = json.dumps(_body("nguyen van an"), ensure_ascii=False)
    assert "search.text_folded" in folded and '"search.text.shingles"' not in folded
    assert '"search.text.shingles"' in accented and "search.text_folded" in accented
    assert "n:nguyễn văn an" in accented and "n:nguyen van an" in accented
    assert "n:nguyễn văn an" not in folded


def test_accents_and_words_only_reorder_the_best_candidates() -> None:
    body = _body("Nguyễn Văn An")
    first = json.dumps(body["query"], ensure_ascii=False)
    second = json.dumps(body["rescore"], ensure_ascii=False)
    assert "search.text.shingles" in second and "search.words" in second
    assert "search.text.shingles" not in first and "search.words" not in first
    assert body["rescore"]["window_size"] == RESCORE_WINDOW >= 4 * 10  # four pages of ten
    # The same window on every page, so that pages partition the results.
    assert _body("Nguyễn", page=30, size=10)["rescore"]["window_size"] == RESCORE_WINDOW
    # A lone syllable has no pair to carry its marks: the accented syllable itself refines.
    assert '"search.text": {"query": "ân"' in json.dumps(_body("Ân")["rescore"], ensure_ascii=False)
    assert "rescore" not in _body("Nguyễn Văn An", sort="issued_on")


def test_code_query_targets_exact_fields() -> None:
    body = _body("125/gpxd-ubnd")
    assert ["125/GPXD-UBND"] in _terms_values(body, "result_number_key")
    assert ["125/GPXD-UBND", "125GPXDUBND"] in _terms_values(body, "codes")


def test_counts_request_matches_what_the_ranking_matches_without_scoring() -> None:
    parsed = parse_query("Nguyễn Văn An 001060262559")
    filters = SearchFilters(agency_level=("commune",))
    counts = build_facets_body(parsed, filters=filters, today=TODAY)
    total = build_count_body(parsed, filters=filters, today=TODAY)
    ranked = build_search_body(parsed, filters=filters, today=TODAY)
    assert total["size"] == 0 and total["track_total_hits"] is True and "aggs" not in total
    assert counts["size"] == 0 and counts["query"] == total["query"]
    # The same clauses; withdrawn records are excluded by a filter there, a clause of its own here.
    ranked_bool = ranked["query"]["bool"]
    assert ranked_bool["must_not"] == [WITHDRAWN]
    assert counts["query"]["bool"]["filter"] == (
        ranked_bool["must"] + [NOT_WITHDRAWN] + ranked_bool["filter"])
    assert set(counts["aggs"]) == {"document_type", "agency_code", "agency_level", "status",
                                   "procedure_code", "valid"}
    # The page is ranked without an exact total or forced scores, so Lucene may skip hopeless
    # candidates; sorted by date, the hits still carry their scores.
    assert ranked["track_total_hits"] is False and "aggs" not in ranked
    assert "track_scores" not in ranked
    assert build_search_body(parsed, filters=filters, today=TODAY,
                             sort="issued_on")["track_scores"] is True


VOCABULARY = Vocabulary.from_names(
    ["Giấy phép xây dựng", "Giấy xác nhận tình trạng hôn nhân"],
    ["UBND quận Ba Đình", "UBND phường Thanh Xuân Bắc"],
)


def test_vocabulary_holds_types_and_agency_tails_folded() -> None:
    assert VOCABULARY.phrases["giay phep xay dung"] == "t"
    assert VOCABULARY.phrases["ba dinh"] == "a"
    assert VOCABULARY.phrases["ubnd quan ba dinh"] == "a"
    assert "bac" not in VOCABULARY.phrases  # one syllable is never a phrase


def test_known_phrases_are_found_longest_first_without_overlap() -> None:
    parsed = parse_query("giấy phép xây dựng Nguyễn Văn Ba Đình", VOCABULARY)
    assert [(s.start, s.end, s.key) for s in parsed.segments] == [
        (0, 4, "t:giay phep xay dung"), (6, 8, "a:ba dinh")]
    assert parsed.rest == (4, 5) and parsed.rest_folded_text == "nguyen van"
    assert parsed.words == ("nguyễn_văn",)  # segmented outside the known phrases only
    same = parse_query("giay phep xay dung nguyen van ba dinh", VOCABULARY)
    assert same.segments == parsed.segments
    longest = find_segments(("thanh", "xuan", "bac"), VOCABULARY)
    assert [s.phrase for s in longest] == ["thanh xuan bac"]
    assert parse_query("nguyen van an", VOCABULARY).segments == ()


def test_a_known_phrase_gates_by_key_or_its_pairs_in_text_and_is_not_scored_as_free_text() -> None:
    parsed = parse_query("giay phep xay dung nguyen van an", VOCABULARY)
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY)
    gate = json.dumps(body["query"]["bool"]["must"], ensure_ascii=False)
    assert '{"term": {"search.keys_folded": "t:giay phep xay dung"}}' in gate
    # Or most of the type's adjacent pairs in the text (not its syllables anywhere).
    in_text = [{"term": {"search.text_folded.shingles": p}}
               for p in ("giay phep", "phep xay", "xay dung")]
    assert json.dumps({"should": in_text, "minimum_should_match": "3<75%"}) in json.dumps(
        body["query"]["bool"]["must"])
    assert '"query": "giay phep xay dung"' not in gate
    assert '"query": "nguyen van an", "minimum_should_match"' in gate
    shingles = [c["term"]["search.text_folded.shingles"]["value"]
                for c in body["query"]["bool"]["should"]
                if "search.text_folded.shingles" in c.get("term", {})]
    # Pairs inside the type are common to every candidate; the pair bridging type and name
    # and those of the name stay.
    assert shingles == ["dung nguyen", "nguyen van", "van an"]


def test_common_pairs_are_scored_in_the_rescore_only() -> None:
    parsed = parse_query("đăng ký khai sinh Nguyễn Văn An")
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY,
                             common_pairs=frozenset({"dang ki", "van an"}))
    first = json.dumps(body["query"], ensure_ascii=False)
    second = json.dumps(body["rescore"], ensure_ascii=False)
    assert '"value": "khai sinh"' in first and '"value": "khai sinh"' not in second
    for common in ("dang ki", "van an"):
        assert f'"value": "{common}"' not in first and f'"value": "{common}"' in second
    filters = SearchFilters(
        agency_code=("H26.CG",),
        agency_level=("district",),
        document_type=("Giấy phép xây dựng",),
        procedure_code=("1.000001",),
        valid_only=True,
        issued_from=dt.date(2020, 1, 1),
        issued_to=dt.date(2020, 12, 31),
    )
    body = _body("nhà ở", filters=filters)
    clauses = body["query"]["bool"]["filter"]
    text = json.dumps(clauses, ensure_ascii=False)
    for expected in ('{"terms": {"agency_code": ["H26.CG"]}}', '"status": "active"',
                     '{"range": {"issued_on": {"gte": "2020-01-01", "lte": "2020-12-31"}}}',
                     '{"range": {"valid_from": {"lte": "2026-06-01"}}}'):  # fmt: skip
        assert expected in text
    assert "script" not in json.dumps(body)


def test_empty_query_lists_everything_filtered() -> None:
    body = _body("", filters=SearchFilters(agency_level=("commune",)))
    inner = body["query"]["bool"]
    assert inner["must"] == [{"match_all": {}}]
    assert inner["filter"] == [{"terms": {"agency_level": ["commune"]}}]
    assert inner["must_not"] == [WITHDRAWN]
    assert "highlight" not in body and "rescore" not in body


def test_most_syllables_are_required_unless_a_code_matches() -> None:
    gate = _body("Nguyễn Văn An 001060262559")["query"]["bool"]["must"]
    options = gate[0]["bool"]["should"]
    assert gate[0]["bool"]["minimum_should_match"] == 1
    assert any("match" in o and "minimum_should_match" in str(o) for o in options)
    assert any("001060262559" in json.dumps(o) for o in options)


def test_valid_then_recent_results_get_small_additions() -> None:
    for clauses in (_body("abc")["rescore"]["query"]["rescore_query"]["bool"]["should"],
                    _body("")["query"]["bool"]["should"]):
        text = json.dumps(clauses)
        assert '"status": "active"' in text and '"distance_feature"' in text
        assert all(c.get("constant_score", c.get("distance_feature", {}))["boost"] <= 1.0
                   for c in clauses if "match" not in c)


def test_facets_highlight_sort_and_paging() -> None:
    body = _body("Nguyễn Văn An", page=3, size=20)
    assert body["highlight"]["pre_tags"] == [HIGHLIGHT_PRE]
    assert body["highlight"]["post_tags"] == [HIGHLIGHT_POST]
    assert "search.text" in body["highlight"]["fields"]
    assert "search.text_folded" in _body("nguyen van an")["highlight"]["fields"]
    assert (body["from"], body["size"]) == (40, 20)
    assert body["sort"] == ["_score"]
    assert _body("x", sort="issued_on")["sort"][0] == {
        "issued_on": {"order": "desc", "missing": "_last"}
    }
    assert _body("x", size=10_000)["size"] == 100
    with pytest.raises(ValueError, match="sort"):
        _body("x", sort="random")
    with pytest.raises(ValueError, match="beyond"):
        _body("x", page=10_000)


def test_term_stats_from_a_term_vector_answer() -> None:
    answer = {"term_vectors": {
        "search.text_folded.shingles": {
            "field_statistics": {"doc_count": 1000},
            "terms": {"giay chung": {"doc_freq": 900}, "nhan co": {"doc_freq": 50},
                      "co so": {"doc_freq": 51}}},
        "search.text_folded": {
            "field_statistics": {"doc_count": 1000},
            "terms": {"giay": {"doc_freq": 950}, "co": {"doc_freq": 600}}}}}
    stats = term_stats.term_stats_from(answer)
    assert stats.records == 1000 and stats.syllables == {"giay": 950, "co": 600}
    assert stats.common_pairs(share=0.05) == {"giay chung", "co so"}
    assert term_stats.term_stats_from({}).common_pairs() == frozenset()


def test_the_gate_takes_common_syllables_as_present() -> None:
    parsed = replace(parse_query("cửa hàng thực phẩm sạch"), common=frozenset({"cua", "hang"}))
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY)
    gate = json.dumps(body["query"]["bool"]["must"])
    # Three of five before; with two taken as present, one of the other three.
    assert '{"query": "thuc pham sach", "minimum_should_match": 1}' in gate
    # The common ones are scored on the rescored candidates only, not on every match.
    common = '{"match": {"search.text_folded": "cua hang"}}'
    assert common not in json.dumps(body["query"])
    assert common in json.dumps(body["rescore"])
    everyday = replace(parse_query("thành phố hà nội"),
                       common=frozenset({"thanh", "pho", "ha", "noi"}))
    text = json.dumps(build_facets_body(everyday, filters=SearchFilters(), today=TODAY)["query"])
    assert '{"match": {"search.text_folded": "thanh pho ha noi"}}' in text


def test_facets_of_a_huge_match_set_are_sampled_the_total_stays_exact() -> None:
    assert facet_sample(150_000) is None
    share = facet_sample(1_000_000)
    assert facet_sample(200_001) is not None
    assert share is not None and 0 < share < 0.5
    parsed = parse_query("thành phố hà nội")
    body = build_facets_body(parsed, filters=SearchFilters(), today=TODAY, sample=share,
                             with_options=True)
    assert body["track_total_hits"] is False  # the total comes exact from the count request
    sampled = body["aggs"]["sampled"]
    assert sampled["random_sampler"]["probability"] == share and "seed" in sampled["random_sampler"]
    assert {"document_type", "agency_code", "valid"} <= set(sampled["aggs"])
    assert "everything" in body["aggs"]  # the form's lists stay exact


def test_facets_counted_with_the_total_exactly_or_over_a_sample_of_it() -> None:
    parsed = parse_query("bán lẻ rượu mạnh")
    exact = build_count_body(parsed, filters=SearchFilters(), today=TODAY, facets=True)
    assert exact["track_total_hits"] is True and {"document_type", "valid"} <= set(exact["aggs"])
    sampled = build_count_body(parsed, filters=SearchFilters(), today=TODAY, facets=True,
                               sample=COUNT_SAMPLE, with_options=True)
    assert sampled["track_total_hits"] is True
    assert sampled["aggs"]["sampled"]["random_sampler"]["probability"] == COUNT_SAMPLE
    assert {"document_type", "valid"} <= set(sampled["aggs"]["sampled"]["aggs"])
    assert "everything" in sampled["aggs"]  # the form's options: every record, not a sample
    # Kept only when the total proves over SAMPLE_ABOVE: then from SAMPLE_SIZE at least.
    assert COUNT_SAMPLE * SAMPLE_ABOVE >= SAMPLE_SIZE and COUNT_SAMPLE < 0.5
    assert "aggs" not in build_count_body(parsed, filters=SearchFilters(), today=TODAY)
