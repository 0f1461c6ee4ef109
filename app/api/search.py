"""`GET /api/v1/search`: result search for staff (docs/interfaces.md)."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.audit import audit, search_details
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from domain.search.params import ParamError, parse_search_args
from domain.search.service import SearchUnavailable, search


@bp.get("/search")
@require_role(*STAFF_ROLES)
def search_results() -> ResponseReturnValue:
    try:
        search_request = parse_search_args(request.args, strict=True)
    except ParamError as exc:
        raise ApiProblem(400, str(exc)) from exc
    try:
        answer = search(extensions.es(), extensions.settings(), search_request)
    except SearchUnavailable as exc:
        raise ApiProblem(
            503, "the search service (Elasticsearch) is unavailable; try again shortly",
            reason=str(exc),
        ) from exc
    audit("search", total=answer.get("total"), **search_details(request.args))
    return jsonify(answer)
