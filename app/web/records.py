"""`/ket-qua/<id>`: one record (metadata, validity, text, page previews) and its originals.

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
from app.results import load_result, send_personal_file
from app.web.blueprint import bp
from app.web.helpers import search_args
from domain.records import PAGE_BREAK
from domain.validity import LABELS, validity_state

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
LINK_FIELDS = ["result_id", "result_number", "document_type", "issued_on", "status"]


def _replaced_records(result_id: str) -> list[dict[str, Any]]:
    """Records this one replaces (their `replaced_by` points here)."""
    settings = extensions.settings()
    response = extensions.es().search(
        index=settings.index_name("results"), size=20, source=LINK_FIELDS,
        query={"term": {"replaced_by": result_id}}, sort=[{"issued_on": "desc"}],
    )
    return [hit["_source"] for hit in response["hits"]["hits"]]


def _replacement(source: dict[str, Any]) -> dict[str, Any] | None:
    target = source.get("replaced_by")
    if not target:
        return None
    found = load_result(target)
    if found is None:
        return {"result_id": target, "missing": True}
    return {field: found.get(field) for field in LINK_FIELDS}


def _not_found() -> ResponseReturnValue:
    return render_template("web/not_found.html"), 404


@bp.get("/ket-qua/<path:result_id>")
@login_required_web("officer", "manager")
def record_page(result_id: str) -> ResponseReturnValue:
    source = load_result(result_id)
    if source is None:
        audit("result.view", result_id=result_id, outcome="not_found")
        return _not_found()
    audit("result.view", result_id=result_id)
    state = validity_state(source, extensions.settings().effective_today())
    # OCR leaves a blank line between most lines; one line break reads like the document.
    text_pages = [_BLANK_LINES.sub("\n", p).strip("\n")
                  for p in (source.get("text") or "").split(PAGE_BREAK)]
    return render_template(
        "web/record.html", record=source, state=state, state_label=LABELS[state],
        replacement=_replacement(source), replaces=_replaced_records(result_id),
        text_pages=[p for p in text_pages if p.strip()],
        preview_pages=page_count(source.get("files", [])), back=search_args(),
    )


@bp.get("/ket-qua/<path:result_id>/tep/<int:n>")
@login_required_web("officer", "manager")
def record_file(result_id: str, n: int) -> ResponseReturnValue:
    settings = extensions.settings()
    files = (load_result(result_id) or {}).get("files", [])
    if not 1 <= n <= len(files):
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        return _not_found()
    entry = files[n - 1]
    path = settings.originals_dir / entry["storage_key"]
    if not path.is_file():
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        return _not_found()
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
        return _not_found()
    try:
        path = preview_path(extensions.settings(), source, n, width)
    except PreviewError:
        return _not_found()
    audit("result.preview", result_id=result_id, page=n)
    return send_personal_file(path, "image/png")
