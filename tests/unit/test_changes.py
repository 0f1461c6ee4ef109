"""Record changes as pure logic (issue 15): validation per field, effective changes, from → to
differences, re-ingest merge, earlier states from history, history/index agreement, the bulk
CSV and the record page's forms."""

from __future__ import annotations

from typing import Any

import pytest

from app.web.record_forms import FormError, action_changes, edit_changes, shown_change, vn_error
from domain.bulk_updates import UpdateFileError, parse_updates
from domain.changes import (
    EDITABLE,
    METADATA_EDITABLE,
    ChangeRejected,
    apply_changes,
    diff,
    history_disagreements,
    ingest_hashes,
    kept_corrections,
    merge_reingest,
    replay,
    state_at,
    validate_changes,
    validate_reason,
)

RECORD: dict[str, Any] = {
    "result_id": "R-1", "result_number": "1/2020/GP", "document_type": "Giấy phép",
    "agency_code": "H26.A", "agency_name": "UBND phường A", "issued_on": "2020-01-02",
    "holder_name": "Nguyễn Văn A", "holder_id_number": "001080000001", "status": "active",
    "valid_from": "2020-01-02", "valid_until": None, "text": "Giấy phép số 1/2020/GP",
    "ingested_at": "2024-05-06T07:08:09+00:00",
}


def rejected(changes: Any, reason: Any = None, current: dict[str, Any] = RECORD) -> set[str]:
    with pytest.raises(ChangeRejected) as caught:
        validate_changes(changes, reason, current)
    return set(caught.value.errors)


def test_every_manifest_field_but_identity_and_files_is_editable() -> None:
    from indexer.pipeline import METADATA_FIELDS

    assert set(METADATA_EDITABLE) == set(METADATA_FIELDS) - {"result_id"}
    assert "text" in EDITABLE and "result_id" not in EDITABLE and "files" not in EDITABLE


def test_each_bad_field_is_named() -> None:
    assert rejected({"issued_on": "2020-02-30", "holder_birth_date": "1/2/1980",
                     "status": "gone", "agency_level": "province", "files": [],
                     "result_id": "X", "nonsense": 1, "holder_name": 5,
                     "other_parties": [{"id_number": "1"}], "agency_code": None}) == {
        "issued_on", "holder_birth_date", "status", "agency_level", "files", "result_id",
        "nonsense", "holder_name", "other_parties", "agency_code"}


def test_changes_must_be_a_non_empty_object() -> None:
    assert rejected({}) == {"changes"}
    assert rejected(["holder_name"]) == {"changes"}


def test_status_and_validity_changes_need_a_reason() -> None:
    assert rejected({"status": "revoked"}) == {"reason"}
    assert rejected({"valid_until": "2030-01-01"}, "  ") == {"reason"}
    assert validate_changes({"status": "revoked"}, "QĐ 1", RECORD) == {"status": "revoked"}
    # Setting a field to the value it has is no change, so it needs no reason.
    assert validate_changes({"status": "active", "signer": "B"}, None, RECORD) == {"signer": "B"}


def test_replacement_rules() -> None:
    assert rejected({"status": "replaced"}, "r") == {"replaced_by"}
    assert rejected({"status": "replaced", "replaced_by": "R-1"}, "r") == {"replaced_by"}
    assert rejected({"replaced_by": "R-2"}, "r") == {"replaced_by"}
    replaced = {**RECORD, "status": "replaced", "replaced_by": "R-2"}
    # Leaving "replaced" drops the link unless the change sets it.
    assert validate_changes({"status": "active"}, "r", replaced) == {
        "status": "active", "replaced_by": None}


def test_valid_until_cannot_precede_valid_from() -> None:
    assert rejected({"valid_until": "2019-01-01"}, "r") == {"valid_until"}


def test_strings_are_trimmed_and_blank_is_refused() -> None:
    assert validate_changes({"holder_name": "  Trần B "}, None, RECORD) == {
        "holder_name": "Trần B"}
    assert rejected({"holder_name": "   "}) == {"holder_name"}


def test_reason_for_withdrawal_is_required() -> None:
    with pytest.raises(ChangeRejected):
        validate_reason(" ")
    assert validate_reason(" nhập nhầm ") == "nhập nhầm"


def test_applied_changes_rebuild_search_fields() -> None:
    changed = apply_changes(RECORD, {"holder_name": "Trần Thị Bê", "holder_id_number": "0099"})
    assert "n:trần thị bê" in changed["search"]["keys"]
    assert not any("nguyễn văn a" in k for k in changed["search"]["keys"])
    assert changed["party_id_numbers"] == ["0099"]
    assert changed["digitized_effective"] == "2024-05-06"


def test_diff_names_changed_fields_only() -> None:
    after = {**RECORD, "holder_name": "B", "other_parties": []}
    assert diff(RECORD, after) == {"holder_name": {"from": "Nguyễn Văn A", "to": "B"}}
    assert diff(None, {"holder_name": "B"}) == {"holder_name": {"from": None, "to": "B"}}


def _ingested(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "ingest_hashes": ingest_hashes(record)}


def test_reingest_keeps_a_correction_the_source_did_not_touch() -> None:
    first = _ingested(RECORD)
    corrected = {**first, "holder_name": "Nguyễn Văn Á"}
    again = merge_reingest(_ingested(RECORD), corrected)
    assert again["holder_name"] == "Nguyễn Văn Á"
    # The source changed the field: its new value wins.
    changed = merge_reingest(_ingested({**RECORD, "holder_name": "Nguyễn Văn B"}), corrected)
    assert changed["holder_name"] == "Nguyễn Văn B"
    # A withdrawn record stays withdrawn.
    assert merge_reingest(_ingested(RECORD), {**first, "withdrawn": True})["withdrawn"] is True


def test_a_correction_is_not_a_difference_from_the_manifest() -> None:
    corrected = {**_ingested(RECORD), "holder_name": "Nguyễn Văn Á"}
    assert kept_corrections(corrected, RECORD) == {"holder_name"}
    assert kept_corrections(corrected, {**RECORD, "holder_name": "Khác"}) == set()


VERSIONS = [
    {"version": 1, "changes": {"holder_name": {"from": None, "to": "A"},
                               "status": {"from": None, "to": "active"}}},
    {"version": 2, "changes": {"holder_name": {"from": "A", "to": "B"}}},
    {"version": 3, "changes": {"status": {"from": "active", "to": "revoked"}}},
]


def test_an_earlier_state_is_rebuilt_from_later_versions() -> None:
    current = {"holder_name": "B", "status": "revoked", "version": 3}
    assert state_at(current, VERSIONS, 1)["holder_name"] == "A"
    assert state_at(current, VERSIONS, 2)["status"] == "active"
    assert state_at(current, VERSIONS, 3)["status"] == "revoked"
    assert replay(VERSIONS) == {"holder_name": "B", "status": "revoked"}


def test_history_disagreements() -> None:
    current = {"holder_name": "B", "status": "revoked", "version": 3}
    assert history_disagreements(current, VERSIONS) == []
    assert history_disagreements({**current, "version": 4}, VERSIONS)
    assert any("gaps" in p or "not 1.." in p
               for p in history_disagreements(current, [VERSIONS[0], VERSIONS[2]]))
    assert any("holder_name" in p
               for p in history_disagreements({**current, "holder_name": "C"}, VERSIONS))
    assert history_disagreements({"holder_name": "x"}, []) == []  # predates history


def test_bulk_csv_rows_and_errors_by_line() -> None:
    rows, errors = parse_updates(
        "result_id,status,valid_until,replaced_by,reason\n"
        "A,revoked,,,QĐ 1\n"
        ",revoked,,,x\n"
        "\n"
        "B,,null,,không thời hạn\n"
        "C,,,,\n"
        "D,revoked,,,x,extra\n")
    assert [(r.line, r.result_id, r.changes) for r in rows] == [
        (2, "A", {"status": "revoked"}), (5, "B", {"valid_until": None})]
    assert [e.line for e in errors] == [3, 6, 7]
    with pytest.raises(UpdateFileError):
        parse_updates("id,status\nA,revoked\n")
    with pytest.raises(UpdateFileError):
        parse_updates("result_id,colour\nA,red\n")


def test_record_page_forms() -> None:
    assert edit_changes({"holder_name": " B ", "summary": "", "csrf_token": "t"}) == {
        "holder_name": "B", "summary": None}
    assert action_changes({"action": "thu-hoi"}) == {"status": "revoked"}
    assert action_changes({"action": "thay-the", "replaced_by": "X"}) == {
        "status": "replaced", "replaced_by": "X"}
    assert action_changes({"action": "gia-han", "valid_until": "2030-01-01"}) == {
        "valid_until": "2030-01-01"}
    for bad in ({"action": "thay-the"}, {"action": "gia-han"}, {"action": "xoá"}, {}):
        with pytest.raises(FormError):
            action_changes(bad)
    assert vn_error("reason", "a change of status needs a reason").startswith("Cần ghi lý do")
    assert "ngày không hợp lệ" in vn_error("issued_on", "is not a valid date: '2020-02-30'")
    assert shown_change("issued_on", {"from": None, "to": "2020-03-04"}) == {
        "label": "Ngày ban hành", "from": "(trống)", "to": "04/03/2020"}
    assert shown_change("status", {"from": "active", "to": "revoked"})["to"] == "Đã thu hồi"
