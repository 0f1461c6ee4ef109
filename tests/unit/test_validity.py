import datetime as dt

import pytest

from domain.validity import validity_state

D = dt.date(2025, 6, 1)


@pytest.mark.parametrize(("record", "state"), [
    ({"status": "active", "valid_from": "2020-01-01", "valid_until": None}, "valid"),
    ({"status": "active", "valid_from": "2025-06-01", "valid_until": "2025-06-01"}, "valid"),
    ({"status": "active", "valid_from": "2020-01-01", "valid_until": "2025-05-31"}, "expired"),
    ({"status": "active", "valid_from": "2025-06-02"}, "not-yet-valid"),
    ({"status": "revoked", "valid_from": "2020-01-01"}, "revoked"),
    ({"status": "replaced", "valid_from": "2020-01-01"}, "replaced"),
    ({"status": "active"}, "unknown"),
    ({"valid_from": "2020-01-01"}, "unknown"),
])
def test_validity_follows_the_contract(record: dict, state: str) -> None:
    assert validity_state(record, D) == state
