"""`GET /healthz`: the state of Elasticsearch and Redis; 503 naming whichever is down."""

from __future__ import annotations

from elasticsearch import ApiError, TransportError
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from redis import RedisError

from app import extensions
from domain.es import cluster_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    report: dict[str, dict[str, object]] = {}
    try:
        state = cluster_state(extensions.es())
        report["elasticsearch"] = {"ok": state["status"] in ("green", "yellow"), **state}
    except (ApiError, TransportError) as exc:
        report["elasticsearch"] = {"ok": False, "error": type(exc).__name__}
    try:
        extensions.redis_client().ping()
        report["redis"] = {"ok": True}
    except RedisError as exc:
        report["redis"] = {"ok": False, "error": type(exc).__name__}
    down = [name for name, part in report.items() if not part["ok"]]
    body = {"status": "ok" if not down else "unavailable", "down": down, **report}
    return jsonify(body), 200 if not down else 503
