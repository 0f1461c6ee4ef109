"""Staff accounts in the `<prefix>-users` index; API tokens are stored only as SHA-256 hashes.

Tokens are 256-bit random values, so a fast hash is enough to make a stolen index useless
(unlike passwords, which need a slow hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from elasticsearch import Elasticsearch, NotFoundError

from indexer.settings import Settings

ROLES = ("officer", "manager")
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    disabled: bool = False


class AccountError(ValueError):
    """A request about accounts that cannot be honoured (unknown role, existing name…)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("users")

    def add(self, username: str, role: str) -> str:
        """Create an account and return its API token (shown once, never stored)."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        if not _USERNAME.match(username):
            raise AccountError("a username is 1-64 letters, digits, '.', '-' or '_'")
        token = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC).isoformat()
        try:
            self.client.create(index=self.index, id=username, refresh="wait_for", document={
                "username": username, "role": role, "token_hash": token_hash(token),
                "disabled": False, "created_at": now, "updated_at": now,
            })
        except Exception as exc:
            if getattr(exc, "status_code", None) == 409 or "version_conflict" in str(exc):
                raise AccountError(f"account {username!r} already exists") from exc
            raise
        return token

    def by_token(self, token: str) -> Account | None:
        response = self.client.search(index=self.index, size=1, query={"bool": {"filter": [
            {"term": {"token_hash": token_hash(token)}}, {"term": {"disabled": False}},
        ]}})
        hits = response["hits"]["hits"]
        if not hits:
            return None
        source = hits[0]["_source"]
        return Account(source["username"], source["role"], source.get("disabled", False))

    def get(self, username: str) -> Account | None:
        try:
            source = self.client.get(index=self.index, id=username)["_source"]
        except NotFoundError:
            return None
        return Account(source["username"], source["role"], source.get("disabled", False))
