"""Staff web sign-in: `/dang-nhap`, `/dang-xuat` and `login_required_web` for HTML views.

The session lives server-side in Redis (`app.auth.sessions`); the cookie holds only its random id.
The session holds the username, the account's `session_version` and the sign-in time; sign-out
deletes it, and every request re-reads the account, so disabling it or changing its password ends
the sessions at once (the CLI also deletes them from Redis). The JSON API never reads this
cookie (Bearer tokens only).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.audit.sampling import audit_failed_sign_in
from app.auth import csrf
from app.auth.accounts import Account, AccountStore
from app.auth.ratelimit import FailureLimiter, Limit
from app.auth.sessions import RedisSessionInterface, SessionStore, regenerate

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)

SESSION_KEY = "staff"
SESSION_HOURS = 10  # one working day; then sign in again
LIMITS = {"ip": Limit("ip", 30, 900, 900), "user": Limit("user", 5, 900, 900)}


def current_staff() -> Account | None:
    """The signed-in staff account of this browser session, or None (cached per request)."""
    if "web_account" in g:
        return g.web_account
    account = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and isinstance(data.get("u"), str):
        max_age = current_app.config.get("STAFF_SESSION_HOURS", SESSION_HOURS) * 3600
        fresh = time.time() - float(data.get("at", 0)) < max_age
        store = AccountStore(extensions.es(), extensions.settings())
        found = store.get(data["u"]) if fresh else None
        if found and not found.disabled and found.session_version == data.get("v"):
            account = found
        else:
            session.pop(SESSION_KEY, None)
    g.web_account = account
    if account is not None:
        g.account = account  # the audit trail names the same actor for web and API requests
    return account


def safe_next(target: str | None) -> str:
    """Only same-site paths: `/tim-kiem?q=…` yes, `//evil.example` or `https://…` no."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return "/"
    if target.startswith(("//", "/\\")):
        return "/"
    return target


def _here() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def login_required_web(*roles: str) -> Callable[[F], F]:
    """For HTML views: no session → login page with `next=`; a role not listed → 403 page."""
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            account = current_staff()
            if account is None:
                return redirect(url_for("auth.login", next=_here()))
            if roles and account.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _limiter() -> FailureLimiter:
    limits = current_app.config.get("STAFF_LOGIN_LIMITS", LIMITS)
    return FailureLimiter(extensions.redis_client(), extensions.settings().index_prefix,
                          "staff-login", limits)


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(next_url)
        return render_template("auth/login.html", next_url=next_url)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    subjects = {"ip": request.remote_addr or "unknown", "user": username.lower()}
    limiter = _limiter()
    if wait := limiter.acquire(subjects):
        audit_failed_sign_in("staff.login", "locked", user=username or "anonymous",
                             role="anonymous")
        return _locked(wait, next_url)
    account = _authenticate(limiter, subjects, username, password)
    if account is None:
        wait = limiter.record_failure(subjects)
        audit_failed_sign_in("staff.login", "failure", user=username or "anonymous",
                             role="anonymous")
        if wait:
            return _locked(wait, next_url)
        return render_template("auth/login.html", next_url=next_url, username=username,
                               error="Tên đăng nhập hoặc mật khẩu không đúng."), 401
    limiter.record_success(subjects, forget=("user",))
    session.clear()  # a fresh session, id and CSRF token on sign-in: no session fixation
    regenerate(session)
    session[SESSION_KEY] = {"u": account.username, "v": account.session_version,
                            "at": time.time()}
    g.account = account
    audit("staff.login")
    return redirect(next_url)


def _authenticate(limiter: FailureLimiter, subjects: dict[str, str], username: str,
                  password: str) -> Account | None:
    try:
        return AccountStore(extensions.es(), extensions.settings()).authenticate(username,
                                                                                 password)
    except BaseException:
        limiter.release(subjects)  # the check did not run: no verdict, no failure counted
        raise


def _locked(wait: int, next_url: str) -> ResponseReturnValue:
    minutes = max(1, -(-wait // 60))
    error = f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
    body = render_template("auth/login.html", next_url=next_url, error=error)
    return body, 429, {"Retry-After": str(wait)}


@bp.route("/dang-xuat", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/logout.html", signed_in=current_staff() is not None)
    if current_staff() is not None:
        audit("staff.logout")
    session.clear()
    return redirect(url_for("auth.login"))


def staff_subject(username: str) -> str:
    return f"staff:{username}"


def session_store(app: Flask) -> SessionStore:
    return SessionStore(app.extensions["sohoa.redis"], app.config["SOHOA_SETTINGS"].index_prefix)


def _subjects(data: dict[str, Any]) -> tuple[str, ...]:
    """Who a session belongs to, for revocation by account (see `SessionStore`)."""
    subjects = []
    staff = data.get(SESSION_KEY)
    if isinstance(staff, dict) and isinstance(staff.get("u"), str):
        subjects.append(staff_subject(staff["u"]))
    citizen = data.get("citizen")
    if isinstance(citizen, dict) and isinstance(citizen.get("sub"), str):
        subjects.append(f"citizen:{citizen['sub']}")
    return tuple(subjects)


def _cookie_secure(app: Flask) -> bool:
    """Secure cookies unless debugging or testing, decided per request (`run(debug=True)`
    turns debug on after the app is built); `SOHOA_COOKIE_SECURE` in the config overrides."""
    configured = app.config.get("SOHOA_COOKIE_SECURE")
    if configured is not None:
        return bool(configured)
    return not (app.debug or app.testing)


def init_app(app: Flask) -> None:
    """Cookie flags, CSRF, template helpers and the blueprint."""
    app.session_interface = RedisSessionInterface(session_store, _subjects, _cookie_secure)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="sohoa_session")
    csrf.init_app(app)
    app.jinja_env.globals["current_staff"] = current_staff
    app.register_blueprint(bp)
