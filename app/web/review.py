"""Officers' pages for intake: `/duyet` (the review queue and one record beside its scan) and
`/tai-len` (upload scans; each file becomes a record whose fields are read from its text).

The review form is keyboard-first: the first uncertain field has the focus, Tab walks the
fields, Enter confirms, and the next pending record opens.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.web import current_staff, login_required_web
from app.previews import page_count
from app.results import load_result
from app.reviews import BadChanges, ReviewConflict, confirm, pending_queue
from app.uploads import queue_upload
from app.web.blueprint import bp
from domain.agencies import AgencyStore
from domain.records import RecordError
from domain.review import KEY_FIELDS, PENDING, UNCERTAIN_BELOW
from indexer.jobs import JobStore

# The form, in reading order of a document, with Vietnamese labels.
FORM_FIELDS = (
    ("result_number", "Số/ký hiệu"), ("document_type", "Loại giấy tờ"),
    ("issued_on", "Ngày ban hành"), ("agency_code", "Mã cơ quan"),
    ("agency_name", "Cơ quan ban hành"), ("agency_level", "Cấp"),
    ("holder_name", "Người được cấp"), ("holder_id_number", "Số định danh"),
    ("holder_birth_date", "Ngày sinh"), ("holder_address", "Nơi cư trú"),
    ("signer", "Người ký"), ("signer_title", "Chức vụ người ký"),
    ("valid_from", "Hiệu lực từ"), ("valid_until", "Hiệu lực đến"),
    ("procedure_code", "Mã thủ tục"),
)
DATE_FIELDS = ("issued_on", "holder_birth_date", "valid_from", "valid_until")
PAGE_SIZE = 20


def _parties_text(parties: list[dict[str, Any]] | None) -> str:
    return "\n".join(f"{p.get('name') or ''}; {p.get('id_number') or ''}" for p in parties or [])


def _parse_parties(text: str) -> list[dict[str, str]]:
    parties = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, number = line.partition(";")
        parties.append({"name": name.strip(), "id_number": number.strip()})
    return parties


def _form_rows(source: dict[str, Any]) -> list[dict[str, Any]]:
    review = source.get("review") or {}
    fields, mismatches = review.get("fields", {}), review.get("mismatches", {})
    rows = []
    for name, label in (*FORM_FIELDS, ("other_parties", "Các bên khác (tên; số định danh)")):
        extracted = fields.get(name)
        confidence = extracted["confidence"] if extracted else None
        missing = name in KEY_FIELDS and source.get(name) in (None, "", []) and name != \
            "other_parties"
        value = source.get(name)
        rows.append({
            "name": name, "label": label, "key": name in KEY_FIELDS,
            "value": _parties_text(value) if name == "other_parties" else (value or ""),
            "extracted": extracted is not None, "confidence": confidence,
            "uncertain": missing or (confidence is not None and confidence < UNCERTAIN_BELOW),
            "mismatch": mismatches.get(name), "date": name in DATE_FIELDS,
        })
    return rows


def _changes_from_form(source: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, _ in FORM_FIELDS:
        if name not in request.form:
            continue
        value = request.form[name].strip() or None
        if value != (source.get(name) or None):
            changes[name] = value
    if "other_parties" in request.form:
        parties = _parse_parties(request.form["other_parties"])
        if parties != (source.get("other_parties") or []):
            changes["other_parties"] = parties
    return changes


def _next_pending(after: str | None) -> str | None:
    for hit in pending_queue(None, 1, 2)["hits"]:
        if hit["result_id"] != after:
            return hit["result_id"]
    return None


@bp.get("/duyet")
@login_required_web("officer", "manager")
def review_list() -> ResponseReturnValue:
    page = max(request.args.get("trang", 1, type=int) or 1, 1)
    agency_code = request.args.get("co_quan") or None
    queue = pending_queue(agency_code, page, PAGE_SIZE)
    audit("review.list", agency_code=agency_code, total=queue["total"])
    return render_template("web/review_list.html", queue=queue, agency_code=agency_code,
                           page=page, pages=-(-queue["total"] // PAGE_SIZE))


@bp.route("/duyet/<path:result_id>", methods=["GET", "POST"])
@login_required_web("officer", "manager")
def review_page(result_id: str) -> ResponseReturnValue:
    source = load_result(result_id)
    if source is None:
        return render_template("web/not_found.html"), 404
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            confirm(result_id, _changes_from_form(source), by=current_staff().username)
        except BadChanges as exc:
            errors = exc.errors
        except ReviewConflict:
            errors = {"_": "Hồ sơ vừa được người khác sửa; trang đã tải lại bản mới nhất."}
            source = load_result(result_id) or source
        else:
            audit("review.confirm", result_id=result_id)
            following = _next_pending(result_id)
            target = url_for("web.review_page", result_id=following) if following else \
                url_for("web.review_list")
            return redirect(target, code=303)
    audit("review.view", result_id=result_id)
    rows = _form_rows(source)
    focus = next((r["name"] for r in rows if r["uncertain"]), rows[0]["name"])
    return render_template(
        "web/review.html", record=source, rows=rows, focus=focus, errors=errors,
        pending=(source.get("review") or {}).get("state") == PENDING,
        preview_pages=page_count(source.get("files", [])),
    ), 422 if errors else 200


def _agencies() -> list[dict[str, str]]:
    register = AgencyStore(extensions.es(), extensions.settings()).all()
    return [{"code": a.agency_code, "name": a.agency_name}
            for a in sorted(register.values(), key=lambda a: a.agency_code)]


@bp.route("/tai-len", methods=["GET", "POST"])
@login_required_web("officer", "manager")
def upload_page() -> ResponseReturnValue:
    results: list[dict[str, Any]] = []
    if request.method == "POST":
        agency_code = request.form.get("agency_code") or None
        metadata = {"agency_code": agency_code} if agency_code else {}
        # Each file is one record: a desk scans one result at a time.
        for upload in request.files.getlist("files"):
            if not upload.filename:
                continue
            try:
                record, job = queue_upload([upload], metadata, "web")
            except RecordError as exc:
                results.append({"file": upload.filename, "error": str(exc)})
                continue
            audit("ingest", result_id=record.result_id, job_id=job.job_id, files=1)
            results.append({"file": upload.filename, "job_id": job.job_id,
                            "result_id": record.result_id,
                            "review_url": url_for("web.review_page",
                                                  result_id=record.result_id)})
        if not results:
            results.append({"file": "", "error": "Chưa chọn tệp nào để tải lên."})
        if request.accept_mimetypes.best == "application/json":
            status = 400 if all("error" in r for r in results) else 202
            return jsonify({"results": results}), status
    return render_template("web/upload.html", results=results, agencies=_agencies())


@bp.get("/tai-len/cong-viec/<job_id>")
@login_required_web("officer", "manager")
def upload_job(job_id: str) -> ResponseReturnValue:
    job = JobStore(extensions.es(), extensions.settings()).get(job_id)
    if job is None:
        return jsonify({"error": "không có công việc này"}), 404
    return jsonify({"state": job.get("state"), "result_id": job.get("result_id"),
                    "error": job.get("error")})
