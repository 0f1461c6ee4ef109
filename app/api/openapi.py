"""`GET /api/v1/openapi.json`: the API described for clients and tools (OpenAPI 3.1).

Written beside the routes, from the same constants the request parsers check against (sizes,
enums, the result_id and ID-number rules, the manifest's fields), so a bound changes in one
place. Two tests keep it true: tests/integration/test_openapi.py fails when a route is missing,
and tests/integration/test_api_properties.py (Schemathesis) sends generated requests, valid and
invalid by this document, as every role, and fails on a 5xx, an undocumented status, a body that
is not the documented JSON problem, valid data refused or invalid data accepted.
Rules that tie two parameters together (a date range's order, page × size) cannot be written in
JSON Schema; they are stated in each operation's description and answered 400.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from app.api.blueprint import bp
from app.bounds import MAX_QUERY_STRING, SMALL_BODY_BYTES
from app.coverage.series import MAX_SERIES_MONTHS
from domain.agencies import LEVELS
from domain.records import DATE_FIELDS, MAX_TEXT_CHARS, STATUSES, SUPPORTED_SUFFIXES, TEXT_FIELDS
from domain.review import EDITABLE
from domain.search.es_query import MAX_SIZE, MAX_WINDOW, SORTS
from domain.search.params import MAX_VALUE_CHARS
from domain.search.suggest import MAX_CHARS as SUGGEST_MAX_CHARS
from domain.search.suggest import MAX_SIZE as SUGGEST_MAX_SIZE

STAFF = [{"bearer": []}]
CITIZEN = [{"citizenBearer": []}]
ANYONE: list[dict[str, list[str]]] = []

RESULT_ID_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
ID_NUMBER_PATTERN = r"^([0-9]{12}|[0-9]{9})$"
MONTH_PATTERN = r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"
DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
FLAG = {"type": "string", "enum": ["1", "true", "yes", "on", "0", "false", "no", "off"]}
LEVEL = {"type": "string", "enum": list(LEVELS)}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

STATUS_TEXT = {
    400: "bad parameter or body (the message names it)",
    401: "no, bad or expired token",
    403: "the token's role may not do this",
    404: "not found (for citizens also: not theirs)",
    413: f"body over {SMALL_BODY_BYTES // 1024} KiB (uploads: over the upload limit)",
    414: f"query string over {MAX_QUERY_STRING} bytes",
    409: "the record changed meanwhile",
    412: "the record changed since that version",
    422: "bad fields (the answer names each)",
    428: "If-Match missing",
    429: "too many failed attempts; see Retry-After",
    503: "Elasticsearch or Redis unavailable; try again shortly",
}


def _problem(status: int) -> dict[str, Any]:
    return {"description": STATUS_TEXT[status],
            "content": {"application/json": {"schema": PROBLEM_REF}}}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}


EMPTY = {"type": "string", "maxLength": 0}


def _param(name: str, description: str, schema: dict[str, Any] | None = None,
           where: str = "query", required: bool = False) -> dict[str, Any]:
    schema = schema or TEXT
    if schema.get("type") == "array":
        # Empty values of a repeatable filter are ignored.
        schema = {**schema, "items": {"anyOf": [schema["items"], EMPTY]}}
    elif where == "query" and schema is not TEXT:
        # An empty optional parameter means "not given" (web forms send empty fields).
        schema = {"anyOf": [schema, EMPTY]}
    param = {"name": name, "in": where, "required": required or where == "path",
             "description": description, "schema": schema}
    if schema.get("type") == "array":
        param.update(style="form", explode=True)
    return param


def _op(summary: str, who: str, ok: dict[str, dict[str, Any]], *, errors: tuple[int, ...],
        params: list[dict[str, Any]] | None = None, security: list[Any] = STAFF,
        body: dict[str, Any] | None = None, rules: str = "") -> dict[str, Any]:
    # Every operation may meet an over-long query string and an unavailable backing service.
    codes = sorted({*errors, 414, 503} | ({413} if body else set()))
    op: dict[str, Any] = {
        "summary": summary, "description": f"Who: {who}." + (f" {rules}" if rules else ""),
        "parameters": params or [], "security": security,
        "responses": {**ok, **{str(code): _problem(code) for code in codes}},
    }
    if body:
        op["requestBody"] = body
    return op


def _page(maximum: int, description: str = "1-based") -> dict[str, Any]:
    return _param("page", description, {"type": "integer", "minimum": 1, "maximum": maximum})


def _size(maximum: int, default: int) -> dict[str, Any]:
    return _param("size", f"1..{maximum}, default {default}",
                  {"type": "integer", "minimum": 1, "maximum": maximum})


RESULT_ID = _param("result_id", "the record's result_id (see docs/security.md)",
                   {"type": "string", "pattern": RESULT_ID_PATTERN}, where="path")
FILE_N = _param("n", "file position in the record (0-based)",
                {"type": "integer", "minimum": 0}, where="path")
FILE_BYTES = {"description": "the original file's bytes (Cache-Control: no-store)",
              "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
VALUE = {"type": "string", "maxLength": MAX_VALUE_CHARS}
WINDOW_RULE = f"page × size may not pass {MAX_WINDOW} (400)."


def _metadata_schema() -> dict[str, Any]:
    """The manifest record as `POST /ingest` takes it (files come as the upload's parts)."""
    properties: dict[str, Any] = {
        "result_id": {"type": "string", "pattern": RESULT_ID_PATTERN},
        **{name: {"type": ["string", "null"], "maxLength": MAX_TEXT_CHARS}
           for name in TEXT_FIELDS},
        **{name: {"type": ["string", "null"], "format": "date"} for name in DATE_FIELDS},
        "agency_level": {"enum": [*LEVELS, None]},
        "status": {"enum": [*STATUSES, None]},
        "other_parties": {"type": ["array", "null"], "items": {
            "type": "object", "properties": {
                "name": {"type": ["string", "null"], "maxLength": MAX_TEXT_CHARS},
                "id_number": {"type": ["string", "null"], "pattern": ID_NUMBER_PATTERN}}}},
    }
    properties["holder_id_number"] = {"type": ["string", "null"], "pattern": ID_NUMBER_PATTERN}
    properties["replaced_by"] = {"type": ["string", "null"], "pattern": RESULT_ID_PATTERN}
    return {"type": "object", "properties": properties}


def _strict_int(name: str, maximum: int) -> dict[str, Any]:
    # The review queue reads its numbers strictly: digits only, no empty value.
    return {"name": name, "in": "query", "required": False, "description": f"1..{maximum}",
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum}}


def _changes_schema() -> dict[str, Any]:
    fields = _metadata_schema()["properties"]
    parties = fields["other_parties"]
    # A review takes parties with these two keys only.
    fields = {**fields, "other_parties": {**parties, "items": {
        **parties["items"], "additionalProperties": False}}}
    return {"type": "object", "propertyNames": {"enum": list(EDITABLE)},
            "properties": {name: fields.get(name, {"type": ["string", "null"]})
                           for name in EDITABLE}}


SEARCH_PARAMS = [
    _param("q", "free text, result number, ID number, dates; diacritics optional"),
    _param("agency_code", "repeatable", {"type": "array", "items": VALUE}),
    _param("agency_level", "repeatable", {"type": "array", "items": LEVEL}),
    _param("document_type", "repeatable", {"type": "array", "items": VALUE}),
    _param("procedure_code", "repeatable", {"type": "array", "items": VALUE}),
    _param("valid_only", "only results valid today", FLAG),
    _param("issued_from", "inclusive", DATE), _param("issued_to", "inclusive", DATE),
    _param("sort", "default relevance", {"type": "string", "enum": list(SORTS)}),
    _page(MAX_WINDOW), _size(MAX_SIZE, 10),
]
SEARCH_ANSWER = {"type": "object", "required": ["total", "hits", "facets"], "properties": {
    "total": {"type": "integer"}, "hits": {"type": "array", "items": {"type": "object"}},
    "facets": {"type": "object"},
    "facets_estimated": {"type": "boolean", "description": "facet counts estimated from a random "
                         "sample of the matches (a match set of over 200 000); total stays exact"}}}

CHANGE_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["changes"], "properties": {
        "changes": {"type": "object", "description": "{field: new value}; null clears"},
        "reason": {"type": "string"}}}}}}
REASON_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["reason"], "properties": {"reason": {
        "type": "string", "minLength": 1, "maxLength": 2000, "pattern": "\\S"}}}}}}

PATHS: dict[str, dict[str, Any]] = {
    "/search": {"get": _op(
        "Search results", "officer, manager",
        {"200": _json("{total, hits[], facets, relaxed, did_you_mean}", SEARCH_ANSWER)},
        errors=(400, 401), params=SEARCH_PARAMS,
        rules="Unknown or repeated single parameters are refused (400); issued_from may not "
              f"be after issued_to (400); {WINDOW_RULE}")},
    "/suggest": {"get": _op(
        "Completions for the search box: holder names, document types, agencies, result "
        "numbers, each with its record count", "officer, manager",
        {"200": _json("{suggestions: [{text, kind, count}]}")}, errors=(400, 401),
        params=[_param("q", "what was typed so far (diacritics optional)",
                       {"type": "string", "maxLength": SUGGEST_MAX_CHARS}),
                _size(SUGGEST_MAX_SIZE, 8)])},
    "/results/{result_id}": {
        "get": _op("A record: metadata, text, validity, `version`, `withdrawn`, `replaces`, file "
                   "links; `ETag` carries the version", "officer, manager",
                   {"200": _json("record")}, errors=(401, 404), params=[RESULT_ID]),
        "patch": _op(
            "Change fields; one new version. Editable: every metadata field but result_id and "
            "files, and `text`. A change of status or valid_until needs `reason`; status "
            "`replaced` needs `replaced_by` naming an existing record", "officer, manager",
            {"200": _json("the updated record (ETag: new version)")},
            errors=(400, 401, 404, 412, 422, 428),
            params=[RESULT_ID, _param("If-Match", "the version read (GET's ETag)",
                                      {"type": "string", "pattern": '^"?[0-9]+"?$'},
                                      where="header", required=True)], body=CHANGE_BODY,
            rules="A change of status or valid_until without a reason is a 422.")},
    "/results/{result_id}/history": {"get": _op(
        "Every version, newest first", "officer, manager",
        {"200": _json("{result_id, versions[]}")}, errors=(401, 404), params=[RESULT_ID])},
    "/results/{result_id}/history/{version}": {"get": _op(
        "The record's tracked fields as they were at one version", "officer, manager",
        {"200": _json("{result_id, version, at, by, source, record}")}, errors=(401, 404),
        params=[RESULT_ID, _param("version", "a version number from the history",
                                  {"type": "integer", "minimum": 0}, where="path")])},
    "/results/{result_id}/withdraw": {"post": _op(
        "Withdraw a record ingested in error: gone from search, citizens and coverage, kept "
        "with its history", "manager", {"200": _json("the record (withdrawn: true)")},
        errors=(400, 401, 403, 404, 422), params=[RESULT_ID], body=REASON_BODY)},
    "/results/{result_id}/restore": {"post": _op(
        "Restore a withdrawn record", "manager", {"200": _json("the record (withdrawn: false)")},
        errors=(400, 401, 403, 404, 422), params=[RESULT_ID], body=REASON_BODY)},
    "/results/{result_id}/files/{n}": {"get": _op(
        "The original file's bytes", "officer, manager", {"200": FILE_BYTES},
        errors=(401, 404), params=[RESULT_ID, FILE_N])},
    "/ingest": {"post": _op(
        "Queue one record: multipart form with `files` and optional `metadata` (JSON); fields "
        "the metadata does not give are extracted from the text and the record waits for review",
        "officer, manager",
        {"202": _json("{job_id, result_id}", {"type": "object", "required": [
            "job_id", "result_id"]})},
        errors=(400, 401),
        body={"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": ["files"], "properties": {
                "metadata": _metadata_schema(),
                "files": {"type": "array", "minItems": 1, "items": {
                    "type": "string", "format": "binary"}}}},
            "encoding": {"metadata": {"contentType": "application/json"}}}}},
        rules="Each file must be a readable " + " ".join(SUPPORTED_SUFFIXES) + " file (the "
              "name's type matches its bytes; not empty, truncated, encrypted or a pixel "
              "bomb); otherwise 400 with a `code` and nothing is stored. valid_until may not "
              "be before valid_from (400).")},
    "/jobs/{job_id}": {"get": _op(
        "Job state: queued|running|done|failed", "officer, manager",
        {"200": _json("{state, result_id, error}")}, errors=(401, 404),
        params=[_param("job_id", "from POST /ingest",
                       {"type": "string", "pattern": "^[0-9a-f]{32}$"}, where="path")])},
    "/review": {"get": _op(
        "Pending records (extracted fields not yet confirmed), least certain first",
        "officer, manager", {"200": _json("{total, page, size, hits[]}")}, errors=(400, 401),
        params=[_param("agency_code", ""), _strict_int("page", 10_000), _strict_int("size", 100)],
        rules=WINDOW_RULE)},
    "/results/{result_id}/review": {"post": _op(
        "Correct extracted fields and confirm the record", "officer, manager",
        {"200": _json("the updated record")}, errors=(400, 401, 404, 409, 422),
        params=[RESULT_ID],
        body={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"changes": _changes_schema(),
                                             "confirm": {"type": "boolean", "default": True}}}}}})},
    "/coverage": {"get": _op(
        "Digitisation coverage per agency against the roadmap", "manager",
        {"200": _json("{as_of, target_year, rows[], totals}")}, errors=(400, 401, 403),
        params=[_param("as_of", "default: today", DATE), _param("agency_level", "", LEVEL)])},
    "/coverage/series": {"get": _op(
        "Digitised per month and cumulative", "manager",
        {"200": _json("{scope, inventory, points[], steps[]}")}, errors=(400, 401, 403, 404),
        params=[_param("agency_code", "an agency of the register (404 otherwise)"),
                _param("agency_level", "", LEVEL),
                _param("with_children", "with the agency's subordinate agencies", FLAG),
                _param("from", "YYYY-MM or YYYY-MM-DD", {"anyOf": [
                    DATE, {"type": "string", "pattern": MONTH_PATTERN}]}),
                _param("to", "YYYY-MM or YYYY-MM-DD", {"anyOf": [
                    DATE, {"type": "string", "pattern": MONTH_PATTERN}]})],
        rules=f"from may not be after to, and a series spans at most {MAX_SERIES_MONTHS} "
              "months (400).")},
    "/coverage/export": {"get": _op(
        "Coverage table as CSV or XLSX", "manager",
        {"200": {"description": "the table as a file", "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}}}}},
        errors=(400, 401, 403),
        params=[_param("as_of", "default: today", DATE), _param("agency_level", "", LEVEL),
                _param("format", "default csv", {"type": "string", "enum": ["csv", "xlsx"]})])},
    "/quality": {"get": _op(
        "Records with quality flags for review", "manager",
        {"200": _json("{total, page, size, flags, hits[]}")}, errors=(400, 401, 403),
        params=[_param("flag", ""), _param("agency_code", ""), _page(MAX_WINDOW),
                _size(500, 50)], rules=WINDOW_RULE)},
    "/audit": {"get": _op(
        "The audit log", "manager", {"200": _json("{total, page, size, pages, events[]}")},
        errors=(400, 401, 403),
        params=[_param("user", ""), _param("result_id", ""), _param("action", ""),
                _param("from", "date or date-time", {"anyOf": [
                    DATE, {"type": "string", "format": "date-time"}]}),
                _param("to", "date (the whole day) or date-time", {"anyOf": [
                    DATE, {"type": "string", "format": "date-time"}]}),
                _page(MAX_WINDOW), _size(200, 50)], rules=WINDOW_RULE)},
    "/citizen/session": {"post": _op(
        "Citizen proves identity; answers a short-lived token", "anyone",
        {"200": _json("{token, expires_in, scope: all|shared}",
                      {"type": "object", "required": ["token"]})},
        errors=(400, 401, 429), security=ANYONE,
        body={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["id_number", "birth_date", "result_number"],
            "properties": {"id_number": TEXT, "birth_date": DATE, "result_number": TEXT}}}}},
        rules="Any identity that does not match gets the same 401.")},
    "/citizen/logout": {"post": _op(
        "End the citizen session the token stands for (the token stops working at once)",
        "citizen token", {"204": {"description": "ended"}}, errors=(401,), security=CITIZEN)},
    "/citizen/results": {"get": _op(
        "The citizen's own records, valid first", "citizen token",
        {"200": _json("{total, results[]}")}, errors=(401,), security=CITIZEN)},
    "/citizen/results/{result_id}": {"get": _op(
        "One own record (404 otherwise)", "citizen token", {"200": _json("record")},
        errors=(401, 404), params=[RESULT_ID], security=CITIZEN)},
    "/citizen/results/{result_id}/files/{n}": {"get": _op(
        "An own record's original (404 otherwise)", "citizen token", {"200": FILE_BYTES},
        errors=(401, 404), params=[RESULT_ID, FILE_N], security=CITIZEN)},
    "/openapi.json": {"get": _op("This document", "anyone", {"200": _json("OpenAPI 3.1")},
                                 errors=(), security=ANYONE)},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "sohoa API", "version": "1",
                 "description": "Search and retrieval over Hanoi's digitised results of "
                                "administrative procedures. Every error is the JSON problem "
                                "{error, status}."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a staff API token (sohoa users add)"},
                "citizenBearer": {"type": "http", "scheme": "bearer",
                                  "description": "a token from POST /citizen/session"}},
            "schemas": {"Problem": {
                "type": "object", "required": ["error", "status"],
                "properties": {"error": {"type": "string"},
                               "status": {"type": "integer", "minimum": 400, "maximum": 599}}}},
        },
        "security": STAFF,
        "paths": PATHS,
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
