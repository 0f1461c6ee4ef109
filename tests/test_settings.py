import datetime as dt
from pathlib import Path

import pytest

from indexer.settings import SettingsError, load_settings, parse_roadmap


def test_defaults_follow_the_contract() -> None:
    settings = load_settings({})
    assert settings.es_url == "http://127.0.0.1:9200"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.index_prefix == "sohoa"
    assert settings.data_dir == Path("var").resolve()  # absolute: send_file needs no guessing
    assert settings.today is None
    assert settings.index_name("results") == "sohoa-results"


def test_today_is_pinned_by_environment() -> None:
    assert load_settings({"SOHOA_TODAY": "2024-02-29"}).effective_today() == dt.date(2024, 2, 29)


@pytest.mark.parametrize(("name", "value"), [
    ("SOHOA_ES_URL", "localhost:9200"),
    ("SOHOA_REDIS_URL", "http://127.0.0.1:6379"),
    ("SOHOA_INDEX_PREFIX", "Has Spaces"),
    ("SOHOA_INDEX_PREFIX", "-leading-dash"),
    ("SOHOA_TODAY", "2024-02-30"),
    ("SOHOA_OCR_TIMEOUT", "-5"),
    ("SOHOA_ROADMAP", "2022:30/30"),
])
def test_bad_values_fail_fast_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_roadmap_is_configuration() -> None:
    assert parse_roadmap("2022:30/30/25, 2023:55/55/50") == {
        2022: {"city": 0.30, "district": 0.30, "commune": 0.25},
        2023: {"city": 0.55, "district": 0.55, "commune": 0.50},
    }
