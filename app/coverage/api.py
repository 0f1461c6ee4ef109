"""Managers' JSON API: `/coverage`, `/coverage/series`, `/coverage/export`, `/quality`.

Blueprint `coverage_api`, registered under /api/v1 (JSON errors and the CSRF exemption apply
to every path under /api/).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.guards import require_role
from app.coverage import export
from app.coverage.params import (
    ParamError,
    parse_bool,
    parse_day,
    parse_int,
    parse_level,
    parse_month_bound,
)
from app.coverage.queries import flagged_records
from app.coverage.report import coverage_report
from app.coverage.series import (
    MAX_SERIES_MONTHS,
    UnknownScope,
    coverage_series,
    default_start,
    months_spanned,
)
from app.errors import ApiProblem
from domain.settings import Settings

bp = Blueprint("coverage_api", __name__)

T = TypeVar("T")


def _param(parse: Callable[[], T]) -> T:
    """Run a parser; a bad value is a 400 with the parser's message."""
    try:
        return parse()
    except ParamError as exc:
        raise ApiProblem(400, str(exc)) from exc


def _as_of_and_level(settings: Settings) -> tuple[dt.date, str | None]:
    """`as_of` (default: today) and `agency_level` from the query string, or a 400."""
    as_of = _param(lambda: parse_day(request.args.get("as_of"), "as_of",
                                     settings.effective_today()))
    return as_of, _param(lambda: parse_level(request.args.get("agency_level")))


@bp.get("/coverage")
@require_role("manager")
def coverage() -> ResponseReturnValue:
    settings = extensions.settings()
    as_of, level = _as_of_and_level(settings)
    audit("coverage.view", as_of=as_of.isoformat(), agency_level=level)
    return coverage_report(extensions.es(), settings, as_of, level)


@bp.get("/coverage/series")
@require_role("manager")
def coverage_over_time() -> ResponseReturnValue:
    settings = extensions.settings()
    args = request.args
    start = _param(lambda: parse_month_bound(args.get("from"), "from",
                                             default_start(settings.coverage_cutoff), end=False))
    end = _param(lambda: parse_month_bound(args.get("to"), "to", settings.effective_today(),
                                           end=True))
    if start > end:
        raise ApiProblem(400, f"from ({start}) is after to ({end})")
    if months_spanned(start, end) > MAX_SERIES_MONTHS:
        raise ApiProblem(400, f"a series spans at most {MAX_SERIES_MONTHS} months (100 years)")
    level = _param(lambda: parse_level(args.get("agency_level")))
    children = _param(lambda: parse_bool(args.get("with_children"), "with_children"))
    try:
        return coverage_series(extensions.es(), settings, start, end,
                               agency_code=(args.get("agency_code") or "").strip() or None,
                               level=level, with_children=children)
    except UnknownScope as exc:
        raise ApiProblem(404, str(exc)) from exc


@bp.get("/coverage/export")
@require_role("manager")
def coverage_export() -> ResponseReturnValue:
    """The table as CSV (default) or XLSX: `format=csv|xlsx`."""
    settings = extensions.settings()
    as_of, level = _as_of_and_level(settings)
    kind = request.args.get("format") or "csv"
    if kind not in ("csv", "xlsx"):
        raise ApiProblem(400, f"format must be csv or xlsx, got {kind!r}")
    audit("coverage.export", format=kind, as_of=as_of.isoformat())
    return export.as_response(coverage_report(extensions.es(), settings, as_of, level), kind)


@bp.get("/quality")
@require_role("manager")
def quality() -> ResponseReturnValue:
    """Records the ingestion flagged for review, worst OCR confidence first."""
    settings = extensions.settings()
    args = request.args
    page = _param(lambda: parse_int(args.get("page"), "page", 1, 1, 10_000))
    size = _param(lambda: parse_int(args.get("size"), "size", 50, 1, 500))
    if page * size > 10_000:
        raise ApiProblem(400, "page × size may not pass 10000; narrow the list with a filter")
    flag = (args.get("flag") or "").strip() or None
    code = (args.get("agency_code") or "").strip() or None
    total, hits, flags = flagged_records(extensions.es(), settings.index_name("results"), flag,
                                         [code] if code else None, (page - 1) * size, size)
    audit("quality.view", flag=flag, agency_code=code, page=page)
    return {"total": total, "page": page, "size": size, "flags": flags, "hits": hits}
