"""Labels, formatting and link building shared by the staff pages (Vietnamese UI)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout
from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from app.web.blueprint import bp
from domain.search.params import KNOWN_PARAMS
from domain.search.service import SearchUnavailable
from domain.validity import LABELS

log = logging.getLogger(__name__)

LEVEL_LABELS = {"city": "Cấp thành phố", "district": "Cấp quận, huyện", "commune": "Cấp xã, phường"}
SORT_LABELS = {"relevance": "Phù hợp nhất", "issued_on": "Mới ban hành trước",
               "issued_on_asc": "Cũ nhất trước"}
STATUS_LABELS = {"active": "Đang sử dụng", "revoked": "Đã thu hồi", "replaced": "Đã được thay thế"}
FLAG_LABELS = {
    "blank-page": "Có trang trắng",
    "low-confidence": "Chất lượng nhận dạng chữ thấp",
    "no-text": "Không đọc được chữ trên bản quét",
    "result-number-not-found": "Không thấy số/ký hiệu trong văn bản",
    "holder-id-not-found": "Không thấy số định danh trong văn bản",
    "duplicate-content": "Tệp trùng với hồ sơ khác",
}
MEDIA_LABELS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG",
                "image/tiff": "TIFF", "text/plain": "Văn bản"}


def vn_date(value: Any) -> str:
    """`2024-12-12` -> `12/12/2024`; anything else as it is (or a dash when empty)."""
    if not value:
        return "—"
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # strftime drops a year's zeros


def file_size(value: Any) -> str:
    if not isinstance(value, int):
        return ""
    if value < 1024 * 1024:
        return f"{max(1, round(value / 1024))} KB"
    return f"{value / (1024 * 1024):.1f} MB".replace(".", ",")


def search_args() -> MultiDict[str, str]:
    """The current request's search parameters (only the known ones, empty values dropped)."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True)
                      if k in KNOWN_PARAMS and v.strip()])


def search_url(base: MultiDict[str, str] | None = None, endpoint: str = "web.search_page",
               **changes: Any) -> str:
    """A link to the search page with some parameters changed (None removes one).

    Any change but `page` goes back to page 1: the result set is a different one.
    """
    args = MultiDict(base if base is not None else search_args())
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        args.pop(name, None)
        if value not in (None, ""):
            args.setlist(name, value if isinstance(value, list) else [value])
    return url_for(endpoint, **args.to_dict(flat=False))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"vn_date": vn_date, "file_size": file_size, "search_url": search_url,
            "validity_labels": LABELS, "level_labels": LEVEL_LABELS, "sort_labels": SORT_LABELS,
            "status_labels": STATUS_LABELS, "flag_labels": FLAG_LABELS,
            "media_labels": MEDIA_LABELS}


def unavailable_page() -> ResponseReturnValue:
    return render_template("web/unavailable.html"), 503


@bp.errorhandler(SearchUnavailable)
@bp.errorhandler(EsConnectionError)
@bp.errorhandler(ConnectionTimeout)
def _search_down(exc: Exception) -> ResponseReturnValue:
    # Any page of this blueprint (the login check included) may be the first to notice.
    log.warning("search pages: Elasticsearch unavailable (%s)", type(exc).__name__)
    return unavailable_page()
