"""Issue 16 (items 1, 7, 8) at the level of pure functions: what one citizen sees of a record that
names others, whose proof a sign-in is, ID numbers in logs however written, one strict date."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from werkzeug.datastructures import MultiDict

from app.audit.redact import digits_of, redact
from app.citizen.identity import party_ids, witnesses_of
from app.citizen.privacy import view_for
from app.citizen.records import belongs_to
from app.coverage.params import ParamError as CoverageParamError
from app.coverage.params import parse_day, parse_month_bound
from app.security import _local_location, install_log_redaction
from domain.records import RecordError, _check_date
from domain.search.params import ParamError, parse_search_args
from domain.settings import SettingsError, load_settings
from domain.text.codes import parse_iso_date

HUSBAND, WIFE = "001082489830", "001150914178"
MARRIAGE = {
    "result_id": "M-1", "result_number": "43/2011/GCNKH", "holder_name": "Quách Hải Loan",
    "holder_id_number": WIFE, "holder_birth_date": "1950-08-02",
    "holder_address": "Số 56 phố Bà Triệu", "party_id_numbers": [WIFE, HUSBAND],
    "other_parties": [{"name": "Phan Đình Toàn", "id_number": HUSBAND}],
    "review": {"fields": {"holder_id_number": {"value": WIFE}}},
    "text": ("Họ, chữ đệm, tên chồng: PHAN ĐÌNH TOÀN\n"
             "Ngày, tháng, năm sinh: 07/03/1982. Dân tộc: Kinh.\n"
             "Giấy tờ tùy thân: 001 082 489 830.\n"
             "Họ, chữ đệm, tên vợ: QUÁCH HẢI LOAN\n"
             "Ngày, tháng, năm sinh: 02/08/1950. Dân tộc: Kinh.\n"
             "Giấy tờ tùy thân: 001150914178.\n"
             "Ngày đăng ký: 23/02/2011. Số: 43/2011/GCNKH\n"),
    "validity": "valid", "valid": True, "files": [],
}
WIFE_SECRETS = (WIFE, "0011509", "1950-08-02", "02/08/1950", "Bà Triệu")
HUSBAND_SECRETS = (HUSBAND, "489 830", "07/03/1982")


def test_a_co_party_sees_neither_id_number_nor_birth_date_of_the_holder() -> None:
    seen = repr(view_for(MARRIAGE, HUSBAND))
    for secret in WIFE_SECRETS:
        assert secret not in seen, secret
    assert "Quách Hải Loan" in seen and "43/2011/GCNKH" in seen and "23/02/2011" in seen
    assert "001 082 489 830" in seen  # their own ID number stays
    assert "review" not in view_for(MARRIAGE, HUSBAND)  # not on the allow-list


def test_the_holder_sees_their_data_but_not_the_co_partys() -> None:
    view = view_for(MARRIAGE, WIFE)
    assert view["holder_id_number"] == WIFE and view["holder_birth_date"] == "1950-08-02"
    assert view["other_parties"] == [{"name": "Phan Đình Toàn"}]
    seen = repr(view)
    for secret in HUSBAND_SECRETS:
        assert secret not in seen, secret
    assert "02/08/1950" in view["text"]


def test_a_proof_through_a_shared_record_opens_only_records_every_witness_may_see() -> None:
    witnesses = witnesses_of([MARRIAGE], WIFE)
    assert witnesses == frozenset({HUSBAND})
    assert party_ids(MARRIAGE) == {WIFE, HUSBAND}
    alone = {"holder_id_number": WIFE, "party_id_numbers": [WIFE]}
    assert belongs_to(MARRIAGE, WIFE, witnesses)
    assert not belongs_to(alone, WIFE, witnesses)  # the husband could have made that claim
    assert belongs_to(alone, WIFE, witnesses_of([alone], WIFE))
    assert witnesses_of([alone], WIFE) == frozenset()


@pytest.mark.parametrize("written", [
    "001082489830", "001-082-489-830", "0010.8248.9830", "0010 8248 9830", "0010+8248+9830",
    "%30%30%31%30%38%32%34%38%39%38%33%30", "0010%208248%209830", "０１２３４５６７８９０１",
    "٠٠١٠٨٢٤٨٩٨٣٠", "001\u2013082\u2013489\u2013830",
])
def test_id_numbers_are_masked_however_written(written: str) -> None:
    masked = redact(f"GET /tim-kiem?q={written}&page=2 HTTP/1.1")
    assert digits_of(written)[4:8] not in digits_of(masked), masked
    assert "****" in masked


def test_masking_leaves_dates_result_numbers_and_amounts_alone() -> None:
    text = "số 12345/2024/GPXD ngày 2024-12-12 đến 2025-01-31, lệ phí 1,500,000 đồng"
    assert redact(text) == text


def test_tracebacks_and_stacks_in_logs_never_carry_an_id_number(
        caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        try:
            raise ValueError("no record for holder 001-082-489-830")
        except ValueError:
            logging.getLogger("sohoa.test").exception("lookup failed for %s", "0010.8248.9830")
        logging.getLogger("sohoa.test").info("stack", stack_info=True)
    formatter = logging.Formatter()
    output = "\n".join(formatter.format(r) for r in caplog.records)
    assert "Traceback" in output and "ValueError" in output
    assert "489-830" not in output and "8248.9830" not in output
    assert "0010****9830" in output


@pytest.mark.parametrize("bad", ["20240101", "2024-W01", "2024-W01-1", "２０２４-０１-０１",
                                 "٢٠٢٤-٠١-٠١", "2024-1-1", "2024-02-30", " 2024-01-01x"])
def test_one_strict_date_parser_refuses_what_is_not_yyyy_mm_dd(bad: str) -> None:
    assert parse_iso_date(bad) is None
    with pytest.raises(ParamError):
        parse_search_args(MultiDict({"q": "x", "issued_from": bad}))
    with pytest.raises(CoverageParamError):
        parse_day(bad, "as_of", dt.date(2025, 1, 1))
    with pytest.raises(RecordError):
        _check_date("issued_on", bad, required=True)
    with pytest.raises(SettingsError):
        load_settings({"SOHOA_TODAY": bad})


def test_strict_dates_still_read_the_plain_form() -> None:
    assert parse_iso_date("2024-01-31") == dt.date(2024, 1, 31)
    assert parse_search_args(MultiDict({"issued_from": "2024-01-31"})).filters is not None
    with pytest.raises(CoverageParamError):
        parse_month_bound("２０２４-０１", "from", dt.date(2025, 1, 1), end=False)
    assert parse_month_bound("2024-02", "to", dt.date(2025, 1, 1), end=True) == \
        dt.date(2024, 2, 29)


@pytest.mark.parametrize(("location", "expected"), [
    ("http://evil.example/cong-dan/ho-so", "/cong-dan/ho-so"),
    ("https://evil.example//evil.example/x?a=1", "/evil.example/x?a=1"),
    ("/dang-nhap?next=/", "/dang-nhap?next=/"),
    ("http://evil.example", "/"),
])
def test_redirects_stay_on_this_site(location: str, expected: str) -> None:
    assert _local_location(location) == expected
