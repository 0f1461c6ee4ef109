"""Staff accounts in the `<prefix>-users` index; API tokens are stored only as SHA-256 hashes.

Tokens are 256-bit random values, so a fast hash is enough to make a stolen index useless
(unlike passwords, which need a slow hash: see `passwords.py`). `session_version` grows whenever
a password is set or an account is disabled, which ends the web sessions opened before.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from app.auth.passwords import check_policy, hash_password, verify_password
from domain.clock import utc_now_iso
from domain.settings import Settings

ROLES = ("officer", "manager")
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    disabled: bool = False
    session_version: int = 0
    has_password: bool = False
    created_at: str | None = None
    updated_at: str | None = None


class AccountError(ValueError):
    """A request about accounts that cannot be honoured (unknown role, existing name…)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()



def _account(source: dict[str, Any]) -> Account:
    return Account(source["username"], source["role"], bool(source.get("disabled", False)),
                   int(source.get("session_version", 0)), bool(source.get("password_hash")),
                   source.get("created_at"), source.get("updated_at"))


class AccountStore:
    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("users")

    def add(self, username: str, role: str, password: str | None = None) -> str:
        """Create an account and return its API token (shown once, never stored)."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        if not _USERNAME.match(username):
            raise AccountError("a username is 1-64 letters, digits, '.', '-' or '_'")
        if password is not None:
            check_policy(password, username)
        token = secrets.token_urlsafe(32)
        now = utc_now_iso("seconds")
        document = {"username": username, "role": role, "token_hash": token_hash(token),
                    "disabled": False, "session_version": 0, "created_at": now,
                    "updated_at": now}
        if password is not None:
            document["password_hash"] = hash_password(password)
        try:
            self.client.create(index=self.index, id=username, refresh="wait_for",
                               document=document)
        except ConflictError as exc:
            raise AccountError(f"account {username!r} already exists") from exc
        return token

    def _source(self, username: str) -> dict[str, Any] | None:
        try:
            return self.client.get(index=self.index, id=username)["_source"]
        except NotFoundError:
            return None

    def _update(self, username: str, changes: dict[str, Any]) -> None:
        try:
            self.client.update(index=self.index, id=username, refresh="wait_for",
                               doc={**changes, "updated_at": utc_now_iso("seconds")})
        except NotFoundError as exc:
            raise AccountError(f"no account {username!r}") from exc

    def _require(self, username: str) -> dict[str, Any]:
        source = self._source(username)
        if source is None:
            raise AccountError(f"no account {username!r}")
        return source

    def by_token(self, token: str) -> Account | None:
        response = self.client.search(index=self.index, size=1, query={"bool": {"filter": [
            {"term": {"token_hash": token_hash(token)}}, {"term": {"disabled": False}},
        ]}})
        hits = response["hits"]["hits"]
        return _account(hits[0]["_source"]) if hits else None

    def get(self, username: str) -> Account | None:
        source = self._source(username)
        return _account(source) if source else None

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password matches and the account is enabled; else None."""
        source = self._source(username) if _USERNAME.match(username) else None
        stored = (source or {}).get("password_hash")
        if not verify_password(stored, password) or source is None:
            return None
        account = _account(source)
        return None if account.disabled else account

    def set_password(self, username: str, password: str) -> None:
        source = self._require(username)
        check_policy(password, username)
        self._update(username, {"password_hash": hash_password(password),
                                "session_version": int(source.get("session_version", 0)) + 1})

    def disable(self, username: str) -> None:
        source = self._require(username)
        self._update(username, {"disabled": True,
                                "session_version": int(source.get("session_version", 0)) + 1})

    def enable(self, username: str) -> None:
        self._require(username)
        self._update(username, {"disabled": False})

    def rotate_token(self, username: str) -> str:
        """Replace the API token; the old one stops working at once."""
        self._require(username)
        token = secrets.token_urlsafe(32)
        self._update(username, {"token_hash": token_hash(token)})
        return token

    def list(self) -> list[Account]:
        response = self.client.search(index=self.index, size=1000,
                                      query={"match_all": {}}, sort=[{"username": "asc"}])
        return [_account(hit["_source"]) for hit in response["hits"]["hits"]]
