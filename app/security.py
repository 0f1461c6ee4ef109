"""Hardening for every response: security headers, ID numbers masked in logs. (Error answers
live in `app.errors`; request size and depth bounds in `app.bounds`.)"""

from __future__ import annotations

import logging
from typing import Any

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


def install_log_redaction() -> None:
    """Mask ID-like numbers in every log record (access logs carry `?q=…` query strings)."""
    global _redacting_installed
    if _redacting_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

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
    install_log_redaction()
