"""Citizen JSON API under /api/v1/citizen (see docs/interfaces.md).

`POST /session` trades ID number + birth date + a result number for a 30-minute token
(`POST /logout` ends it); the other routes take that token as `Authorization: Bearer …` and
show the citizen's own records only (within the sign-in's scope: see `identity`). "Not yours"
and "does not exist" get the very same 404 body, so nobody can probe which result ids exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.citizen import login, tokens
from app.citizen.identity import IdentityClaim
from app.citizen.records import citizen_view, own_record, own_results
from app.errors import ApiProblem
from app.results import send_original

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("citizen_api", __name__)

NOT_FOUND = "không tìm thấy hồ sơ"  # one body for "not yours" and "does not exist"
UNAUTHORISED = ("cần đăng nhập công dân: gửi 'Authorization: Bearer <token>' "
                "nhận từ POST /citizen/session")


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def citizen_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _bearer()
        citizen = tokens.verify(token) if token else None
        if citizen is None:
            raise ApiProblem(401, UNAUTHORISED)
        g.citizen_id, g.citizen_witnesses = citizen.id_number, citizen.witnesses
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.post("/session")
def session() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    claim = IdentityClaim(*(str(body.get(k) or "")[:64]
                            for k in ("id_number", "birth_date", "result_number")))
    outcome = login.attempt(claim)
    if outcome.retry_after:
        return (jsonify({"error": "quá nhiều lần thử; vui lòng thử lại sau", "status": 429,
                         "retry_after": outcome.retry_after}),
                429, {"Retry-After": str(outcome.retry_after)})
    if outcome.identity is None:
        raise ApiProblem(401, login.GENERIC_FAILURE)
    token = tokens.issue(outcome.identity)
    return jsonify({"token": token, "expires_in": tokens.lifetime_seconds(),
                    "scope": "shared" if outcome.identity.witnesses else "all"})


@bp.post("/logout")
@citizen_required
def end_session() -> ResponseReturnValue:
    tokens.revoke(_bearer())
    audit("citizen.logout")
    return "", 204


@bp.get("/results")
@citizen_required
def results() -> ResponseReturnValue:
    items = own_results(g.citizen_id, g.citizen_witnesses)
    audit("citizen.results", count=len(items))
    return jsonify({"total": len(items), "results": items})


@bp.get("/results/<path:result_id>/files/<int:n>")
@citizen_required
def result_file(result_id: str, n: int) -> ResponseReturnValue:
    source = own_record(result_id, g.citizen_id, g.citizen_witnesses)
    if source is None:
        audit("citizen.file", result_id=result_id, outcome="denied", file=n)
        raise ApiProblem(404, NOT_FOUND)
    try:
        response = send_original(source, n, extensions.settings())
    except ApiProblem as exc:
        audit("citizen.file", result_id=result_id, outcome="not_found", file=n)
        raise ApiProblem(404, NOT_FOUND) from exc
    audit("citizen.file", result_id=result_id, file=n)
    return response


@bp.get("/results/<path:result_id>")
@citizen_required
def result(result_id: str) -> ResponseReturnValue:
    source = own_record(result_id, g.citizen_id, g.citizen_witnesses)
    if source is None:
        audit("citizen.view", result_id=result_id, outcome="denied")
        raise ApiProblem(404, NOT_FOUND)
    audit("citizen.view", result_id=result_id)
    return jsonify(citizen_view(source, "citizen_api.result_file", g.citizen_id))
