"""Hardening for every response: security headers, ID numbers masked in logs. (Error answers
live in `app.errors`; request size and depth bounds in `app.bounds`.)"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.audit.redact import redact

log = logging.getLogger(__name__)

CSP = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # URLs carry queries (names, ID numbers): never hand them to another site.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _local_location(location: str) -> str:
    """`http://<whatever Host said>/a?b` -> `/a?b`; never `//…` (another site to a browser)."""
    parts = urlsplit(location)
    path = "/" + parts.path.lstrip("/\\")
    return path + (f"?{parts.query}" if parts.query else "")


def keep_redirects_on_site(response: Response) -> Response:
    """Werkzeug's own redirects (slash merging, a missing trailing slash) are absolute URLs built
    from the request's Host header, which any client sets: make them relative to this site. The
    app has no redirect to another site, so every Location is made local."""
    location = response.headers.get("Location")
    if location is not None and response.status_code in REDIRECTS:
        response.headers["Location"] = _local_location(location)
    return response


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Records and personal pages must not linger in shared desk computers' caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


_redacting_installed = False
_TRACEBACKS = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ID-like numbers in the message, the traceback and the stack of one log record.

    The traceback is formatted here, masked and kept as `exc_text`: handlers' formatters use
    `exc_text` when it is set, so the clear text never reaches any of them."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = None  # a malformed call: the handler reports it; nothing to mask here
    if message is not None:
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install_log_redaction() -> None:
    """Mask ID-like numbers in every log record (access logs carry `?q=…` query strings)."""
    global _redacting_installed
    if _redacting_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _redacting_installed = True


def init_app(app: Flask) -> None:
    proxies = app.config["SOHOA_SETTINGS"].trusted_proxies
    if proxies:
        # Behind N proxies the client address is the Nth from the right of X-Forwarded-For;
        # without this, rate limits and the audit log would see every citizen as the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)
    app.after_request(add_headers)
    app.after_request(keep_redirects_on_site)
    install_log_redaction()
