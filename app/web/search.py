"""`/`: the search page for one-stop officers (GET form, works without JavaScript), and
`/goi-y`: its completions as JSON for the page's script (session sign-in, like the page)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app import extensions
from app.audit import audit, search_details
from app.auth.web import login_required_web
from app.web.blueprint import bp
from app.web.helpers import search_args
from domain.search.params import ParamError, SearchRequest, parse_search_args, parse_suggest_args
from domain.search.service import search, suggest

PAGE_WINDOW = 3  # page links shown either side of the current page


def page_numbers(current: int, last: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: None stands for a gap."""
    shown = {1, last, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= last)
    out: list[int | None] = []
    for n in numbers:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


def _active_filters(req: SearchRequest) -> list[tuple[str, str, str]]:
    """(parameter, value, what to show) for each filter in use, so each can be removed."""
    f = req.filters
    active = [(name, value, value) for name in ("agency_code", "document_type", "procedure_code",
                                                "agency_level")
              for value in getattr(f, name)]
    if f.issued_from:
        active.append(("issued_from", f.issued_from.isoformat(), ""))
    if f.issued_to:
        active.append(("issued_to", f.issued_to.isoformat(), ""))
    if f.valid_only:
        active.append(("valid_only", "1", ""))
    return active


@bp.get("/")
@login_required_web("officer", "manager")
def search_page() -> ResponseReturnValue:
    args = search_args()
    error = None
    try:
        req = parse_search_args(args, strict=False)
    except ParamError as exc:
        error = str(exc)
        req = parse_search_args(args.__class__([("q", args.get("q", ""))]), strict=False)
    answer: dict[str, Any] = search(extensions.es(), extensions.settings(), req,
                                    with_options=True)
    for hit in answer["hits"]:
        # Fragments are escaped by domain.search.highlights; only <mark> tags remain as markup.
        hit["highlights"] = [Markup(h) for h in hit["highlights"]]
    for option in answer.get("options", {}).get("agency_code", []):
        # A record may give an agency code without its name: show (and sort by) the code.
        option.setdefault("name", option["value"])
    names = {o["value"]: o.get("name", o["value"])
             for key in ("agency_code", "procedure_code")
             for o in answer.get("options", {}).get(key, [])}
    status = 400 if error else 200
    if args:  # the empty start page is no search
        audit("search", total=answer.get("total"), outcome="ok" if not error else "bad_request",
              **search_details(args))
    return render_template(
        "web/search.html", req=req, answer=answer, args=args, error=error, names=names,
        active=_active_filters(req), pages=page_numbers(req.page, answer["pages"]),
    ), status


@bp.get("/goi-y")
@login_required_web("officer", "manager")
def suggest_json() -> ResponseReturnValue:
    """The search box's completions (same answer as `GET /api/v1/suggest`)."""
    try:
        q, size = parse_suggest_args(request.args)
    except ParamError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"suggestions": suggest(extensions.es(), extensions.settings(), q, size)})
