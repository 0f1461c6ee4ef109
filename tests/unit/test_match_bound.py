"""domain.search.match_bound: how many records a gate can match at most, from document counts."""

from __future__ import annotations

from dataclasses import replace

from domain.search.es_query import Corrections
from domain.search.match_bound import relaxed_bound, strict_bound
from domain.search.query import parse_query


def test_a_short_query_is_bounded_by_its_rarest_syllable() -> None:
    parsed = parse_query("Nguyễn Văn Zqx")  # all three required
    assert strict_bound(parsed, {"nguyen": 500, "van": 600, "zqx": 7}) == 7


def test_a_longer_query_by_the_smallest_counts_it_may_not_all_miss() -> None:
    parsed = parse_query("một hai ba bốn")  # three of four: a match holds one of any two
    docs = {"mot": 40, "hai": 10, "ba": 30, "bon": 20}
    assert strict_bound(parsed, docs) == 30


def test_common_syllables_are_taken_as_present() -> None:
    parsed = replace(parse_query("Nguyễn Thanh Phúc"), common=frozenset({"thanh", "phuc"}))
    assert strict_bound(parsed, {"nguyen": 90, "thanh": 600, "phuc": 700}) == 90
    every = replace(parsed, common=frozenset({"nguyen", "thanh", "phuc"}))
    assert strict_bound(every, {"nguyen": 90, "thanh": 600, "phuc": 700}) is None


def test_no_bound_for_codes_or_unknown_counts() -> None:
    assert strict_bound(parse_query("125/GPXD-UBND Nguyễn"), {"nguyen": 5}) is None
    assert strict_bound(parse_query("Nguyễn Văn"), {"nguyen": 5}) is None
    assert strict_bound(parse_query(""), {}) is None


def test_relaxed_bound_adds_the_corrections_and_the_strict_matches() -> None:
    parsed = parse_query("Phan Diệu Hạnhh")  # all but one of three: one of any two
    alts = Corrections(close=(("phan",), ("dieu",), ("hanhh", "hanh")),
                       wide=(("phan", "than"), ("dieu",), ("hanhh", "hanh")))
    docs = {"phan": 300, "dieu": 50, "hanhh": 0, "hanh": 80}
    assert relaxed_bound(parsed, alts, docs, strict_total=4) == 4 + 50 + 80
    assert relaxed_bound(parsed, alts, {"phan": 300, "dieu": 50}, 4) is None
