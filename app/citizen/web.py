"""`/cong-dan`: the citizens' pages (mobile-first, no JavaScript) over the same logic as the API."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.sessions import regenerate
from app.citizen import login, tokens
from app.citizen.identity import CitizenIdentity, IdentityClaim
from app.citizen.records import citizen_view, own_record, own_results
from app.errors import ApiProblem
from app.results import send_original

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("citizen_web", __name__)
SESSION_KEY = "citizen"


def _session_id_number() -> str | None:
    """The signed-in citizen's ID number (their scope goes to `g.citizen_witnesses`)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("sub"), str):
        return None
    if time.time() - float(data.get("at", 0)) > tokens.lifetime_seconds():
        session.pop(SESSION_KEY, None)
        return None
    g.citizen_witnesses = frozenset(map(str, data.get("w") or []))
    return data["sub"]


def citizen_web_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        id_number = _session_id_number()
        if id_number is None:
            return redirect(url_for("citizen_web.start"))
        g.citizen_id = id_number
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.route("/cong-dan", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    if request.method == "GET":
        if _session_id_number():
            return redirect(url_for("citizen_web.results"))
        return render_template("citizen/start.html")
    form = {k: (request.form.get(k) or "").strip()[:64]
            for k in ("id_number", "birth_date", "result_number")}
    outcome = login.attempt(IdentityClaim(form["id_number"], form["birth_date"],
                                          form["result_number"]))
    if outcome.retry_after:
        minutes = max(1, -(-outcome.retry_after // 60))
        error = f"Bạn đã thử quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
        page = render_template("citizen/start.html", form=form, error=error)
        return page, 429, {"Retry-After": str(outcome.retry_after)}
    if outcome.identity is None:
        return render_template("citizen/start.html", form=form, error=login.GENERIC_FAILURE), 401
    return start_session(outcome.identity)


def start_session(identity: CitizenIdentity) -> ResponseReturnValue:
    """The seam every identity provider ends at (see docs/citizen-identity.md)."""
    session.pop(SESSION_KEY, None)
    regenerate(session)  # a new session id: no fixation
    session[SESSION_KEY] = {"sub": identity.id_number, "at": time.time(),
                            "via": identity.method, "w": sorted(identity.witnesses)}
    return redirect(url_for("citizen_web.results"))


@bp.get("/cong-dan/ho-so")
@citizen_web_required
def results() -> ResponseReturnValue:
    items = own_results(g.citizen_id, g.citizen_witnesses)
    audit("citizen.results", count=len(items))
    return render_template("citizen/results.html", items=items,
                           shared_scope=bool(g.citizen_witnesses))


@bp.get("/cong-dan/ho-so/<path:result_id>")
@citizen_web_required
def result(result_id: str) -> ResponseReturnValue:
    source = own_record(result_id, g.citizen_id, g.citizen_witnesses)
    if source is None:
        audit("citizen.view", result_id=result_id, outcome="denied")
        abort(404)
    audit("citizen.view", result_id=result_id)
    return render_template("citizen/result.html",
                           record=citizen_view(source, "citizen_web.result_file", g.citizen_id))


@bp.get("/cong-dan/ho-so/<path:result_id>/tep/<int:n>")
@citizen_web_required
def result_file(result_id: str, n: int) -> ResponseReturnValue:
    source = own_record(result_id, g.citizen_id, g.citizen_witnesses)
    if source is None:
        audit("citizen.file", result_id=result_id, outcome="denied", file=n)
        abort(404)
    try:
        response = send_original(source, n, extensions.settings())
    except ApiProblem:
        audit("citizen.file", result_id=result_id, outcome="not_found", file=n)
        abort(404)
    audit("citizen.file", result_id=result_id, file=n)
    return response


@bp.post("/cong-dan/thoat")
def logout() -> ResponseReturnValue:
    if (id_number := _session_id_number()) is not None:
        g.citizen_id = id_number
        audit("citizen.logout")
    session.pop(SESSION_KEY, None)
    return redirect(url_for("citizen_web.start"))
