"""CSRF protection for the HTML forms (synchronizer token kept in the signed session).

`csrf_token()` is a Jinja global: every form that POSTs carries
`<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`. `init_app` checks the token
on every state-changing request outside the JSON API — the API authenticates with Bearer tokens or
citizen tokens sent explicitly, never with cookies, so a forged cross-site request carries nothing.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

SESSION_KEY = "_csrf"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Blueprints that never read the session cookie for authentication.
EXEMPT_BLUEPRINTS = frozenset({"api", "health", "citizen_api", "audit_api"})


def csrf_token() -> str:
    """The session's token, created on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def token_is_valid(sent: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def _exempt() -> bool:
    if request.path.startswith("/api/"):
        return True
    blueprints = request.blueprints
    return bool(blueprints) and blueprints[-1] in EXEMPT_BLUEPRINTS


def check_csrf() -> None:
    """Abort with 400 when an unsafe request from a web form lacks the session's token."""
    if request.method not in UNSAFE_METHODS or _exempt():
        return
    sent = request.form.get(FORM_FIELD) or request.headers.get(HEADER)
    if not token_is_valid(sent):
        abort(400, description="Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                               "Vui lòng tải lại trang và thử lại.")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(check_csrf)
