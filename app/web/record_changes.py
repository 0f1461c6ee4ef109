"""The record page's forms: correct fields (`/sua`), a status action (`/tinh-trang`: thu hồi,
thay thế bởi …, gia hạn, hiệu lực lại), and the managers' withdraw (`/rut`) and restore
(`/khoi-phuc`). Every form is CSRF-checked by app.auth.csrf before it gets here, carries the
version it was read at (a stale form is refused, never applied over another's change), and
every outcome is audited. Success redirects to the history tab (POST → redirect → GET)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.audit import audit
from app.auth.web import login_required_web
from app.results import load_result
from app.web.blueprint import bp
from app.web.record_forms import (
    FormError,
    action_changes,
    edit_changes,
    form_version,
    vn_errors,
)
from app.web.records import not_found_page, render_record
from domain.edits import ChangeRejected, RecordMissing, StaleVersion, edit, set_withdrawn
from domain.history import Commit

STALE = ("Hồ sơ vừa được người khác thay đổi sau khi bạn mở trang; thay đổi của bạn chưa được "
         "lưu. Vui lòng xem lại thông tin mới nhất và nhập lại.")


def _apply(action: str, result_id: str, tab: str, write: Callable[[], Commit]
           ) -> ResponseReturnValue:
    source = load_result(result_id)
    if source is None:
        audit(action, result_id=result_id, outcome="not_found")
        return not_found_page()
    form = request.form.to_dict()
    try:
        done = write()
    except (FormError, ChangeRejected) as exc:
        audit(action, result_id=result_id, outcome="rejected", fields=sorted(exc.errors))
        return render_record(source, tab=tab, errors=vn_errors(exc.errors), form=form,
                             status=422)
    except StaleVersion:
        audit(action, result_id=result_id, outcome="stale")
        return render_record(load_result(result_id) or source, tab=tab, form=form,
                             status=409, notice=STALE)
    except RecordMissing:
        audit(action, result_id=result_id, outcome="not_found")
        return not_found_page()
    entry = done.entry or {}
    audit(action, result_id=result_id, outcome="ok" if done.entry else "unchanged",
          version=done.doc.get("version"), fields=sorted(entry.get("changes", {})),
          reason=entry.get("reason"))
    return redirect(url_for("web.record_page", result_id=result_id, tab="lich-su",
                            **{"da-luu": done.doc.get("version")}))


def _reason() -> str | None:
    return (request.form.get("reason") or "").strip() or None


def _edit(result_id: str, changes: dict[str, Any]) -> Commit:
    version = form_version(request.form)
    return edit(extensions.es(), extensions.settings(), result_id, changes, _reason(),
                g.account.username, expected_version=version)


@bp.post("/ket-qua/<path:result_id>/sua")
@login_required_web("officer", "manager")
def record_edit(result_id: str) -> ResponseReturnValue:
    def write() -> Commit:
        changes = edit_changes(request.form)
        if not changes:
            raise FormError({"changes": "Biểu mẫu không có trường nào để lưu."})
        return _edit(result_id, changes)

    return _apply("result.edit", result_id, "sua", write)


@bp.post("/ket-qua/<path:result_id>/tinh-trang")
@login_required_web("officer", "manager")
def record_status(result_id: str) -> ResponseReturnValue:
    return _apply("result.edit", result_id, "thong-tin",
                  lambda: _edit(result_id, action_changes(request.form)))


def _withdrawal(result_id: str, withdrawn: bool) -> ResponseReturnValue:
    action = "result.withdraw" if withdrawn else "result.restore"

    def write() -> Commit:
        version = form_version(request.form)
        return set_withdrawn(extensions.es(), extensions.settings(), result_id, withdrawn,
                             _reason(), g.account.username, expected_version=version)

    return _apply(action, result_id, "thong-tin", write)


@bp.post("/ket-qua/<path:result_id>/rut")
@login_required_web("manager")
def record_withdraw(result_id: str) -> ResponseReturnValue:
    return _withdrawal(result_id, True)


@bp.post("/ket-qua/<path:result_id>/khoi-phuc")
@login_required_web("manager")
def record_restore(result_id: str) -> ResponseReturnValue:
    return _withdrawal(result_id, False)
