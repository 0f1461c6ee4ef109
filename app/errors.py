"""Every error the web side answers, in one place: `ApiProblem` for the JSON API, and the
handlers that turn any failure into JSON under /api/ or a Vietnamese page elsewhere (never a
stack trace)."""

from __future__ import annotations

import logging

from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout
from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

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
UNAVAILABLE = {
    "elasticsearch": "the search service (Elasticsearch) is unavailable; try again shortly",
    "redis": "the queue service (Redis) is unavailable; try again shortly",
}


class ApiProblem(Exception):
    """An API answer other than success: status, a clear message, and optional extra fields."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None,
                   headers: dict[str, str] | None = None, **extra: object) -> ResponseReturnValue:
    """JSON `{"error", "status"}` under /api/, the Vietnamese error page elsewhere."""
    if wants_json():
        body = {"error": message or TITLES.get(status, "error"), "status": status, **extra}
        return jsonify(body), status, headers or {}
    text = MESSAGES.get(status) or message or TITLES.get(status, "")
    page = render_template("auth/error.html", title=TITLES.get(status, "Lỗi"), message=text)
    return page, status, headers or {}


def _api_problem(exc: ApiProblem) -> ResponseReturnValue:
    return error_response(exc.status, exc.message, **exc.extra)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("retry-after", "allow")}
    return error_response(status, exc.description if status < 500 else None, headers)


def _unavailable(exc: Exception) -> ResponseReturnValue:
    service = "redis" if isinstance(exc, RedisConnectionError | RedisTimeoutError) \
        else "elasticsearch"
    log.warning("backing service unavailable (%s): %s", service, type(exc).__name__)
    return error_response(503, UNAVAILABLE[service])


def _internal(_exc: Exception) -> ResponseReturnValue:
    # Flask has already logged the traceback (through the redacting log filter).
    return error_response(500, "internal error; it has been logged")


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _internal)
    for exc_type in (EsConnectionError, ConnectionTimeout, RedisConnectionError,
                     RedisTimeoutError):
        app.register_error_handler(exc_type, _unavailable)
