"""domain.search.match_bound: how many records a gate can match at most, from document counts."""

from __future__ import annotations

from dataclasses import replace

from domain.search.es_query import Corrections
from domain.search.match_bound import relaxed_bound, strict_bound, strict_floor
from domain.search.query import ParsedQuery, Vocabulary, parse_query
from domain.search.term_stats import TermStats


def _strict(parsed: ParsedQuery, docs: dict[str, int]) -> int | None:
    return strict_bound(parsed, TermStats(records=1000, syllables=docs))


def test_a_short_query_is_bounded_by_its_rarest_syllable() -> None:
    parsed = parse_query("Nguyễn Văn Zqx")  # all three required
    assert _strict(parsed, {"nguyen": 500, "van": 600, "zqx": 7}) == 7


def test_a_longer_query_by_the_smallest_counts_it_may_not_all_miss() -> None:
    parsed = parse_query("một hai ba bốn")  # three of four: a match holds one of any two
    docs = {"mot": 40, "hai": 10, "ba": 30, "bon": 20}
    assert _strict(parsed, docs) == 30


def test_common_syllables_are_taken_as_present() -> None:
    parsed = replace(parse_query("Nguyễn Thanh Phúc"), common=frozenset({"thanh", "phuc"}))
    assert _strict(parsed, {"nguyen": 90, "thanh": 600, "phuc": 700}) == 90
    every = replace(parsed, common=frozenset({"nguyen", "thanh", "phuc"}))
    assert _strict(every, {"nguyen": 90, "thanh": 600, "phuc": 700}) is None


def test_no_bound_for_codes_or_unknown_counts() -> None:
    assert _strict(parse_query("125/GPXD-UBND Nguyễn"), {"nguyen": 5}) is None
    assert _strict(parse_query("Nguyễn Văn"), {"nguyen": 5}) is None
    assert _strict(parse_query(""), {}) is None


def test_relaxed_bound_adds_the_corrections_and_the_strict_matches() -> None:
    parsed = parse_query("Phan Diệu Hạnhh")  # all but one of three: one of any two
    alts = Corrections(close=(("phan",), ("dieu",), ("hanhh", "hanh")),
                       wide=(("phan", "than"), ("dieu",), ("hanhh", "hanh")))
    docs = {"phan": 300, "dieu": 50, "hanhh": 0, "hanh": 80}
    stats = TermStats(records=1000, syllables={"phan": 300, "dieu": 50})
    assert relaxed_bound(parsed, alts, stats, docs, strict_matches=4) == 4 + 50 + 80
    assert relaxed_bound(parsed, alts, stats, {"phan": 300, "dieu": 50}, 4) is None
    # Strict matches not counted: bounded (strict_bound), or no bound at all.
    typed = TermStats(records=1000, syllables={"phan": 300, "dieu": 50, "hanhh": 0})
    assert strict_bound(parsed, typed) == 0  # all three as typed: none holds `hanhh`
    assert relaxed_bound(parsed, alts, typed, docs, strict_bound(parsed, typed)) == 0 + 50 + 80
    assert relaxed_bound(parsed, alts, stats, docs, None) is None


VOCABULARY = Vocabulary.from_names(["Trích lục khai sinh"], ["UBND phường Quán Thánh"])


def test_a_known_phrase_is_bounded_by_its_key_and_its_pairs() -> None:
    parsed = parse_query("trích lục khai sinh quán thánh", VOCABULARY)
    assert [s.key for s in parsed.segments] == ["t:trich luc khai sinh", "a:quan thanh"]
    stats = TermStats(records=1000,
                      pairs={"trich luc": 300, "luc khai": 310, "khai sinh": 320,
                             "sinh quan": 2, "quan thanh": 40},
                      keys={"t:trich luc khai sinh": 290, "a:quan thanh": 35})
    # The ward: its key, or its one pair. The type: its key, or all three of its pairs.
    assert strict_bound(parsed, stats) == min(35 + 40, 290 + 300)
    no_key = TermStats(records=1000, pairs=stats.pairs, keys={"t:trich luc khai sinh": 290})
    assert strict_bound(parsed, no_key) == 290 + 300  # the ward's key was not counted
    alts = Corrections(close=tuple((w,) for w in parsed.folded),
                       wide=tuple((w,) for w in parsed.folded))
    assert relaxed_bound(parsed, alts, stats, {}, strict_matches=0) == 35 + 40


def test_free_text_and_phrases_the_tighter_bound_holds() -> None:
    parsed = parse_query("trích lục khai sinh Zqx Văn", VOCABULARY)
    stats = TermStats(records=1000, syllables={"zqx": 3, "van": 700},
                      pairs={"trich luc": 300, "luc khai": 310, "khai sinh": 320},
                      keys={"t:trich luc khai sinh": 290})
    assert strict_bound(parsed, stats) == 3


def test_a_floor_is_a_pair_or_syllable_that_alone_satisfies_the_gate() -> None:
    # Three of four, one common (taken as present): two of the other three, so a pair of
    # uncommon syllables alone makes a match; a single syllable does not.
    parsed = replace(parse_query("tình trạng hôn nhân"), common=frozenset({"nhan"}))
    stats = TermStats(records=1000, syllables={"tinh": 430, "trang": 300, "hon": 280, "nhan": 999},
                      pairs={"tinh trang": 230, "trang hon": 250, "hon nhan": 270})
    assert strict_floor(parsed, stats) == 250  # `hon nhan` holds one uncommon syllable only
    # Two of two common: either syllable alone.
    both = replace(parse_query("chứng nhận"), common=frozenset({"chung", "nhan"}))
    assert strict_floor(both, TermStats(records=1000, syllables={"chung": 600, "nhan": 990})) \
        == 990
    # All four required to three: no pair suffices.
    assert strict_floor(parse_query("tình trạng hôn nhân"), stats) == 0


def test_no_floor_for_codes_or_known_phrases() -> None:
    stats = TermStats(records=1000, syllables={"nguyen": 500}, pairs={"trich luc": 300})
    assert strict_floor(parse_query("125/GPXD-UBND Nguyễn"), stats) == 0
    assert strict_floor(parse_query("trích lục khai sinh Nguyễn", VOCABULARY), stats) == 0
    assert strict_floor(parse_query(""), stats) == 0
