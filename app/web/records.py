"""`/ket-qua/<id>`: one record (metadata, validity, text, page previews), its originals, and
the tabs to correct it (`?tab=sua`) and to read its history (`?tab=lich-su`, an earlier
version with `?phien-ban=N`). The forms' handlers are in app.web.record_changes.

Files and pages are addressed by the record and a 1-based position only; the stored path comes
from the index, never from the request.
"""

from __future__ import annotations

import re
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.web import login_required_web
from app.previews import WIDTHS, PreviewError, page_count, preview_path
from app.results import LINK_FIELDS, load_result, replaced_records, send_personal_file
from app.web.blueprint import bp
from app.web.helpers import search_args
from app.web.record_forms import EDIT_FIELDS, SOURCE_LABELS, shown_change
from domain.changes import state_at
from domain.history import HistoryStore
from domain.records import PAGE_BREAK
from domain.validity import LABELS, validity_state

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def _replacement(source: dict[str, Any]) -> dict[str, Any] | None:
    target = source.get("replaced_by")
    if not target:
        return None
    found = load_result(target)
    if found is None:
        return {"result_id": target, "missing": True}
    return {field: found.get(field) for field in LINK_FIELDS}


def not_found_page() -> ResponseReturnValue:
    return render_template("web/not_found.html"), 404


TABS = ("thong-tin", "sua", "lich-su")


def _history(result_id: str) -> list[dict[str, Any]]:
    return HistoryStore(extensions.es(), extensions.settings()).versions(result_id)


def _shown_versions(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**v, "shown": [shown_change(f, c) for f, c in (v.get("changes") or {}).items()]}
            for v in versions]


def render_record(source: dict[str, Any], *, tab: str = "thong-tin",
                  errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
                  status: int = 200, notice: str | None = None) -> ResponseReturnValue:
    """The record page on one of its tabs; forms that failed come back with their values and
    the reason for each bad field."""
    result_id = source["result_id"]
    versions = _history(result_id)
    shown = source
    viewing = request.args.get("phien-ban", type=int)
    if viewing is not None and viewing in {v["version"] for v in versions}:
        shown = {**source, **state_at(source, versions, viewing)}
    else:
        viewing = None
    state = validity_state(shown, extensions.settings().effective_today())
    # OCR leaves a blank line between most lines; one line break reads like the document.
    text_pages = [_BLANK_LINES.sub("\n", p).strip("\n")
                  for p in (shown.get("text") or "").split(PAGE_BREAK)]
    page = render_template(
        "web/record.html", record=shown, current=source, state=state, state_label=LABELS[state],
        replacement=_replacement(shown), replaces=replaced_records(result_id),
        text_pages=[p for p in text_pages if p.strip()],
        preview_pages=page_count(source.get("files", [])), back=search_args(),
        tab=tab if tab in TABS else "thong-tin", versions=_shown_versions(versions),
        viewing=viewing, errors=errors or {}, form=form or {}, edit_fields=EDIT_FIELDS,
        source_labels=SOURCE_LABELS, notice=notice,
        saved=request.args.get("da-luu", type=int),
    )
    return page, status


@bp.get("/ket-qua/<path:result_id>")
@login_required_web("officer", "manager")
def record_page(result_id: str) -> ResponseReturnValue:
    source = load_result(result_id)
    if source is None:
        audit("result.view", result_id=result_id, outcome="not_found")
        return not_found_page()
    audit("result.view", result_id=result_id)
    return render_record(source, tab=request.args.get("tab") or "thong-tin")


@bp.get("/ket-qua/<path:result_id>/tep/<int:n>")
@login_required_web("officer", "manager")
def record_file(result_id: str, n: int) -> ResponseReturnValue:
    settings = extensions.settings()
    files = (load_result(result_id) or {}).get("files", [])
    if not 1 <= n <= len(files):
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        return not_found_page()
    entry = files[n - 1]
    path = settings.originals_dir / entry["storage_key"]
    if not path.is_file():
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        return not_found_page()
    audit("result.file", result_id=result_id, file=n)
    # `?xem=1` opens it in the browser (types a browser shows); otherwise it is a download.
    inline = request.args.get("xem") == "1" and entry["media_type"] in INLINE_TYPES
    return send_personal_file(path, entry["media_type"], entry["name"].rsplit("/", 1)[-1],
                              as_attachment=not inline)


@bp.get("/ket-qua/<path:result_id>/trang/<int:n>.png")
@login_required_web("officer", "manager")
def record_preview(result_id: str, n: int) -> ResponseReturnValue:
    source = load_result(result_id)
    width = request.args.get("w", type=int) or WIDTHS[0]
    if source is None or width not in WIDTHS:
        return not_found_page()
    try:
        path = preview_path(extensions.settings(), source, n, width)
    except PreviewError:
        return not_found_page()
    audit("result.preview", result_id=result_id, page=n)
    return send_personal_file(path, "image/png")
