"""Hardening for every response: security headers, request size limits, errors without
stack traces (JSON under /api/, a Vietnamese page elsewhere), ID numbers masked in logs."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout
from flask import Flask, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.errors import ApiProblem
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
SMALL_BODY_BYTES = 64 * 1024       # everything but uploads: forms and JSON are tiny
MAX_QUERY_STRING = 4096
UPLOAD_ENDPOINTS = frozenset({"api.ingest"})

TITLES = {
    400: "Yêu cầu không hợp lệ", 401: "Cần đăng nhập", 403: "Không có quyền truy cập",
    404: "Không tìm thấy", 405: "Phương thức không được hỗ trợ", 413: "Dữ liệu gửi lên quá lớn",
    414: "Địa chỉ quá dài", 429: "Quá nhiều yêu cầu", 500: "Lỗi hệ thống",
    503: "Dịch vụ tạm thời không sẵn sàng",
}
MESSAGES = {
    403: "Tài khoản của bạn không có quyền xem trang này.",
    404: "Trang hoặc hồ sơ bạn tìm không tồn tại.",
    500: "Đã xảy ra lỗi; lỗi đã được ghi lại. Vui lòng thử lại sau.",
    503: "Hệ thống tìm kiếm tạm thời không sẵn sàng. Vui lòng thử lại sau ít phút.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, message: str | None = None,
           headers: dict[str, str] | None = None) -> ResponseReturnValue:
    if _wants_json():
        return jsonify({"error": message or TITLES.get(status, "error"), "status": status}), \
            status, headers or {}
    text = MESSAGES.get(status) or message or TITLES.get(status, "")
    page = render_template("auth/error.html", title=TITLES.get(status, "Lỗi"), message=text)
    return page, status, headers or {}


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("retry-after", "allow")}
    return _error(status, exc.description if status < 500 else None, headers)


def _api_problem(exc: ApiProblem) -> ResponseReturnValue:
    return jsonify({"error": exc.message, "status": exc.status, **exc.extra}), exc.status


def _unavailable(exc: Exception) -> ResponseReturnValue:
    log.warning("backing service unavailable: %s", type(exc).__name__)
    return _error(503)


def _internal(_exc: Exception) -> ResponseReturnValue:
    return _error(500)


def limit_request() -> None:
    if len(request.query_string) > MAX_QUERY_STRING:
        abort(414)
    length = request.content_length
    if length and length > SMALL_BODY_BYTES and request.endpoint not in UPLOAD_ENDPOINTS:
        abort(413)


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
    app.before_request(limit_request)
    app.after_request(add_headers)
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _internal)
    for exc_type in (EsConnectionError, ConnectionTimeout, RedisConnectionError,
                     RedisTimeoutError):
        app.register_error_handler(exc_type, _unavailable)
    install_log_redaction()
