"""`GET /api/v1/suggest`: completions for the search box (docs/interfaces.md)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from domain.search.params import ParamError, parse_suggest_args
from domain.search.service import SearchUnavailable, suggest


@bp.get("/suggest")
@require_role(*STAFF_ROLES)
def suggest_completions() -> ResponseReturnValue:
    try:
        q, size = parse_suggest_args(request.args)
    except ParamError as exc:
        raise ApiProblem(400, str(exc)) from exc
    try:
        found = suggest(extensions.es(), extensions.settings(), q, size)
    except SearchUnavailable as exc:
        raise ApiProblem(
            503, "the search service (Elasticsearch) is unavailable; try again shortly",
            reason=str(exc),
        ) from exc
    return jsonify({"suggestions": found})
