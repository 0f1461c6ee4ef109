"""`GET /api/v1/openapi.json`: the API described for clients and tools (OpenAPI 3.1).

Kept by hand beside the routes; tests/test_openapi.py fails when a /api/v1 route is missing here.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from app.api.blueprint import bp

STAFF = [{"bearer": []}]


def _param(name: str, description: str, schema: dict[str, Any] | None = None,
           where: str = "query", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema or {"type": "string"}}


def _op(summary: str, who: str, params: list[dict[str, Any]] | None = None,
        security: list[dict[str, list[str]]] | None = None, body: dict[str, Any] | None = None,
        responses: dict[str, str] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary, "description": f"Who: {who}.",
        "parameters": params or [],
        "responses": {code: {"description": text}
                      for code, text in (responses or {"200": "OK"}).items()},
    }
    if security is not None:
        op["security"] = security
    if body:
        op["requestBody"] = body
    return op


DATE = {"type": "string", "format": "date"}
LIST = {"type": "array", "items": {"type": "string"}}
RESULT_ID = _param("result_id", "the record's result_id", where="path")
FILE_N = _param("n", "file position in the record (0-based)", {"type": "integer"}, where="path")
ERRORS = {"400": "bad parameter (message names it)", "401": "no or bad token",
          "403": "role not allowed", "404": "not found", "503": "search service unavailable"}

PATHS: dict[str, dict[str, Any]] = {
    "/search": {"get": _op("Search results", "officer, manager", [
        _param("q", "free text, result number, ID number, dates; diacritics optional"),
        _param("agency_code", "repeatable", LIST), _param("agency_level", "city|district|commune"),
        _param("document_type", "repeatable", LIST), _param("procedure_code", "repeatable", LIST),
        _param("valid_only", "1/true/yes/on: only results valid today", {"type": "boolean"}),
        _param("issued_from", "inclusive", DATE), _param("issued_to", "inclusive", DATE),
        _param("sort", "relevance|issued_on|issued_on_asc"),
        _param("page", "1-based", {"type": "integer"}),
        _param("size", "1..100", {"type": "integer"}),
    ], STAFF, responses={"200": "{total, hits[], facets}", **ERRORS})},
    "/results/{result_id}": {"get": _op("A record: metadata, text, validity, file links",
                                        "officer, manager", [RESULT_ID], STAFF,
                                        responses={"200": "record", **ERRORS})},
    "/results/{result_id}/files/{n}": {"get": _op("The original file's bytes", "officer, manager",
                                                  [RESULT_ID, FILE_N], STAFF,
                                                  responses={"200": "file", **ERRORS})},
    "/ingest": {"post": _op(
        "Queue one record: multipart form with `files` and optional `metadata` (JSON); fields "
        "the metadata does not give are extracted from the text and the record waits for review",
        "officer, manager",
        security=STAFF, body={"content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"], "properties": {
                "metadata": {"type": "string", "description": "manifest record as JSON "
                             "(optional; without result_id one is derived from the content)"},
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}},
        responses={"202": "{job_id, result_id}", **ERRORS})},
    "/jobs/{job_id}": {"get": _op("Job state: queued|running|done|failed", "officer, manager",
                                  [_param("job_id", "from POST /ingest", where="path")], STAFF,
                                  responses={"200": "{state, result_id, error}", **ERRORS})},
    "/review": {"get": _op("Pending records (extracted fields not yet confirmed), least certain "
                           "first", "officer, manager", [
        _param("agency_code", ""), _param("page", "1-based", {"type": "integer"}),
        _param("size", "1..100", {"type": "integer"})], STAFF,
        responses={"200": "{total, page, size, hits[{result_id, min_confidence, fields, "
                          "mismatches, …}]}", **ERRORS})},
    "/results/{result_id}/review": {"post": _op(
        "Correct extracted fields and confirm the record", "officer, manager", [RESULT_ID], STAFF,
        body={"content": {"application/json": {"schema": {"type": "object", "properties": {
            "changes": {"type": "object", "description": "{field: value}; null clears"},
            "confirm": {"type": "boolean", "default": True}}}}}},
        responses={"200": "the updated record", "409": "changed meanwhile",
                   "422": "{errors: {field: reason}}", **ERRORS})},
    "/coverage": {"get": _op("Digitisation coverage per agency against the roadmap", "manager", [
        _param("as_of", "default: today", DATE), _param("agency_level", "city|district|commune"),
    ], STAFF, responses={"200": "{as_of, target_year, rows[], totals}", **ERRORS})},
    "/coverage/series": {"get": _op("Digitised per month and cumulative", "manager", [
        _param("agency_code", ""), _param("agency_level", ""),
        _param("from", "", DATE), _param("to", "", DATE)], STAFF)},
    "/coverage/export": {"get": _op("Coverage table as CSV or XLSX", "manager", [
        _param("as_of", "", DATE), _param("format", "csv|xlsx")], STAFF)},
    "/quality": {"get": _op("Records with quality flags for review", "manager", [
        _param("flag", ""), _param("agency_code", "")], STAFF)},
    "/audit": {"get": _op("The audit log", "manager", [
        _param("user", ""), _param("result_id", ""), _param("action", ""),
        _param("from", "", DATE), _param("to", "", DATE), _param("page", "", {"type": "integer"}),
    ], STAFF)},
    "/citizen/session": {"post": _op(
        "Citizen proves identity; answers a short-lived token", "anyone", security=[],
        body={"content": {"application/json": {"schema": {"type": "object", "required": [
            "id_number", "birth_date", "result_number"], "properties": {
            "id_number": {"type": "string"}, "birth_date": DATE,
            "result_number": {"type": "string"}}}}}},
        responses={"200": "{token, expires_in, scope: all|shared}", "401": "one generic message",
                   "429": "rate-limited"})},
    "/citizen/logout": {"post": _op(
        "End the citizen session the token stands for (the token stops working at once)",
        "citizen token", security=STAFF,
        responses={"204": "ended", "401": "no live citizen token"})},
    "/citizen/results": {"get": _op("The citizen's own records, valid first", "citizen token",
                                    security=STAFF)},
    "/citizen/results/{result_id}": {"get": _op("One own record (404 otherwise)", "citizen token",
                                                [RESULT_ID], STAFF)},
    "/citizen/results/{result_id}/files/{n}": {"get": _op(
        "An own record's original (404 otherwise)", "citizen token", [RESULT_ID, FILE_N], STAFF)},
    "/openapi.json": {"get": _op("This document", "anyone", security=[])},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "sohoa API", "version": "1",
                 "description": "Search and retrieval over Hanoi's digitised results of "
                                "administrative procedures. Errors are JSON {error, status}."},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": STAFF,
        "paths": PATHS,
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
