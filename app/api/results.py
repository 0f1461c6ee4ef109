"""Staff record routes: read (`GET /results/<id>`, with `version` and `ETag`), its originals,
change (`PATCH` with `If-Match`), history (`GET /history`, one earlier version), and the
managers' withdraw / restore."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue

from app import extensions
from app.api.blueprint import bp
from app.audit import audit
from app.auth.guards import STAFF_ROLES, require_role
from app.errors import ApiProblem
from app.results import (
    etag_headers,
    load_result,
    public_record,
    replaced_records,
    send_original,
)
from domain.changes import state_at
from domain.edits import ChangeRejected, RecordMissing, StaleVersion, edit, set_withdrawn
from domain.history import Commit, HistoryStore

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


@bp.get("/results/<path:result_id>/files/<int:n>")
@require_role(*STAFF_ROLES)
def result_file(result_id: str, n: int) -> ResponseReturnValue:
    try:
        response = send_original(load_result(result_id), n, extensions.settings())
    except ApiProblem:
        audit("result.file", result_id=result_id, outcome="not_found", file=n)
        raise
    audit("result.file", result_id=result_id, file=n)
    return response


def _record_answer(source: dict[str, Any]) -> ResponseReturnValue:
    record = public_record(source, extensions.settings(), "api.result_file")
    record["replaces"] = [r["result_id"] for r in replaced_records(source["result_id"])]
    return record, 200, etag_headers(source)


def _existing(result_id: str, action: str) -> dict[str, Any]:
    source = load_result(result_id)
    if source is None:
        audit(action, result_id=result_id, outcome="not_found")
        raise ApiProblem(404, f"no result {result_id}")
    return source


@bp.get("/results/<path:result_id>")
@require_role(*STAFF_ROLES)
def result(result_id: str) -> ResponseReturnValue:
    source = _existing(result_id, "result.view")
    audit("result.view", result_id=result_id)
    return _record_answer(source)


def _expected_version() -> int:
    header = request.headers.get("If-Match")
    if header is None:
        raise ApiProblem(428, "send 'If-Match: <version>' (the version you read from "
                              "GET /results/<id>); changes without it could overwrite another's")
    match = _IF_MATCH.match(header)
    if not match:
        raise ApiProblem(400, f"If-Match must carry one record version, got {header!r}")
    return int(match[1])


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiProblem(422, "the body must be a JSON object", fields={
            "body": 'expected {"changes": {field: value}, "reason": "…"}'})
    return body


def _committed(action: str, result_id: str, done: Commit) -> ResponseReturnValue:
    entry = done.entry
    audit(action, result_id=result_id, outcome="ok" if entry else "unchanged",
          version=done.doc.get("version"), fields=sorted((entry or {}).get("changes", {})),
          reason=(entry or {}).get("reason"))
    return _record_answer(done.doc)


def _run(action: str, result_id: str, write: Callable[[], Commit]) -> ResponseReturnValue:
    """One change through the shared write path, every outcome audited and answered."""
    try:
        done = write()
    except RecordMissing:
        audit(action, result_id=result_id, outcome="not_found")
        raise ApiProblem(404, f"no result {result_id}") from None
    except StaleVersion as exc:
        audit(action, result_id=result_id, outcome="stale", current_version=exc.current)
        raise ApiProblem(412, "the record changed since that version; read it again and "
                              "reapply your change", current_version=exc.current) from None
    except ChangeRejected as exc:
        audit(action, result_id=result_id, outcome="rejected", fields=sorted(exc.errors))
        raise ApiProblem(422, "some fields cannot be changed that way",
                         fields=exc.errors) from None
    return _committed(action, result_id, done)


@bp.patch("/results/<path:result_id>")
@require_role(*STAFF_ROLES)
def patch_result(result_id: str) -> ResponseReturnValue:
    expected = _expected_version()
    body = _json_body()
    return _run("result.edit", result_id, lambda: edit(
        extensions.es(), extensions.settings(), result_id, body.get("changes"),
        body.get("reason"), g.account.username, expected_version=expected))


def _withdrawal(result_id: str, withdrawn: bool) -> ResponseReturnValue:
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    action = "result.withdraw" if withdrawn else "result.restore"
    expected = _expected_version() if "If-Match" in request.headers else None
    return _run(action, result_id, lambda: set_withdrawn(
        extensions.es(), extensions.settings(), result_id, withdrawn, reason,
        g.account.username, expected_version=expected))


@bp.post("/results/<path:result_id>/withdraw")
@require_role("manager")
def withdraw_result(result_id: str) -> ResponseReturnValue:
    return _withdrawal(result_id, True)


@bp.post("/results/<path:result_id>/restore")
@require_role("manager")
def restore_result(result_id: str) -> ResponseReturnValue:
    return _withdrawal(result_id, False)


@bp.get("/results/<path:result_id>/history")
@require_role(*STAFF_ROLES)
def result_history(result_id: str) -> ResponseReturnValue:
    _existing(result_id, "result.history")
    versions = HistoryStore(extensions.es(), extensions.settings()).versions(result_id)
    audit("result.history", result_id=result_id, versions=len(versions))
    return {"result_id": result_id, "versions": versions}


@bp.get("/results/<path:result_id>/history/<int:version>")
@require_role(*STAFF_ROLES)
def result_version(result_id: str, version: int) -> ResponseReturnValue:
    """The record's fields as they were at one earlier version."""
    source = _existing(result_id, "result.history")
    versions = HistoryStore(extensions.es(), extensions.settings()).versions(result_id)
    if version not in {v["version"] for v in versions}:
        audit("result.history", result_id=result_id, outcome="not_found", version=version)
        raise ApiProblem(404, f"{result_id} has no version {version}")
    audit("result.history", result_id=result_id, version=version)
    entry = next(v for v in versions if v["version"] == version)
    return {"result_id": result_id, "version": version, "at": entry["at"], "by": entry["by"],
            "source": entry["source"], "record": state_at(source, versions, version)}
