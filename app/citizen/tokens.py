"""Short-lived, revocable citizen tokens.

A token is `itsdangerous`-signed JSON `{"sid": <random id>, "scope": "citizen"}` with a
timestamp; what it stands for (ID number, witnesses, method) lives server-side in Redis under
that id (`app.auth.sessions.SessionStore`). It stops working after `CITIZEN_TOKEN_MINUTES` (30)
or as soon as it is revoked (`POST /api/v1/citizen/logout`). The signature lets a forged
token be refused without a Redis round trip. Staff tokens are random values looked up by hash,
so neither kind can pass for the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import extensions
from app.auth.sessions import SessionStore
from app.citizen.identity import CitizenIdentity

SALT = "sohoa.citizen-token.v2"
SCOPE = "citizen"
DEFAULT_MINUTES = 30


@dataclass(frozen=True)
class CitizenSession:
    id_number: str
    witnesses: frozenset[str]
    method: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _store() -> SessionStore:
    return SessionStore(extensions.redis_client(), extensions.settings().index_prefix)


def lifetime_seconds() -> int:
    return int(current_app.config.get("CITIZEN_TOKEN_MINUTES", DEFAULT_MINUTES)) * 60


def subject(id_number: str) -> str:
    return f"citizen:{id_number}"


def issue(identity: CitizenIdentity) -> str:
    store = _store()
    sid = store.new_id()
    store.save(sid, {"sub": identity.id_number, "via": identity.method,
                     "w": sorted(identity.witnesses)},
               lifetime_seconds(), (subject(identity.id_number),))
    return _serializer().dumps({"sid": sid, "scope": SCOPE})


def _session_id(token: str) -> str | None:
    try:
        data = _serializer().loads(token, max_age=lifetime_seconds())
    except BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or data.get("scope") != SCOPE:
        return None
    sid = data.get("sid")
    return sid if isinstance(sid, str) and sid else None


def verify(token: str) -> CitizenSession | None:
    """What a live token stands for, or None (bad signature, expired, revoked, wrong scope)."""
    sid = _session_id(token)
    data = _store().load(sid) if sid else None
    if data is None or not isinstance(data.get("sub"), str) or not data["sub"]:
        return None
    return CitizenSession(data["sub"], frozenset(map(str, data.get("w") or [])),
                          str(data.get("via") or ""))


def revoke(token: str) -> bool:
    """End the session a token stands for; False when it was not live."""
    sid = _session_id(token)
    if sid is None or _store().load(sid) is None:
        return False
    _store().delete(sid)
    return True
