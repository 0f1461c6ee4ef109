"""Who is this citizen? A pluggable `IdentityProvider`; the default checks what a citizen holds
on paper: their ID number, birth date and the number printed on one of their results.

Rule of the default provider (see docs/citizen-identity.md): a record with that result number
must list the ID number (as holder or among `other_parties`), and the birth date must match the
birth date on file for that person — the record's own (`holder_birth_date`, or the party's
`birth_date`), else any other record's that names the same ID number with a birth date. Only
when no record anywhere carries a birth date for that ID number is the date checked against what
the 12-digit citizen ID itself encodes (century/sex digit and the year's last two digits).

Everything a sign-in checks is printed on the proving record, which every person it names holds
on paper. So a proof through a record naming others could come from any of them: the identity
carries those others as `witnesses`, and the session opens only records naming every witness
too — records each of them may see anyway. A co-party who signs in "as the holder" gains nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Protocol

from elasticsearch import Elasticsearch

from domain.review import PENDING_QUERY
from domain.settings import Settings
from domain.text.codes import code_key, parse_date
from domain.validity import NOT_WITHDRAWN

_CCCD = re.compile(r"^\d{12}$")
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class IdentityClaim:
    id_number: str
    birth_date: str
    result_number: str


@dataclass(frozen=True)
class CitizenIdentity:
    id_number: str
    method: str  # how it was proven, e.g. "result-number", "year-from-id", "oidc"
    # Others named on the proving record: they hold the same proof, so the session only opens
    # records naming them too. Empty for a proof nobody else holds (e.g. OIDC, a sole record).
    witnesses: frozenset[str] = frozenset()


class IdentityProvider(Protocol):
    name: str

    def verify(self, claim: IdentityClaim) -> CitizenIdentity | None:
        """The proven identity, or None — never a reason (one generic answer for every failure)."""


def normalise_id(value: str) -> str | None:
    digits = re.sub(r"[\s.\-]", "", value or "")
    return digits if _CCCD.match(digits) else None


def normalise_birth_date(value: str) -> dt.date | None:
    return parse_date(value or "")


def year_encoded_in_id(id_number: str) -> int | None:
    """Birth year a 12-digit citizen ID encodes (Circular 59/2021/TT-BCA): digit 4 gives the
    century and sex (0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 1800s), digits 5-6
    the year's last two digits."""
    if not _CCCD.match(id_number):
        return None
    century = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200,
               8: 1800, 9: 1800}[int(id_number[3])]
    return century + int(id_number[4:6])


def _date(value: Any) -> dt.date | None:
    return parse_date(str(value)[:10]) if value else None


def party_ids(source: dict[str, Any]) -> set[str]:
    """Every ID number a record names: holder and other parties."""
    named = source.get("party_id_numbers")
    if named is None:  # documents written before the field existed
        named = [source.get("holder_id_number"),
                 *(p.get("id_number") for p in source.get("other_parties") or [])]
    return {str(p) for p in named if p}


def witnesses_of(records: list[dict[str, Any]], id_number: str) -> frozenset[str]:
    """Who else holds the proof these records give: everybody else any of them names."""
    return frozenset(set().union(*(party_ids(s) for s in records)) - {id_number})


def birth_date_on_record(source: dict[str, Any], id_number: str) -> dt.date | None:
    """The birth date this record gives for that person (holder or party), if any."""
    if source.get("holder_id_number") == id_number and source.get("holder_birth_date"):
        return _date(source["holder_birth_date"])
    for party in source.get("other_parties") or []:
        if str(party.get("id_number")) == id_number and party.get("birth_date"):
            return _date(party["birth_date"])
    return None


class ResultNumberProvider:
    """Default provider: ID number + birth date + the number of one of the citizen's results."""

    name = "result-number"

    def __init__(self, client: Elasticsearch, settings: Settings,
                 year_fallback: bool = True) -> None:
        self.client = client
        self.index = settings.index_name("results")
        self.year_fallback = year_fallback

    def _records(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        # A pending record's fields are unconfirmed extractions, and a withdrawn record was
        # ingested in error: neither proves anybody's identity.
        guarded = {"bool": {"must": [query], "filter": [NOT_WITHDRAWN],
                            "must_not": [PENDING_QUERY]}}
        response = self.client.search(
            index=self.index, size=MAX_CANDIDATES, query=guarded,
            source_includes=["result_id", "holder_id_number", "holder_birth_date",
                             "other_parties", "party_id_numbers"])
        return [hit["_source"] for hit in response["hits"]["hits"]]

    def known_birth_dates(self, id_number: str) -> set[dt.date]:
        records = self._records({"term": {"party_id_numbers": id_number}})
        return {d for s in records if (d := birth_date_on_record(s, id_number)) is not None}

    def verify(self, claim: IdentityClaim) -> CitizenIdentity | None:
        id_number = normalise_id(claim.id_number)
        birth_date = normalise_birth_date(claim.birth_date)
        number = (claim.result_number or "").strip()
        if id_number is None or birth_date is None or not number:
            return None
        candidates = self._records({"bool": {
            "filter": [{"term": {"party_id_numbers": id_number}}],
            "should": [{"term": {"result_number": number}},
                       {"term": {"result_number_key": code_key(number)}}],
            "minimum_should_match": 1,
        }})
        if not candidates:
            return None
        method = self._birth_date_check(candidates, id_number, birth_date)
        if method is None:
            return None
        return CitizenIdentity(id_number, method, witnesses_of(candidates, id_number))

    def _birth_date_check(self, candidates: list[dict[str, Any]], id_number: str,
                          birth_date: dt.date) -> str | None:
        """How the birth date was proven (the provider's name or "year-from-id"), or None."""
        on_records = {d for s in candidates if (d := birth_date_on_record(s, id_number))}
        if on_records:
            return self.name if birth_date in on_records else None
        known = self.known_birth_dates(id_number)
        if known:
            return self.name if birth_date in known else None
        if self.year_fallback and year_encoded_in_id(id_number) == birth_date.year:
            return "year-from-id"
        return None
