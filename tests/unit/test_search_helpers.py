"""Fast unit tests of the search/web helpers (no services): highlight escaping and accent
restoration, query-string parameters, page links, preview page lookup."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from domain.search import highlights
from domain.search.es_query import HIGHLIGHT_POST as POST
from domain.search.es_query import HIGHLIGHT_PRE as PRE
from domain.search.fields import build_search_fields
from domain.search.params import ParamError, parse_search_args
from domain.search.schema import (
    HIT_EXCLUDES,
    folded_values,
    highlight_sources,
    indexed_values,
    search_text_values,
)


def test_fragment_is_escaped_and_only_marks_survive() -> None:
    out = highlights.to_html(f'a <b>&amp; "x" {PRE}Phan{POST} {PRE}Toàn{POST}\n\n<script>')
    assert out == 'a &lt;b&gt;&amp;amp; &quot;x&quot; <mark>Phan Toàn</mark> &lt;script&gt;'


def test_unbalanced_markers_never_leave_an_open_tag() -> None:
    assert highlights.to_html(f"{PRE}a{PRE}b") == "<mark>ab</mark>"
    assert highlights.to_html(f"x{POST}y") == "xy"


def test_folded_fragment_gets_its_accents_back() -> None:
    source = "Chủ cơ sở: Ông Phan Đình Toàn, số định danh"
    fragment = f"Ong {PRE}Phan{POST} {PRE}Dinh{POST} Toan"
    assert highlights.restore_accents(fragment, [source]) == (
        f"Ông {PRE}Phan{POST} {PRE}Đình{POST} Toàn")
    assert highlights.restore_accents("not there", [source]) == "not there"


def test_a_fragment_with_an_i_for_y_spelling_gets_its_accents_back() -> None:
    # The folded field writes `lý` as `li` (one spelling for both): found all the same.
    source = "Cấp cho ông Lý Văn Kỳ, công ty Mỹ Hào"
    fragment = f"ong {PRE}Li{POST} Van Ki, cong ti"
    assert highlights.restore_accents(fragment, ["", source]) == (
        f"ông {PRE}Lý{POST} Văn Kỳ, công ty")
    hit = {"search.text_folded": [fragment]}
    sources = {"search.text": (["", source], folded_values(["", source]))}
    assert highlights.fragments(hit, sources) == [
        "ông <mark>Lý</mark> Văn Kỳ, công ty"]


RECORD = {"result_id": "H", "document_type": "Giấy phép xây dựng", "holder_name": "Lý Văn Kỳ",
          "agency_name": "UBND quận Cầu Giấy",
          "other_parties": [{"name": "Công ty Mỹ Hào"}]}


@pytest.mark.parametrize("text", ["Cấp cho ông Lý Văn Kỳ, công ty Mỹ Hào", ""])
def test_a_hit_reads_its_strings_from_the_index_not_normalising_them_again(text: str) -> None:
    record = {**RECORD, "text": text}
    hit = {**record, **build_search_fields(record, text)}
    wanted = search_text_values(record, text)  # what the index was built from, text first
    assert indexed_values(hit) == (wanted, folded_values(wanted))
    del hit["text"]  # a hit's source leaves the raw text out (HIT_EXCLUDES)
    assert indexed_values(hit) == (wanted, folded_values(wanted))
    # A source without the indexed strings (or not matching its metadata): computed.
    assert indexed_values(record) == (wanted, folded_values(wanted))
    stale = {**hit, "search": {"text": ["x"] * 9, "text_folded": ["x"] * 9}}
    assert indexed_values({**stale, "text": text})[0] == wanted


def _source_filtered(doc: dict[str, Any], excludes: tuple[str, ...]) -> dict[str, Any]:
    """Elasticsearch's `_source.excludes` on a two-level document (dotted paths, wildcards)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in excludes):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items()
                     if not any(fnmatch.fnmatchcase(f"{key}.{k}", p) for p in excludes)}
        out[key] = value
    return out


def test_a_hit_without_the_raw_text_still_gets_its_fragments_accented() -> None:
    text = "Cấp cho ông Lý Văn Kỳ, công ty Mỹ Hào"
    record = {**RECORD, "text": text}
    hit = _source_filtered({**record, **build_search_fields(record, text)}, HIT_EXCLUDES)
    assert "text" not in hit and set(hit["search"]) == {"text", "text_folded"}
    marked = {"search.text_folded": [f"ong {PRE}Li{POST} Van Ki, cong ti"]}
    assert highlights.fragments(marked, highlight_sources(hit)) == [
        "ông <mark>Lý</mark> Văn Kỳ, công ty"]


@pytest.mark.parametrize(("query", "message"), [
    ("page=0", "page must be between"), ("page=abc", "page must be a whole number"),
    ("size=0", "size must be between"), ("size=101", "size must be between"),
    ("issued_from=2020-13-01", "issued_from must be a date"),
    ("issued_to=yesterday", "issued_to must be a date"),
    ("issued_from=2021-01-02&issued_to=2021-01-01", "issued_from must not be after issued_to"),
    ("agency_level=province", "agency_level must be one of"),
    ("valid_only=maybe", "valid_only must be true or false"),
    ("sort=popular", "sort must be one of"), ("colour=red", "unknown parameter 'colour'"),
    ("page=101&size=100", "beyond the first"), ("q=a&q=b", "q is given more than once"),
])
def test_bad_parameters_are_named(query: str, message: str) -> None:
    args = MultiDict([tuple(p.split("=", 1)) for p in query.split("&")])
    with pytest.raises(ParamError, match=re.escape(message)):
        parse_search_args(args)


def test_list_filters_accept_repeats_and_drop_blanks() -> None:
    req = parse_search_args(MultiDict([("agency_code", "A"), ("agency_code", "B"),
                                       ("agency_code", " "), ("valid_only", "1")]))
    assert req.filters.agency_code == ("A", "B")
    assert req.filters.valid_only is True and req.page == 1 and req.sort == "relevance"


def test_page_links_show_ends_and_a_window() -> None:
    from app.web.search import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(6, 20) == [1, None, 3, 4, 5, 6, 7, 8, 9, None, 20]
    assert page_numbers(2, 5) == [1, 2, 3, 4, 5]


def test_preview_pages_count_over_files_and_skip_text() -> None:
    from app.previews import PreviewError, locate_page, page_count

    record = {"files": [{"name": "a.txt", "media_type": "text/plain", "pages": 1},
                        {"name": "b.tif", "media_type": "image/tiff", "pages": 2},
                        {"name": "c.pdf", "media_type": "application/pdf", "pages": 1}],
              "pages": [{"file": "a.txt"}, {"file": "b.tif", "rotation": 0},
                        {"file": "b.tif", "rotation": 90}, {"file": "c.pdf"}]}
    assert page_count(record["files"]) == 3
    second = locate_page(record, 2)
    assert (second.file_index, second.page_index, second.rotation) == (1, 1, 90)
    assert locate_page(record, 3).file_index == 2
    for bad in (0, 4):
        with pytest.raises(PreviewError):
            locate_page(record, bad)
