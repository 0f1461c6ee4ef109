from dataclasses import dataclass

from indexer.quality import (
    BLANK_PAGE,
    DUPLICATE_CONTENT,
    HOLDER_ID_NOT_FOUND,
    LOW_CONFIDENCE_FLAG,
    NUMBER_NOT_FOUND,
    quality_flags,
)


@dataclass
class Page:
    text: str
    confidence: float | None = 90.0
    blank: bool = False


META = {"result_number": "125/GPXD-UBND", "holder_id_number": "001082489830"}


def test_a_clean_page_has_no_flags() -> None:
    text = "Số: 125/GPXD-UBND ... CCCD số 001082489830"
    assert quality_flags(META, [Page(text)], text) == []


def test_ocr_damage_to_separators_still_counts_as_found() -> None:
    text = "Số: 125 GPXDAUBND ... 001 082 489 830"  # slash eaten, spaces inserted
    flags = quality_flags(META, [Page(text)], text)
    assert HOLDER_ID_NOT_FOUND not in flags


def test_each_flag() -> None:
    pages = [Page("", None, blank=True), Page("mờ", 31.0)]
    flags = quality_flags(META, pages, "mờ", duplicate_of=["OTHER-1"])
    assert {BLANK_PAGE, LOW_CONFIDENCE_FLAG, NUMBER_NOT_FOUND, HOLDER_ID_NOT_FOUND,
            DUPLICATE_CONTENT} <= set(flags)
