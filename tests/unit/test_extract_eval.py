"""Scoring of field extraction: invented and missed values are wrong, both-absent is not
counted, several parties compare as a set."""

from __future__ import annotations

from indexer.evaluation.extract_eval import score

TRUTH = {"result_number": "12/2020/GP-ĐK", "holder_name": "Lê Văn A", "holder_id_number": "1",
         "holder_birth_date": "1990-01-01",
         "other_parties": [{"name": "Trần Thị B", "id_number": "2"}]}


def test_code_key_comparison_and_absences() -> None:
    got = {"result_number": "12/2020/GP-DK", "valid_until": "2021-01-01"}
    s = score([("r", TRUTH, got, {"result_number": 0.97, "valid_until": 0.95})])
    assert s["result_number"].right == 1 and s["result_number"].confident_right == 1
    assert s["valid_until"].counted == 1 and s["valid_until"].right == 0  # invented
    assert s["signer"].counted == 0  # absent on both sides: not counted
    assert s["holder_name"].right == 0 and s["holder_name"].coverage == 0  # missed


def test_parties_compare_as_a_set_whoever_is_holder() -> None:
    swapped = {"holder_name": "Trần Thị B", "holder_id_number": "2",
               "holder_birth_date": "1992-02-02",
               "other_parties": [{"name": "Lê Văn A", "id_number": "1"}]}
    s = score([("r", TRUTH, swapped, {})])
    assert s["holder_name"].right == s["holder_id_number"].right == 1
    assert s["other_parties"].right == 1
    assert s["holder_birth_date"].counted == 0  # another person's date: not comparable
