"""Field extraction from text: layout rules, register matching, OCR damage, honesty about
absence. Texts are written here (invented people and numbers), not taken from the corpus."""

from __future__ import annotations

from domain.agencies import Agency
from domain.review import review_state
from indexer.metadata import Register, extract_metadata
from indexer.metadata.apply import apply_extraction
from indexer.metadata.numbers import id_trust, repair_result_number

REGISTER = Register([
    Agency("H26", "UBND thành phố Hà Nội", "city", None, 0),
    Agency("H26.HD", "UBND quận Hà Đông", "district", "H26", 0),
    Agency("H26.HD.VQ", "UBND phường Văn Quán", "commune", "H26.HD", 0),
    Agency("H26.TX", "UBND quận Thanh Xuân", "district", "H26", 0),
    Agency("H26.TX.VQ", "UBND phường Văn Quán", "commune", "H26.TX", 0),  # a namesake
    Agency("H26.SXD", "Sở Xây dựng", "city", "H26", 0),
])

DEATH = """UBND QUẬN HÀ ĐÔNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
UBND PHƯỜNG VĂN QUÁN Độc lập - Tự do - Hạnh phúc

Số: 17/2023/TLKT Hà Đông, ngày 08 tháng 11 năm 2023

TRÍCH LỤC KHAI TỬ

Họ, chữ đệm, tên người yêu cầu: TRƯƠNG MINH KHÔI
Ngày, tháng, năm sinh: 14/02/1971.
Số định danh cá nhân: 001071556677.
Nơi cư trú: Số 9 phố Quang Trung, phường Văn Quán, quận Hà Đông,
thành phố Hà Nội.

Nơi nhận: KT. CHỦ TỊCH
- Người yêu cầu; PHÓ CHỦ TỊCH
- Lưu: VT. (Đã ký)

Đoàn Thị Mai
"""

MARRIAGE = """UBND QUẬN THANH XUÂN
UBND PHƯỜNG VĂN QUÁN
GIẤY CHỨNG NHẬN KẾT HÔN
Số: 8/2022/GCNKH
Họ, chữ đệm, tên chồng: ĐẶNG VĂN HÙNG
Ngày, tháng, năm sinh: 03/05/1990.
Giấy tờ tùy thân: 001090112233.
Họ, chữ đệm, tên vợ: NGÔ THỊ LAN
Ngày, tháng, năm sinh: 21/12/1992.
Giấy tờ tùy thân: 001192445566.
Ngày đăng ký: 10/10/2022.
CHỦ TỊCH
Lê Văn Nam
"""


def _values(text: str) -> dict[str, object]:
    return {k: v.value for k, v in extract_metadata(text, REGISTER).fields.items()}


def test_a_document_type_never_seen_is_read_from_its_layout() -> None:
    got = _values(DEATH)
    assert got["result_number"] == "17/2023/TLKT"
    assert got["issued_on"] == "2023-11-08"
    assert got["document_type"] == "Trích lục khai tử"
    assert got["agency_code"] == "H26.HD.VQ"  # the namesake under Thanh Xuân is not it
    assert got["agency_level"] == "commune"
    assert got["holder_name"] == "Trương Minh Khôi"
    assert got["holder_id_number"] == "001071556677"
    assert got["holder_birth_date"] == "1971-02-14"
    assert got["holder_address"].startswith("Số 9 phố Quang Trung")
    assert got["holder_address"].endswith("thành phố Hà Nội")
    assert got["signer"] == "Đoàn Thị Mai" and got["signer_title"] == "Phó Chủ Tịch"


def test_several_parties_one_holder_the_others_listed() -> None:
    got = _values(MARRIAGE)
    assert got["agency_code"] == "H26.TX.VQ"
    assert got["issued_on"] == "2022-10-10"
    parties = {(got["holder_name"], got["holder_id_number"])} | {
        (p["name"], p["id_number"]) for p in got["other_parties"]}
    assert parties == {("Đặng Văn Hùng", "001090112233"), ("Ngô Thị Lan", "001192445566")}


def test_no_number_printed_means_no_number() -> None:
    text = DEATH.replace("Số: 17/2023/TLKT ", "")
    got = _values(text)
    assert "result_number" not in got
    assert got["issued_on"] == "2023-11-08"


def test_ocr_damage_slash_read_as_a_letter_and_lost_marks() -> None:
    damaged = (DEATH.replace("17/2023/TLKT", "17I2023/TLKT")
               .replace("ngày 08 tháng 11 năm 2023", "ngay 08 thang 11 nam 2023")
               .replace("UBND PHƯỜNG VĂN QUÁN", "UBND PHUONG VAN QUAN")
               .replace("TRƯƠNG MINH KHÔI", "TRUONG MINH KHOI"))
    ex = extract_metadata(damaged, REGISTER)
    assert ex.fields["result_number"].value == "17/2023/TLKT"
    assert ex.fields["result_number"].confidence < 0.9  # repaired: an officer should look
    assert ex.fields["issued_on"].value == "2023-11-08"
    assert ex.fields["agency_code"].value == "H26.HD.VQ"
    assert ex.fields["holder_name"].value == "Trương Minh Khôi"  # a name-list spelling back


def test_repair_only_where_the_shape_leaves_no_doubt() -> None:
    assert repair_result_number("125/GPXD-UBND", None) == ("125/GPXD-UBND", 0.97)
    assert repair_result_number("26GP-UBND", None)[0] == "26/GP-UBND"
    assert repair_result_number("Quyết", None) is None


def test_an_id_number_vouched_for_by_the_birth_year() -> None:
    assert id_trust("001071556677", 1971) > id_trust("001071556677", None) > id_trust(
        "001071556677", 1985)


def test_manifest_fields_are_authoritative_and_contradictions_noted() -> None:
    ex = extract_metadata(DEATH, REGISTER)
    given = {"result_id": "X", "result_number": "17/2023/TLKT-X", "agency_code": "H26.HD.VQ",
             "valid_until": None}
    effective, review = apply_extraction(given, ex)
    assert effective["result_number"] == "17/2023/TLKT-X"
    assert effective["valid_until"] is None  # given as null: indefinite, never extracted over
    assert effective["holder_id_number"] == "001071556677"
    assert review is not None and review["state"] == "pending"
    assert review["mismatches"]["result_number"]["text"] == "17/2023/TLKT"
    assert "result_number" not in review["fields"]


def test_a_full_manifest_is_never_pending() -> None:
    keys = ("result_number", "issued_on", "agency_code", "document_type", "holder_name",
            "holder_id_number", "holder_birth_date", "other_parties")
    assert review_state(keys, {"holder_address": {"value": "x", "confidence": 0.8}}) is None
    assert review_state(keys[:-1], {"other_parties": {"value": [], "confidence": 0.9}}) == \
        "pending"


def test_empty_text_extracts_nothing() -> None:
    assert extract_metadata("", REGISTER).fields == {}
    assert review_state((), {}) == "pending"  # no date, no agency: an officer must fill them
