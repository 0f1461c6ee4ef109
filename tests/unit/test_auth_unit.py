"""Fast unit tests of the pure parts of accounts, citizens and hardening (no services)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from app.audit.redact import mask_id, redact
from app.auth.passwords import PasswordPolicyError, check_policy, hash_password, verify_password
from app.auth.web import safe_next
from app.citizen.identity import (
    birth_date_on_record,
    normalise_birth_date,
    normalise_id,
    year_encoded_in_id,
)
from app.security import CSP, install_log_redaction


@pytest.mark.parametrize(("target", "expected"), [
    ("/tim-kiem?q=abc", "/tim-kiem?q=abc"),
    ("/ket-qua/H26.X-1", "/ket-qua/H26.X-1"),
    (None, "/"),
    ("", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("tim-kiem", "/"),
])
def test_safe_next_keeps_only_same_site_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password("một mật khẩu dài"), hash_password("một mật khẩu dài")
    assert first.startswith("scrypt:") and first != second
    assert verify_password(first, "một mật khẩu dài")
    assert not verify_password(first, "một mật khẩu sai")
    assert not verify_password(None, "anything at all")


@pytest.mark.parametrize("password", ["short", "aaaaaaaaaaaa", "xx-alice-password"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordPolicyError):
        check_policy(password, "alice")


def test_masking_of_id_numbers() -> None:
    assert mask_id("001082489830") == "0010****9830"
    assert mask_id("12") == "****"
    assert redact("GET /tim-kiem?q=001082489830&x=1") == "GET /tim-kiem?q=0010****9830&x=1"
    assert redact("số 43/2011/GCNKH ngày 2024-12-12") == "số 43/2011/GCNKH ngày 2024-12-12"


def test_log_records_never_carry_a_full_id_number(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('"GET /tim-kiem?q=%s HTTP/1.1" 200', "001082489830")
    assert "001082489830" not in caplog.text and "0010****9830" in caplog.text


@pytest.mark.parametrize(("id_number", "year"), [
    ("001082489830", 1982), ("001150914178", 1950), ("001203298365", 2003),
    ("001364000000", 2064), ("12345", None),
])
def test_birth_year_encoded_in_a_citizen_id(id_number: str, year: int | None) -> None:
    assert year_encoded_in_id(id_number) == year


def test_normalisation_of_what_citizens_type() -> None:
    assert normalise_id(" 0010 8248 9830 ") == "001082489830"
    assert normalise_id("00108248983") is None
    assert normalise_birth_date("07/03/1982") == dt.date(1982, 3, 7)
    assert normalise_birth_date("1982-03-07") == dt.date(1982, 3, 7)
    assert normalise_birth_date("31/02/1982") is None


def test_birth_date_on_record_for_holder_and_party() -> None:
    record = {"holder_id_number": "001", "holder_birth_date": "1950-08-02",
              "other_parties": [{"id_number": "002"}, {"id_number": "003",
                                                        "birth_date": "1960-01-01"}]}
    assert birth_date_on_record(record, "001") == dt.date(1950, 8, 2)
    assert birth_date_on_record(record, "002") is None
    assert birth_date_on_record(record, "003") == dt.date(1960, 1, 1)


def test_csp_forbids_inline_code_and_framing() -> None:
    assert "default-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
