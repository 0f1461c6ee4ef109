"""`GET /results/<id>` and `GET /results/<id>/files/<n>` for staff."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.audit import audit
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from app.results import load_result, public_record, send_original


@bp.get("/results/<path:result_id>/files/<int:n>")
@require_role(*STAFF_ROLES)
def result_file(result_id: str, n: int) -> ResponseReturnValue:
    try:
        response = send_original(load_result(result_id), n, extensions.settings())
    except ApiProblem:
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        raise
    audit("result.file", result_id=result_id, file=n)
    return response


@bp.get("/results/<path:result_id>")
@require_role(*STAFF_ROLES)
def result(result_id: str) -> ResponseReturnValue:
    source = load_result(result_id)
    if source is None:
        audit("result.view", result_id=result_id, outcome="not_found")
        raise ApiProblem(404, f"no result {result_id}")
    audit("result.view", result_id=result_id)
    return public_record(source, extensions.settings(), "api.result_file")
