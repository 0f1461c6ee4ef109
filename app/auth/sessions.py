"""Server-side sessions in Redis, so that ending a session really ends it.

Once somebody signs in, the browser holds only a random 256-bit session id (cookie
`sohoa_session` = `s.<id>`); the session's contents live in Redis under
`<prefix>:session:<sha256(id)>` with an expiry, so a copied cookie stops working the moment the
session is cleared (sign-out), and an id never appears in clear in Redis. A visitor who has not
signed in keeps a signed cookie (a CSRF token, nothing to revoke), so anonymous traffic writes
nothing to Redis. Each session that belongs to somebody (`staff:<username>`,
`citizen:<ID number>`) is also listed under `<prefix>:sessions-of:<sha256(subject)>`, so
disabling an account or changing its password ends every session of it at once
(`SessionStore.revoke_subject`). Citizen API tokens use the same store.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)
from itsdangerous import BadSignature
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

SIGNED_IN_TTL_S = 10 * 3600   # a staff working day (the session's own clock may end it sooner)
ANONYMOUS_TTL_S = 3600        # a visitor's signed cookie (a CSRF token for a form)
SID_PREFIX = "s."             # cookie value of a server-side session; others are signed cookies
_SERIALIZER = TaggedJSONSerializer()
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_id_of(cookie_value: str) -> str:
    """The server-side session id a `sohoa_session` cookie names ("" for a signed cookie)."""
    return cookie_value[len(SID_PREFIX):] if cookie_value.startswith(SID_PREFIX) else ""


class SessionStore:
    """Session records by id, with an expiry, listed per subject for mass revocation."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, sid: str) -> str:
        return f"{self.prefix}:session:{_digest(sid)}"

    def _subject_key(self, subject: str) -> str:
        return f"{self.prefix}:sessions-of:{_digest(subject)}"

    def new_id(self) -> str:
        return secrets.token_urlsafe(32)

    def load(self, sid: str) -> dict[str, Any] | None:
        raw = self.client.get(self._key(sid)) if sid else None
        if raw is None:
            return None
        data = _SERIALIZER.loads(raw.decode())
        return data if isinstance(data, dict) else None

    def save(self, sid: str, data: dict[str, Any], ttl_s: int,
             subjects: tuple[str, ...] = ()) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self._key(sid), _SERIALIZER.dumps(data), ex=ttl_s)
        for subject in subjects:
            key = self._subject_key(subject)
            pipe.sadd(key, _digest(sid))
            pipe.expire(key, max(ttl_s, SIGNED_IN_TTL_S))
        pipe.execute()

    def delete(self, sid: str) -> None:
        if sid:
            self.client.delete(self._key(sid))

    def revoke_subject(self, subject: str) -> int:
        """End every session of one subject; returns how many were still open."""
        key = self._subject_key(subject)
        digests = [d.decode() for d in self.client.smembers(key)]
        keys = [f"{self.prefix}:session:{d}" for d in digests]
        ended = int(self.client.delete(*keys)) if keys else 0
        self.client.delete(key)
        return ended


class ServerSession(SecureCookieSession):
    """A session dict that knows its id; `regenerate()` asks for a fresh id (sign-in)."""

    def __init__(self, initial: dict[str, Any] | None = None, sid: str = "",
                 unavailable: bool = False) -> None:
        super().__init__(initial or {})
        self.sid = sid
        self.previous_sid = ""
        self.unavailable = unavailable  # Redis down: usable for this request, never saved

    def regenerate(self) -> None:
        self.previous_sid, self.sid = self.sid, ""
        self.modified = True


def regenerate(session: SessionMixin) -> None:
    """A new session id (and so no session fixation) while keeping the contents."""
    if isinstance(session, ServerSession):
        session.regenerate()


class RedisSessionInterface(SessionInterface):
    """Signed-in sessions kept in a `SessionStore`, the cookie holding `s.<id>`; a session that
    belongs to nobody (a visitor's CSRF token) stays a signed cookie, so anonymous traffic never
    writes to Redis. `subjects_of` names who a session belongs to; `secure` decides the cookie's
    Secure flag per request (debug and tests run over http)."""

    def __init__(self, store_for: Callable[[Flask], SessionStore],
                 subjects_of: Callable[[dict[str, Any]], tuple[str, ...]],
                 secure: Callable[[Flask], bool]) -> None:
        self.store_for = store_for
        self.subjects_of = subjects_of
        self.secure = secure
        self.signed = SecureCookieSessionInterface()

    def get_cookie_secure(self, app: Flask) -> bool:
        return self.secure(app)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        value = request.cookies.get(self.get_cookie_name(app), "")
        if not value.startswith(SID_PREFIX):
            return ServerSession(self._unsign(app, value))
        sid = session_id_of(value)
        try:
            data = self.store_for(app).load(sid)
        except REDIS_DOWN:
            # Fail closed: nobody is signed in while sessions cannot be read; pages still render
            # and views that need Redis answer 503 themselves.
            log.warning("sessions unavailable: Redis cannot be reached")
            return ServerSession(unavailable=True)
        return ServerSession(data, sid) if data is not None else ServerSession()

    def _unsign(self, app: Flask, value: str) -> dict[str, Any]:
        serializer = self.signed.get_signing_serializer(app)
        if not value or serializer is None:
            return {}
        try:
            data = serializer.loads(value, max_age=ANONYMOUS_TTL_S)
        except BadSignature:  # expired or forged: a fresh, empty session
            return {}
        return data if isinstance(data, dict) else {}

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession) or session.unavailable:
            return
        store = self.store_for(app)
        if session.previous_sid:
            store.delete(session.previous_sid)
        if not session.modified and not session.previous_sid:
            return
        subjects = self.subjects_of(dict(session))
        if session.sid and not subjects:
            store.delete(session.sid)  # signed out: nothing of it may outlive the sign-out
        if not session:
            response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                                   path=self.get_cookie_path(app))
            return
        if subjects:
            sid = session.sid or store.new_id()
            store.save(sid, dict(session), SIGNED_IN_TTL_S, subjects)
            value = SID_PREFIX + sid
        else:
            serializer = self.signed.get_signing_serializer(app)
            if serializer is None:
                raise RuntimeError("SECRET_KEY is not set: sessions cannot be signed")
            value = serializer.dumps(dict(session))
        self._set_cookie(app, response, value)

    def _set_cookie(self, app: Flask, response: Response, value: str) -> None:
        response.set_cookie(self.get_cookie_name(app), value,
                            httponly=self.get_cookie_httponly(app),
                            secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app),
                            domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                            partitioned=self.get_cookie_partitioned(app))
        response.vary.add("Cookie")
