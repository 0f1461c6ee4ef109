"""Managers read the audit trail: `GET /api/v1/audit` (JSON) and the `/nhat-ky` page."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import ACTIONS, audit
from app.audit.store import AuditQueryError, AuditStore, parse_query
from app.auth.guards import require_role
from app.auth.web import login_required_web
from app.errors import ApiProblem

api_bp = Blueprint("audit_api", __name__)
web_bp = Blueprint("audit_web", __name__)
FILTERS = ("user", "result_id", "action", "from", "to")


def _filters(args: dict[str, str]) -> dict[str, str]:
    return {k: args[k] for k in FILTERS if args.get(k)}


def _store() -> AuditStore:
    return AuditStore(extensions.es(), extensions.settings())


@api_bp.get("/audit")
@require_role("manager")
def audit_api() -> ResponseReturnValue:
    try:
        query = parse_query(request.args.to_dict())
    except AuditQueryError as exc:
        raise ApiProblem(400, str(exc)) from exc
    page = _store().search(query)
    audit("audit.view", filters=_filters(request.args.to_dict()), page=query.page)
    return jsonify(page)


@web_bp.get("/nhat-ky")
@login_required_web("manager")
def audit_page() -> ResponseReturnValue:
    args = {k: v for k, v in request.args.to_dict().items() if k in (*FILTERS, "page")}
    try:
        query = parse_query(args)
    except AuditQueryError:
        return render_template("audit/log.html", page=None, args=args, actions=ACTIONS,
                               error="Bộ lọc không hợp lệ: ngày viết theo dạng YYYY-MM-DD."), 400
    page = _store().search(query)
    audit("audit.view", filters=_filters(args), page=query.page)
    base = {k: v for k, v in args.items() if k != "page" and v}
    return render_template("audit/log.html", page=page, args=args, actions=ACTIONS, base=base)


def init_app(app: Flask) -> None:
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(web_bp)
