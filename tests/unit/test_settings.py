import datetime as dt
from pathlib import Path

import pytest

from domain.settings import SettingsError, load_settings, parse_roadmap


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


def test_trusted_proxies_is_a_whole_number() -> None:
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"SOHOA_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    with pytest.raises(SettingsError, match="SOHOA_TRUSTED_PROXIES"):
        load_settings({"SOHOA_TRUSTED_PROXIES": "yes"})


@pytest.mark.parametrize(("proxies", "seen"), [(0, "10.0.0.2"), (1, "203.0.113.7")])
def test_client_address_comes_from_the_proxy_only_when_trusted(proxies: int, seen: str) -> None:
    from flask import request

    from domain.settings import Settings
    from tests.support.apps import make_app

    app = make_app(Settings(trusted_proxies=proxies))
    app.add_url_rule("/_client-address", "client_address", lambda: request.remote_addr or "")
    response = app.test_client().get(
        "/_client-address", headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.get_data(as_text=True) == seen


def test_the_local_stack_heap_fits_the_machine() -> None:
    from app.devstack.stack import default_heap

    gib = 1024**3
    plain = load_settings({})
    assert default_heap(1, plain, memory_bytes=24 * gib) == "4g"  # as docker-compose.yml
    assert default_heap(1, plain, memory_bytes=8 * gib) == "2g"
    assert default_heap(3, plain, memory_bytes=24 * gib) == "1g"
    assert default_heap(1, load_settings({"SOHOA_ES_HEAP": "768m"}), memory_bytes=8 * gib) == "768m"
