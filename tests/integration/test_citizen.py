"""Citizens retrieve their own results — and never anyone else's — on the sample corpus.

Expected sets come from the sample manifest: a person's records are those naming their ID number
as holder or among `other_parties`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app import extensions
from app.citizen import tokens
from domain.settings import Settings
from domain.validity import validity_state
from tests.conftest import SAMPLE, TODAY
from tests.support.apps import bearer, make_app
from tests.support.security_fixtures import citizen_login, clear_citizen_limits, set_csrf

pytestmark = [pytest.mark.services, pytest.mark.slow]

MANIFEST = [json.loads(line) for line in (SAMPLE / "manifest.jsonl").read_text().splitlines()
            if line.strip()]
BY_ID = {r["result_id"]: r for r in MANIFEST}


def records_of(id_number: str) -> set[str]:
    return {r["result_id"] for r in MANIFEST
            if r.get("holder_id_number") == id_number
            or any(p.get("id_number") == id_number for p in r.get("other_parties") or [])}


def parties(record: dict[str, Any]) -> set[str]:
    return {record.get("holder_id_number"), *(p.get("id_number")
                                              for p in record.get("other_parties") or [])} - {None}


def records_in_scope(id_number: str, login: dict[str, Any]) -> set[str]:
    """What a sign-in through `login` opens (issue 16 item 1): the person's records that also
    name everyone else the proving record names — each of them holds the same proof."""
    proving = [r for r in MANIFEST if r["result_number"] == login["result_number"]
               and id_number in parties(r)]
    witnesses = set().union(*map(parties, proving)) - {id_number}
    return {rid for rid in records_of(id_number) if witnesses <= parties(BY_ID[rid])}


def holder_birth(id_number: str) -> str | None:
    return next((r["holder_birth_date"] for r in MANIFEST
                 if r.get("holder_id_number") == id_number), None)


def party_only_people() -> list[str]:
    parties = {p["id_number"] for r in MANIFEST for p in r.get("other_parties") or []}
    return sorted(p for p in parties if holder_birth(p) is None)


def login_record(id_number: str, as_party: bool = False) -> dict[str, Any]:
    """A record naming the person (as other party when asked) to sign in with."""
    for r in MANIFEST:
        is_holder = r.get("holder_id_number") == id_number
        is_party = any(p.get("id_number") == id_number for p in r.get("other_parties") or [])
        if (as_party and is_party) or (not as_party and is_holder):
            return r
    raise LookupError(id_number)


def _people() -> list[tuple[str, str, bool]]:
    """(ID number, birth date, sign in with a record naming them as other party)."""
    party_only = party_only_people()[0]
    # The ID encodes the year only (Vu Khanh Hang, 0011 64 …: 1964); any day of that year passes.
    return [
        ("001082489830", holder_birth("001082489830"), False),  # holder of many, party of 3
        ("001082489830", holder_birth("001082489830"), True),
        ("001169345020", holder_birth("001169345020"), True),   # party here, holder elsewhere
        ("001150914178", holder_birth("001150914178"), False),
        (party_only, f"19{party_only[4:6]}-06-15", True),        # only ever an other party
    ]


@pytest.fixture(scope="module")
def app(session_settings: Settings, ingested_sample: Any) -> Flask:
    assert ingested_sample.returncode == 0, ingested_sample.stdout[-2000:]
    return make_app(session_settings)


@pytest.fixture(autouse=True)
def clean_limits(app: Flask) -> Iterator[None]:
    with app.app_context():
        clear_citizen_limits(app, extensions.redis_client())
    yield


def _token(app: Flask, id_number: str, birth: str, as_party: bool) -> str:
    number = login_record(id_number, as_party)["result_number"]
    response = citizen_login(app.test_client(), id_number, birth, number)
    assert response.status_code == 200, (id_number, response.get_json())
    return response.get_json()["token"]


@pytest.mark.parametrize(("id_number", "birth", "as_party"), _people())
def test_citizen_gets_exactly_their_records(app: Flask, id_number: str, birth: str,
                                            as_party: bool) -> None:
    token = _token(app, id_number, birth, as_party)
    body = app.test_client().get("/api/v1/citizen/results", headers=bearer(token)).get_json()
    got = [item["result_id"] for item in body["results"]]
    expected = records_in_scope(id_number, login_record(id_number, as_party))
    assert set(got) == expected and len(got) == len(set(got))
    assert body["total"] == len(expected)
    assert expected <= records_of(id_number)
    for item in body["results"]:
        assert item["valid"] == (validity_state(BY_ID[item["result_id"]], TODAY) == "valid")
    flags = [item["valid"] for item in body["results"]]
    assert flags == sorted(flags, reverse=True), "valid records come first"
    print(f"{id_number[:4]}****: {len(got)} records ({sum(flags)} valid)")


def test_party_only_person_needs_the_year_their_id_encodes(app: Flask) -> None:
    person = party_only_people()[0]
    number = login_record(person, as_party=True)["result_number"]
    client = app.test_client()
    wrong_year = citizen_login(client, person, f"19{int(person[4:6]) + 1:02d}-06-15", number)
    assert wrong_year.status_code == 401
    strict = make_app(app.config["SOHOA_SETTINGS"], CITIZEN_YEAR_FALLBACK=False)
    right_year = f"19{person[4:6]}-06-15"
    assert citizen_login(strict.test_client(), person, right_year, number).status_code == 401
    assert citizen_login(client, person, right_year, number).status_code == 200


def test_another_persons_records_and_files_are_404(app: Flask,
                                                   session_settings: Settings) -> None:
    client = app.test_client()
    missing = client.get("/api/v1/citizen/results/NO-SUCH-ID", headers=bearer(
        _token(app, "001082489830", holder_birth("001082489830"), False)))
    assert missing.status_code == 404
    attempts = 0
    for id_number, birth, as_party in _people()[2:]:
        token = _token(app, id_number, birth, as_party)
        mine = records_in_scope(id_number, login_record(id_number, as_party))
        for result_id, record in BY_ID.items():
            view = client.get(f"/api/v1/citizen/results/{result_id}", headers=bearer(token))
            first = client.get(f"/api/v1/citizen/results/{result_id}/files/0",
                               headers=bearer(token))
            if result_id in mine:
                assert view.status_code == 200 and first.status_code == 200
                original = SAMPLE / record["files"][0]
                assert hashlib.sha256(first.data).digest() == \
                    hashlib.sha256(original.read_bytes()).digest()
                assert client.get(f"/api/v1/citizen/results/{result_id}/files/99",
                                  headers=bearer(token)).data == missing.data
            else:
                attempts += 2
                assert view.status_code == 404 and first.status_code == 404
                assert view.data == missing.data and first.data == missing.data
    print(f"other people's record/file requests refused with the same 404: {attempts}")
    assert attempts > 100


def test_failures_get_one_generic_401(app: Flask) -> None:
    client = app.test_client()
    own = login_record("001150914178")
    other = login_record("001082489830")
    tries = [
        ("001150914178", "1950-08-03", own["result_number"]),       # wrong birth date
        ("001150914178", "1950-08-02", other["result_number"]),     # someone else's result
        ("001999999999", "1950-08-02", own["result_number"]),       # unknown ID number
        ("abc", "not a date", ""),                                  # garbage
    ]
    bodies = set()
    for i, (id_number, birth, number) in enumerate(tries):
        response = citizen_login(client, id_number, birth, number, REMOTE_ADDR=f"10.9.0.{i}")
        assert response.status_code == 401
        bodies.add(response.data)
    assert len(bodies) == 1
    assert client.post("/api/v1/citizen/session", data="not json").status_code == 401


def test_forty_wrong_birth_dates_never_give_a_session(app: Flask) -> None:
    person = "001082489830"
    number = login_record(person)["result_number"]
    client = app.test_client()
    statuses = []
    for i in range(40):
        # A different client address every time: the per-ID-number limit alone must hold.
        wrong = f"19{60 + i % 30}-0{1 + i % 9}-1{i % 10}"
        response = citizen_login(client, person, wrong, number, REMOTE_ADDR=f"10.1.{i}.1")
        statuses.append(response.status_code)
        assert "token" not in (response.get_json() or {})
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 35
    assert statuses.index(429) == 4, statuses[:8]
    right = citizen_login(client, person, holder_birth(person), number, REMOTE_ADDR="10.2.0.1")
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    print(f"40 wrong birth dates: {statuses.count(401)}×401 then {statuses.count(429)}×429")


def test_one_address_trying_many_id_numbers_is_locked_out(app: Flask) -> None:
    client = app.test_client()
    statuses = [citizen_login(client, f"0010{i:08d}", "1980-01-01", "1/X",
                              REMOTE_ADDR="10.3.0.1").status_code for i in range(25)]
    assert statuses[:19] == [401] * 19 and set(statuses[19:]) == {429}
    other_address = citizen_login(client, "001150914178", "1950-08-02",
                                  login_record("001150914178")["result_number"],
                                  REMOTE_ADDR="10.3.0.2")
    assert other_address.status_code == 200


def test_expired_or_tampered_tokens_are_refused(app: Flask) -> None:
    token = _token(app, "001150914178", "1950-08-02", False)
    client = app.test_client()
    assert client.get("/api/v1/citizen/results", headers=bearer(token)).status_code == 200
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert client.get("/api/v1/citizen/results", headers=bearer(tampered)).status_code == 401

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 60

    signed_earlier = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SALT,
                                            signer=Past)
    fresh = signed_earlier.dumps({"sub": "001150914178", "scope": "citizen"})
    assert tokens.SALT and fresh != token
    old = signed_earlier.dumps(
        {"sub": "001150914178", "scope": "citizen", "via": "result-number"})
    assert client.get("/api/v1/citizen/results", headers=bearer(old)).status_code == 401


def test_citizen_web_pages(app: Flask) -> None:
    person, birth = "001169345020", holder_birth("001169345020")
    client = app.test_client()
    csrf = set_csrf(client)
    start = client.get("/cong-dan")
    assert start.status_code == 200 and 'name="viewport"' in start.get_data(as_text=True)
    number = login_record(person, as_party=True)["result_number"]
    wrong = client.post("/cong-dan", data={"id_number": person, "birth_date": "01/01/1969",
                                           "result_number": number, "csrf_token": csrf})
    assert wrong.status_code == 401
    day, month, year = birth[8:], birth[5:7], birth[:4]
    ok = client.post("/cong-dan", data={"id_number": person, "birth_date": f"{day}/{month}/{year}",
                                        "result_number": number, "csrf_token": csrf})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/cong-dan/ho-so")
    page = client.get("/cong-dan/ho-so").get_data(as_text=True)
    in_scope = records_in_scope(person, login_record(person, as_party=True))
    for result_id in in_scope:
        assert BY_ID[result_id]["result_number"] in page
    not_mine = next(r for r in BY_ID if r not in records_of(person))
    assert client.get(f"/cong-dan/ho-so/{not_mine}").status_code == 404
    assert client.get(f"/cong-dan/ho-so/{not_mine}/tep/0").status_code == 404
    mine = sorted(in_scope)[0]
    assert client.get(f"/cong-dan/ho-so/{mine}").status_code == 200
    assert client.get(f"/cong-dan/ho-so/{mine}/tep/0").status_code == 200
    assert client.post("/cong-dan/thoat", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/cong-dan/ho-so").status_code == 302


def test_es_index_holds_party_ids_for_every_sample_record(es: Elasticsearch,
                                                          session_settings: Settings,
                                                          app: Flask) -> None:
    # The citizen list relies on `party_id_numbers`; a record without it would be invisible.
    # Only the sample's records: other modules add their own to the session's shared index.
    sample_ids = [r["result_id"] for r in MANIFEST]
    response = es.count(index=session_settings.index_name("results"), query={"bool": {
        "filter": {"terms": {"result_id": sample_ids}},
        "must_not": {"exists": {"field": "party_id_numbers"}}}})
    assert response["count"] == 0
    assert es.count(index=session_settings.index_name("results"), query={
        "terms": {"result_id": sample_ids}})["count"] == len(sample_ids)
