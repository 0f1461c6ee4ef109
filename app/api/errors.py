"""JSON errors for the API: a clear message, never a stack trace."""

from __future__ import annotations

import logging

from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout
from flask import jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.api import bp

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@bp.errorhandler(ApiProblem)
def _problem(exc: ApiProblem) -> ResponseReturnValue:
    return jsonify({"error": exc.message, "status": exc.status, **exc.extra}), exc.status


@bp.errorhandler(EsConnectionError)
@bp.errorhandler(ConnectionTimeout)
def _search_down(exc: Exception) -> ResponseReturnValue:
    log.warning("Elasticsearch unavailable: %s", type(exc).__name__)
    return jsonify({"error": "the search service (Elasticsearch) is unavailable; try again shortly",
                    "status": 503}), 503


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> ResponseReturnValue:
    return jsonify({"error": exc.description, "status": exc.code}), exc.code


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled API error")
    return jsonify({"error": "internal error; it has been logged", "status": 500}), 500
