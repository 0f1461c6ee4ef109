"""domain.text.codes: typed and printed codes meet on one key."""

from __future__ import annotations

import datetime as dt

from domain.text.codes import code_key, code_terms, find_codes, loose_key, parse_date


def test_code_key_meets_typed_and_printed_forms() -> None:
    assert code_key("34 / 2026 / attp-cnđk") == code_key("34/2026/ATTP-CNĐK") == "34/2026/ATTP-CNDK"
    assert code_key("3456/QĐ–UBND") == "3456/QD-UBND"  # en dash, Đ
    assert code_key("3456/QD-UBND") == code_key("3456/QĐ-UBND")  # OCR read Đ as D


def test_loose_key_survives_eaten_separators() -> None:
    assert loose_key("125/GPXD-UBND") == loose_key("125 GPXD UBND") == "125GPXDUBND"


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.key) for c in find_codes(text)]


def test_result_numbers_and_dates() -> None:
    assert _kinds("Số: 125/GPXD-UBND ngày 12/03/2020") == [
        ("result_number", "125/GPXD-UBND"),
        ("date", "2020-03-12"),
    ]
    assert _kinds("34/2026/ATTP-CNĐK") == [("result_number", "34/2026/ATTP-CNDK")]
    assert _kinds("Sơn Tây, ngày 19 tháng 03 năm 2011") == [("date", "2011-03-19")]


def test_id_numbers_enterprise_and_dossier_codes() -> None:
    text = "CCCD 001060262559, CMND 012345678, MST 0101234567-001, hồ sơ 000.00.45.H26-220315-0012"
    assert _kinds(text) == [
        ("id_number", "001060262559"),
        ("id_number", "012345678"),
        ("enterprise", "0101234567-001"),
        ("dossier", "000.00.45.H26-220315-0012"),
    ]
    assert _kinds("mã số 0101234567") == [("enterprise", "0101234567")]
    assert _kinds("Mã số hộ kinh doanh: 0180006162424.") == [("digits", "0180006162424")]


def test_plain_numbers_and_addresses_are_not_codes() -> None:
    assert find_codes("thửa đất số 179, tờ bản đồ số 29, số nhà 12/3 ngõ 5") == []


def test_code_terms_add_the_separator_free_key() -> None:
    (code,) = find_codes("0101234567-001")
    assert code_terms(code) == ["0101234567-001", "0101234567001"]
    (date,) = find_codes("05/03/2020")
    assert code_terms(date) == ["2020-03-05"]


def test_parse_date_forms() -> None:
    assert parse_date("5/3/2020") == dt.date(2020, 3, 5)
    assert parse_date("05.03.2020") == dt.date(2020, 3, 5)
    assert parse_date("2020-03-05") == dt.date(2020, 3, 5)
    assert parse_date("ngày 5 tháng 3 năm 2020") == dt.date(2020, 3, 5)
    assert parse_date("31/02/2020") is None
    assert parse_date("hôm qua") is None
