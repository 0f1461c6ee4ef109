"""domain.search.relax, the relaxed request bodies of es_query, domain.search.suggest and the
generated query kinds: pure, no services."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import replace
from typing import Any

import pytest

from domain.search import query_kinds, relax
from domain.search import suggest as sg
from domain.search.es_query import (
    EXACT_BOOST,
    Corrections,
    SearchFilters,
    build_count_body,
    build_facets_body,
    build_search_body,
    relaxed_msm,
    strict_msm,
)
from domain.search.query import Vocabulary, parse_query
from domain.search.term_stats import TermStats

TODAY = dt.date(2026, 6, 1)
VOCABULARY = Vocabulary.from_names(["Giấy phép xây dựng"], ["UBND phường Ngọc Khánh"])


def _suggested(entries: dict[str, list[tuple[str, int]]], typed: dict[str, int],
               records: int = 1000) -> tuple[dict[str, Any], TermStats]:
    """A term-suggester answer and the term statistics of the typed syllables."""
    answer = {"suggest": {relax.SUGGESTER: [
        {"text": w, "options": [{"text": t, "freq": f, "score": 0.8} for t, f in opts]}
        for w, opts in entries.items()]}}
    return answer, TermStats(records=records, syllables=typed)


def test_suggest_body_asks_only_long_free_text_syllables() -> None:
    parsed = parse_query("giấy phép xây dựng Phan Diệu Hạnhh 125/GPXD an", VOCABULARY)
    body = relax.suggest_body(parsed)
    assert body is not None
    assert body["suggest"]["text"] == "phan dieu hanhh"  # no code, no segment, no `an`
    assert body["size"] == 0 and body["query"] == {"match_none": {}} and "aggs" not in body
    assert relax.suggest_body(parse_query("125/GPXD-UBND an")) is None


def test_common_word_widens_only_to_rarer_misreads_rare_one_to_anything() -> None:
    response, stats = _suggested({"minh": [("dinh", 500), ("mlnh", 1)],
                           "khan": [("khanh", 90), ("khzn", 1)]},
                          typed={"minh": 400, "khan": 4})
    found = relax.candidates_from(response, stats)
    # A common neighbour (of any word) is kept for pairs and names only.
    assert found == {"minh": (("mlnh",), ("dinh",)), "khan": (("khzn",), ("khanh",))}


def test_alternatives_put_the_typed_syllable_first_and_skip_short_ones() -> None:
    parsed = parse_query("Bùi An Khán")
    alts = relax.alternatives(parsed, {"bui": (("vui",), ("bai",)), "an": (("anh",), ()),
                                       "khan": (("khanh",), ())})
    assert alts.close == (("bui", "vui"), ("an",), ("khan", "khanh"))
    assert alts.wide == (("bui", "vui", "bai"), ("an",), ("khan", "khanh"))


def test_relaxed_request_requires_all_but_one_syllable_in_some_spelling() -> None:
    parsed = parse_query("Phan Diệu Hạnhh")
    alts = Corrections(close=(("phan",), ("dieu",), ("hanhh", "hanh")),
                       wide=(("phan", "than"), ("dieu",), ("hanhh", "hanh")))
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    text = json.dumps(body["query"], ensure_ascii=False)
    assert '"minimum_should_match": 2' in text
    assert '"value": "hanh", "boost": 0.8' in text
    assert "n:phan dieu hanh" in text  # the holder key in the corrected spelling
    # A wide candidate only beside the syllables as typed, never on its own or twice corrected.
    assert '"value": "than"' not in text and "than dieu" in text
    assert '"n:than dieu hanhh"' in text and '"n:than dieu hanh"' not in text
    assert body["rescore"]["query"]["rescore_query"]["bool"]["should"]  # validity, recency
    facets = build_facets_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    counts = build_count_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    counted = facets["query"]["bool"]["filter"][0]
    assert counted == counts["query"]["bool"]["filter"][0]  # facets count what the total does
    # The hits' gate also scores the query as typed; with no common syllable the loose gate
    # already holds those records, so the counts leave that lookup out.
    assert "constant_score" in json.dumps(body["query"]["bool"]["must"][0])
    assert "constant_score" not in json.dumps(counted)


def _gates(q: str, close: dict[str, tuple[str, ...]], common: frozenset[str] = frozenset()
           ) -> tuple[str, str]:
    """The relaxed hits request's gate and the relaxed count's, as JSON: `close` gives the
    corrections of some syllables (the others have none)."""
    parsed = replace(parse_query(q), common=common)
    spellings = tuple((w, *close.get(w, ())) for w in parsed.folded)
    alts = Corrections(close=spellings, wide=spellings)
    page = build_search_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    count = build_count_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    return (json.dumps(page["query"]["bool"]["must"][0], ensure_ascii=False),
            json.dumps(count["query"]["bool"]["filter"][0], ensure_ascii=False))


def test_a_relaxed_gate_with_nothing_to_correct_is_the_strict_one() -> None:
    # Four syllables, none corrected: three of four is what the strict gate asks too, so the
    # relaxed matches are the strict ones; no pair condition, no bonus every match would get.
    page, count = _gates("hôn nhânn để bổ", {})
    for gate in (page, count):
        assert "shingles" not in gate and "constant_score" not in gate
        assert '"minimum_should_match": 3' in gate or '"minimum_should_match": "3<75%"' in gate
    # One syllable common (taken as present by the strict gate): the strict gate holds every
    # loose match, so it alone is counted; the page keeps the bonus (the strict-only matches
    # rank as before), and no pair condition.
    page, count = _gates("hôn nhânn để bổ", {}, common=frozenset({"de"}))
    assert "shingles" not in page and "shingles" not in count
    assert "constant_score" in page and "dis_max" not in count


def test_a_relaxed_gate_with_a_correction_or_a_short_name_keeps_its_conditions() -> None:
    # A correction lets records without the syllable as typed in: they must hold a pair.
    page, count = _gates("hôn nhânn để bổ", {"nhann": ("nhan",)})
    assert "shingles" in page and "shingles" in count and "constant_score" in page
    # Three syllables: two of three may match loosely where the strict gate wants all three.
    page, count = _gates("Phan Diệu Hạnhh", {})
    assert "shingles" in page and "shingles" in count


def test_codes_stay_exact_in_a_relaxed_request() -> None:
    parsed = parse_query("Phan Diệu Hạnhh 001066357029")
    alts = relax.alternatives(parsed, {"hanhh": (("hanh",), ()), "phan": (("than",), ())})
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    text = json.dumps(body["query"])
    assert "001066357029" in text and "001066357028" not in text
    assert all("0010663" not in w for spellings in alts.wide for w in spellings)


@pytest.mark.parametrize(("n", "msm"), [(1, 1), (2, 1), (3, 2), (4, 3), (8, 6)])
def test_relaxed_gate_is_never_stricter_than_the_strict_one(n: int, msm: int) -> None:
    assert relaxed_msm(n) == msm


def test_holds_as_typed_wants_the_words_side_by_side() -> None:
    parsed = parse_query("Hoàng Văn Minh")
    side_by_side = {"holder_name": "Hoàng Văn Minh", "text": ""}
    scattered = {"holder_name": "Hoàng Thu", "text": "Văn phòng ... Minh Khai"}
    assert relax.holds_as_typed(parsed, side_by_side)
    assert not relax.holds_as_typed(parsed, scattered)
    assert relax.worth_relaxing(parsed, 5, scattered)
    assert not relax.worth_relaxing(parsed, 5, side_by_side)
    assert relax.worth_relaxing(parsed, 0, None)
    assert not relax.worth_relaxing(parse_query("125/GPXD-UBND"), 0, None)
    # Every pair common in the index: spelt as the index spells it, whatever the best hit.
    assert not relax.worth_relaxing(parsed, 5, scattered, frozenset({"hoang van", "van minh"}))
    assert relax.worth_relaxing(parsed, 5, scattered, frozenset({"hoang van"}))
    assert relax.worth_relaxing(parsed, 0, None, frozenset({"hoang van", "van minh"}))


def test_a_name_is_held_as_typed_only_whole() -> None:
    parsed = parse_query("Hồ Thanh Quyên")
    pairs_apart = {"holder_name": "Lương Thanh Quyên", "text": "quận Tây Hồ thành phố Hà Nội"}
    assert not relax.holds_as_typed(parsed, pairs_apart)
    assert relax.holds_as_typed(parsed, {"holder_name": "", "text": "ký: Hồ Thanh Quyên"})


def test_did_you_mean_takes_the_spelling_the_best_hit_holds() -> None:
    parsed = parse_query("giấy phép xây dựng Phan Diệu Hạnhh")
    alts = relax.alternatives(parsed, {"hanhh": (("hanh", "hinh"), ())})
    hit = {"holder_name": "Phan Diệu Hạnh", "document_type": "Giấy phép xây dựng", "text": ""}
    assert relax.did_you_mean(parsed, alts, hit) == "giấy phép xây dựng Phan Diệu Hạnh"
    # The fix takes the case its slip was typed in.
    lower = parse_query("giấy phép xây dựng phan diệu hạnhh")
    assert relax.did_you_mean(lower, relax.alternatives(lower, {"hanhh": (("hanh",), ())}),
                              hit) == "giấy phép xây dựng phan diệu hạnh"
    upper = parse_query("GIẤY PHÉP XÂY DỰNG PHAN DIỆU HẠNHH")
    assert relax.did_you_mean(upper, relax.alternatives(upper, {"hanhh": (("hanh",), ())}),
                              hit) == "GIẤY PHÉP XÂY DỰNG PHAN DIỆU HẠNH"
    exact = parse_query("giấy phép xây dựng Phan Diệu Hạnh")
    assert relax.did_you_mean(exact, relax.alternatives(exact, {}), hit) is None


def test_did_you_mean_prefers_the_spelling_held_beside_the_query_s_other_words() -> None:
    # `ngày` is the commoner neighbour of `ngaa` and the record holds it too, but apart.
    parsed = parse_query("Vu Hong Ngaa")
    alts = relax.alternatives(parsed, {"ngaa": (("ngay", "nga"), ())})
    hit = {"holder_name": "Vũ Hồng Nga", "text": "cấp ngày 12 tháng 3 cho Vũ Hồng Nga"}
    assert relax.did_you_mean(parsed, alts, hit) == "Vu Hong Nga"


def test_suggest_lookups_and_answer() -> None:
    kinds = {(lk.kind, lk.prefix) for lk in sg.lookups("Lí Văn")}
    assert ("holder", "n:li van") in kinds and ("agency", "a:li van") in kinds
    assert not any(lk.kind == "result_number" for lk in sg.lookups("Lí Văn"))
    assert ("result_number", "125/GP") in {(lk.kind, lk.prefix) for lk in sg.lookups("125/gp")}
    assert sg.lookups("a") == []
    response = {"aggregations": {
        "holder": {"buckets": {"n:li van an": {"doc_count": 2, "shown": {"buckets": [
            {"key": "Lý Văn An"}]}}, "n:li van ba": {"doc_count": 0, "shown": {"buckets": []}}}},
        "agency": {"buckets": {
            "a:li van": {"doc_count": 5, "shown": {"buckets": [{"key": "UBND xã Lý Văn"}]}},
            "a:xa li van": {"doc_count": 5, "shown": {"buckets": [{"key": "UBND xã Lý Văn"}]}}}}}}
    assert sg.suggestions_from(response, 8) == [
        {"text": "UBND xã Lý Văn", "kind": "agency", "count": 5},
        {"text": "Lý Văn An", "kind": "holder", "count": 2}]
    body = sg.count_body({"holder": ["n:li van an"]}, SearchFilters(), TODAY)
    assert body["aggs"]["holder"]["filters"]["filters"] == {
        "n:li van an": {"term": {"search.keys_folded": "n:li van an"}}}


def test_one_edit_is_one_edit() -> None:
    rng = random.Random(3)
    for _ in range(200):
        word = rng.choice(["khanh", "nguyen", "phuong", "thanh"])
        typo = query_kinds.one_edit(word, rng)
        assert abs(len(typo) - len(word)) <= 1 and typo[:1].isalpha()


def test_i_y_swaps_only_where_both_spellings_are_in_use() -> None:
    assert query_kinds.swap_i_y("Lý") == "Lí" and query_kinds.swap_i_y("kĩ") == "kỹ"
    assert query_kinds.swap_i_y("Thị") is None and query_kinds.swap_i_y("Huy") is None


def test_generated_queries_are_deterministic() -> None:
    pairs = [({"result_id": f"R{i}", "document_type": "Giấy phép xây dựng",
               "holder_name": name}, f"Cấp cho Ông {name}\nCỬA HÀNG HOA {name.upper()}")
             for i, name in enumerate(["Lý Văn Khánh", "Phan Diệu Hạnh", "Bùi Công Khanh"])]
    first, second = query_kinds.generate(pairs), query_kinds.generate(list(reversed(pairs)))
    assert first.queries == second.queries
    kinds = {q["kind"] for q in first.queries}
    assert {"typo", "i/y", "partial-diacritics", "unmatched-word"} <= kinds
    for q in first.queries:
        assert q["relevant"] and q["qid"].startswith("g")


def test_relaxing_widens_only_with_a_correction_or_a_looser_gate() -> None:
    four = parse_query("Nguyễn Văn An zqxw")
    none = relax.alternatives(four, {})
    assert strict_msm(4) == relaxed_msm(4) == 3
    assert not relax.widens(four, none)  # the same records as the strict search
    assert relax.widens(four, relax.alternatives(four, {"zqxw": (("zqx",), ())}))
    three = parse_query("Nguyễn Văn zqxw")
    assert relax.widens(three, relax.alternatives(three, {}))  # all three vs two of three
    hit = {"holder_name": "Nguyễn Văn An", "text": ""}
    assert not relax.holds_every_syllable(four, hit)
    assert relax.holds_every_syllable(parse_query("Nguyễn Văn An"), hit)


def test_the_relaxed_gate_still_lets_the_rare_syllable_be_the_slip() -> None:
    # `thanh` and `phuc` in most records: the strict gate takes them as present and requires
    # only `ngyuen`, the slip; the relaxed one must still match two of the three.
    parsed = replace(parse_query("Ngyuễn Thanh Phúc"), common=frozenset({"thanh", "phuc"}))
    alts = relax.alternatives(parsed, {"ngyuen": ((), ("nguyen",))})
    body = build_search_body(parsed, filters=SearchFilters(), today=TODAY, alts=alts)
    gate = json.dumps(body["query"]["bool"]["must"][0])
    assert '"minimum_should_match": 2' in gate and f'"boost": {EXACT_BOOST}' in gate
    assert "nguyen thanh" in gate  # the pair with the wide correction


def test_a_syllable_no_record_holds_makes_a_query_surely_relaxed() -> None:
    parsed = parse_query("giấy phép Phan Diệu Hạnhh")
    assert relax.surely_relaxed(parsed, {"phan": 9, "dieu": 4, "hanhh": 0})
    assert not relax.surely_relaxed(parsed, {"phan": 9, "dieu": 4, "hanhh": 1})
    assert not relax.surely_relaxed(parsed, {"phan": 9})  # counts unknown: not sure
    assert not relax.surely_relaxed(parse_query("125/GPXD-UBND"), {})  # no free text
    # and then the strict search would indeed be relaxed, whatever it found
    holder = {"holder_name": "Phan Diệu Hạnh", "text": "giấy phép"}
    assert relax.worth_relaxing(parsed, 3, holder)


def _within(q: str, common: set[str], corrected: dict[str, str]) -> bool:
    from domain.search.es_query import _loose_within_strict
    parsed = replace(parse_query(q), common=frozenset(common))
    alts = Corrections(
        close=tuple((w, corrected[w]) if w in corrected else (w,) for w in parsed.folded),
        wide=tuple((w,) for w in parsed.folded))
    return _loose_within_strict(parsed, alts)


def test_loose_matches_are_strict_ones_while_too_few_positions_fill_without_a_counted_syllable(
        ) -> None:
    # `cua`, `do` common: a loose match (three of four) holds `cho` or `ahng` as typed, which
    # is what the strict gate wants, even with `cua` correctable to `sua`.
    assert _within("cho cửa àhng đồ", {"cua", "do"}, {"cua": "sua"})
    # A correction of a counted syllable fills its position without it: no longer sure.
    assert not _within("cho cửa àhng đồ", {"cua", "do"}, {"ahng": "hang"})
    # Nothing common, nothing corrected: three of four as typed, as the strict gate wants.
    assert _within("xây dựng nhà xưởng", set(), {})
    # Every syllable common: the strict gate wants any one as typed; corrections of two of
    # three may fill the loose gate with none.
    assert _within("cong hanh nhan", {"cong", "hanh", "nhan"}, {"cong": "con"})
    assert not _within("cong hanh nhan", {"cong", "hanh", "nhan"},
                       {"cong": "con", "hanh": "hang"})
