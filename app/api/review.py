"""`GET /review` (the pending records, least certain first) and `POST /results/<id>/review`
(correct and confirm)."""

from __future__ import annotations

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.audit import audit
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from app.results import public_record
from app.reviews import BadChanges, ReviewConflict, confirm, pending_queue

MAX_SIZE = 100


def _int_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise ApiProblem(400, f"'{name}' must be a whole number from 1 to {high}, got {raw!r}")
    return int(raw)


@bp.get("/review")
@require_role(*STAFF_ROLES)
def review_queue() -> ResponseReturnValue:
    page = _int_arg("page", 1, 10_000)
    size = _int_arg("size", 20, MAX_SIZE)
    if page * size > 10_000:  # Elasticsearch's result window (was a 500)
        raise ApiProblem(400, "page × size may not pass 10000; narrow the list by agency_code")
    agency_code = request.args.get("agency_code") or None
    answer = pending_queue(agency_code, page, size)
    audit("review.list", agency_code=agency_code, total=answer["total"])
    return jsonify(answer)


@bp.post("/results/<path:result_id>/review")
@require_role(*STAFF_ROLES)
def review_record(result_id: str) -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiProblem(400, 'the body must be JSON {"changes": {...}, "confirm": true}')
    confirm_flag = body.get("confirm", True)
    if not isinstance(confirm_flag, bool):
        raise ApiProblem(422, "'confirm' must be true or false")
    try:
        source = confirm(result_id, body.get("changes"), by=g.account.username,
                         confirm_record=confirm_flag)
    except BadChanges as exc:
        audit("review.confirm", result_id=result_id, outcome="invalid")
        raise ApiProblem(422, f"bad changes: {exc}", errors=exc.errors) from exc
    except ReviewConflict as exc:
        raise ApiProblem(409, "the record changed meanwhile; reload and review again") from exc
    if source is None:
        audit("review.confirm", result_id=result_id, outcome="not_found")
        raise ApiProblem(404, f"no result {result_id}")
    audit("review.confirm", result_id=result_id,
          changed=sorted(source["review"].get("changes", {})), confirmed=confirm_flag)
    return jsonify(public_record(source, extensions.settings(), "api.result_file"))
