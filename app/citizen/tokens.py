"""Short-lived citizen tokens: signed with the app's secret, scoped to one ID number.

A token is `itsdangerous`-signed JSON `{"sub": id_number, "scope": "citizen", "via": method}`
with a timestamp; it expires after `CITIZEN_TOKEN_MINUTES` (30). Staff tokens are random values
looked up by hash, so neither kind can pass for the other.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "sohoa.citizen-token.v1"
SCOPE = "citizen"
DEFAULT_MINUTES = 30


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def lifetime_seconds() -> int:
    return int(current_app.config.get("CITIZEN_TOKEN_MINUTES", DEFAULT_MINUTES)) * 60


def issue(id_number: str, method: str) -> str:
    return _serializer().dumps({"sub": id_number, "scope": SCOPE, "via": method})


def verify(token: str) -> str | None:
    """The ID number the token is scoped to, or None (bad signature, expired, wrong scope)."""
    try:
        data = _serializer().loads(token, max_age=lifetime_seconds())
    except BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or data.get("scope") != SCOPE:
        return None
    subject = data.get("sub")
    return subject if isinstance(subject, str) and subject else None
