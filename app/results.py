"""The record read model every view shares (staff API, officers' pages, citizens): load a
result from the index, shape it for display, send one of its originals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elasticsearch import NotFoundError
from flask import Response, send_file, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.errors import ApiProblem
from domain.records import is_valid_result_id
from domain.search.schema import HIDDEN_FIELDS
from domain.settings import Settings
from domain.validity import validity_state

LINK_FIELDS = ["result_id", "result_number", "document_type", "issued_on", "status"]


def load_result(result_id: str) -> dict[str, Any] | None:
    if not is_valid_result_id(result_id):
        return None  # not a result_id any record can have (e.g. `..`, `/`): not found
    settings = extensions.settings()
    try:
        return extensions.es().get(index=settings.index_name("results"), id=result_id)["_source"]
    except NotFoundError:
        return None


def replaced_records(result_id: str) -> list[dict[str, Any]]:
    """The link back: records this one replaces (their `replaced_by` points here)."""
    settings = extensions.settings()
    response = extensions.es().search(
        index=settings.index_name("results"), size=20, source=LINK_FIELDS,
        query={"term": {"replaced_by": result_id}}, sort=[{"issued_on": "desc"}],
    )
    return [hit["_source"] for hit in response["hits"]["hits"]]


def etag_headers(source: dict[str, Any]) -> dict[str, str]:
    """`ETag` carrying the record's version: what `If-Match` sends back on PATCH."""
    return {"ETag": f'"{int(source.get("version") or 0)}"'}


def public_record(source: dict[str, Any], settings: Settings, file_endpoint: str
                  ) -> dict[str, Any]:
    """The record as the API shows it: metadata, text, validity, version and file links."""
    record = {k: v for k, v in source.items() if k not in HIDDEN_FIELDS}
    record["version"] = int(source.get("version") or 0)
    record["withdrawn"] = bool(source.get("withdrawn"))
    state = validity_state(source, settings.effective_today())
    record["validity"] = state
    record["valid"] = state == "valid"
    record["files"] = [
        {"name": f["name"], "media_type": f["media_type"], "size": f.get("size"),
         "pages": f.get("pages"),
         "url": url_for(file_endpoint, result_id=source["result_id"], n=n)}
        for n, f in enumerate(source.get("files", []))
    ]
    return record


def send_original(source: dict[str, Any] | None, n: int, settings: Settings) -> ResponseReturnValue:
    """The n-th original of a record, found by record and position only (never a client path)."""
    files = (source or {}).get("files", [])
    if not 0 <= n < len(files):
        raise ApiProblem(404, "no such file")
    entry = files[n]
    path = settings.originals_dir / entry["storage_key"]
    if not path.is_file():
        raise ApiProblem(404, "the stored original is missing; run `sohoa verify`")
    return send_personal_file(path, entry["media_type"], entry["name"].rsplit("/", 1)[-1])


def send_personal_file(path: Path, media_type: str, download_name: str | None = None,
                       as_attachment: bool = False) -> Response:
    """A file holding personal data: never stored by a browser or proxy, never revalidated
    (no ETag or Last-Modified, so no 304 that would imply a kept copy)."""
    response = send_file(path, mimetype=media_type, as_attachment=as_attachment,
                         download_name=download_name, etag=False, conditional=False,
                         last_modified=None, max_age=None)
    response.headers["Cache-Control"] = "no-store"
    for header in ("ETag", "Last-Modified", "Expires"):
        response.headers.pop(header, None)
    return response
