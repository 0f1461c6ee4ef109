"""Managers' pages (Vietnamese): the coverage dashboard, its exports, a printable report and
the review list of quality flags. Server-rendered; sorting and filters are query parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.web import login_required_web
from app.coverage import export
from app.coverage.chart import build_chart, percent
from app.coverage.labels import FLAG_LABELS, LEVEL_LABELS, ON_TRACK_LABELS, SCOPE_LABELS
from app.coverage.params import ParamError, parse_day, parse_flag, parse_int
from app.coverage.queries import flagged_records
from app.coverage.report import coverage_report
from app.coverage.series import UnknownScope, coverage_series, default_start, latest_start
from app.coverage.table import TableQuery, select_rows
from app.web.helpers import vn_date
from domain.agencies import LEVELS

bp = Blueprint("coverage", __name__, url_prefix="/bao-cao/so-hoa")
QUALITY_PAGE_SIZE = 50


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"percent": percent, "level_labels": LEVEL_LABELS, "scope_labels": SCOPE_LABELS,
            "on_track_labels": ON_TRACK_LABELS, "flag_labels": FLAG_LABELS, "levels": LEVELS,
            "vn_date": vn_date, "number": lambda n: f"{n:,}".replace(",", ".")}


def _bad_request(message: str) -> ResponseReturnValue:
    return render_template("coverage/error.html", message=message), 400


def _chart_for(as_of: dt.date) -> tuple[dict[str, Any], Any]:
    """The chart's series for `?chart=all|city|district|commune|<agency code>&children=1`."""
    settings = extensions.settings()
    scope = (request.args.get("chart") or "all").strip()
    kwargs: dict[str, Any] = {}
    if scope in LEVELS:
        kwargs["level"] = scope
    elif scope != "all":
        kwargs.update(agency_code=scope, with_children=parse_flag(request.args.get("children")))
    start = max(min(default_start(settings.coverage_cutoff), as_of.replace(day=1)),
                latest_start(as_of))
    series = coverage_series(extensions.es(), settings, start, as_of, **kwargs)
    return series, build_chart(series)


def _report_context() -> dict[str, Any]:
    """Everything the dashboard and the printable page show; raises ParamError/UnknownScope."""
    settings = extensions.settings()
    as_of = parse_day(request.args.get("as_of"), "as_of", settings.effective_today())
    query = TableQuery.from_args(request.args)
    report = coverage_report(extensions.es(), settings, as_of)
    series, chart = _chart_for(as_of)
    districts = [r for r in report["rows"] if r["agency_level"] == "district"]
    return {"report": report, "rows": select_rows(report["rows"], query), "query": query,
            "series": series, "chart": chart, "districts": districts,
            "as_of": as_of, "chart_scope": series["scope"]}


def _render_report(template: str, **extra: Any) -> ResponseReturnValue:
    try:
        context = _report_context()
    except ParamError as exc:
        return _bad_request(exc.vi)
    except UnknownScope as exc:
        return _bad_request(f"Không có cơ quan «{exc.agency_code}» trong danh mục.")
    audit("coverage.view", page=template, as_of=context["as_of"].isoformat())
    return render_template(template, **context, **extra)


@bp.get("")
@login_required_web("manager")
def dashboard() -> ResponseReturnValue:
    return _render_report("coverage/dashboard.html", view_url=_view_url, sort_url=_sort_url)


@bp.get("/in")
@login_required_web("manager")
def printable() -> ResponseReturnValue:
    return _render_report("coverage/print.html")


@bp.get("/xuat.<kind>")
@login_required_web("manager")
def download(kind: str) -> ResponseReturnValue:
    if kind not in ("csv", "xlsx"):
        return _bad_request("Chỉ xuất được tệp CSV hoặc XLSX.")
    settings = extensions.settings()
    try:
        as_of = parse_day(request.args.get("as_of"), "as_of", settings.effective_today())
        query = TableQuery.from_args(request.args)
    except ParamError as exc:
        return _bad_request(exc.vi)
    report = coverage_report(extensions.es(), settings, as_of)
    report["rows"] = select_rows(report["rows"], query)  # the table as the manager sees it
    audit("coverage.export", format=kind, as_of=as_of.isoformat())
    return export.as_response(report, kind)


@bp.get("/chat-luong")
@login_required_web("manager")
def quality() -> ResponseReturnValue:
    settings = extensions.settings()
    flag = (request.args.get("flag") or "").strip() or None
    code = (request.args.get("agency_code") or "").strip() or None
    try:
        page = parse_int(request.args.get("page"), "page", 1, 1, 10_000 // QUALITY_PAGE_SIZE)
    except ParamError as exc:
        return _bad_request(exc.vi)
    total, hits, flags = flagged_records(extensions.es(), settings.index_name("results"), flag,
                                         [code] if code else None,
                                         (page - 1) * QUALITY_PAGE_SIZE, QUALITY_PAGE_SIZE)
    pages = max(1, -(-total // QUALITY_PAGE_SIZE))
    return render_template("coverage/quality.html", total=total, hits=hits, flags=flags,
                           flag=flag, agency_code=code or "", page=page, pages=pages,
                           page_url=lambda n: url_for("coverage.quality", flag=flag,
                                                      agency_code=code, page=n))


def _current_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if v.strip()}


def _view_url(endpoint: str = "coverage.dashboard", **changes: Any) -> str:
    """A link to a page with the current parameters, some changed (None removes one)."""
    args = _current_args()
    for name, value in changes.items():
        args.pop(name, None)
        if value not in (None, ""):
            args[name] = str(value)
    return url_for(endpoint, **args)


def _sort_url(key: str) -> str:
    """Sort by `key`; a second click on the current key reverses the order."""
    args = _current_args()
    same = args.get("sort", "agency_code") == key
    descending = args.get("dir") == "desc"
    return _view_url(sort=None if key == "agency_code" else key,
                     dir="desc" if same and not descending else None)
