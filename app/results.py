"""The record read model every view shares (staff API, officers' pages, citizens): load a
result from the index, shape it for display, send one of its originals."""

from __future__ import annotations

from typing import Any

from elasticsearch import NotFoundError
from flask import send_file, url_for
from flask.typing import ResponseReturnValue

from app import extensions
from app.errors import ApiProblem
from domain.search.schema import HIDDEN_FIELDS
from domain.settings import Settings
from domain.validity import validity_state


def load_result(result_id: str) -> dict[str, Any] | None:
    settings = extensions.settings()
    try:
        return extensions.es().get(index=settings.index_name("results"), id=result_id)["_source"]
    except NotFoundError:
        return None


def public_record(source: dict[str, Any], settings: Settings, file_endpoint: str
                  ) -> dict[str, Any]:
    """The record as the API shows it: metadata, text, validity, and file links."""
    record = {k: v for k, v in source.items() if k not in HIDDEN_FIELDS}
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
    return send_file(path, mimetype=entry["media_type"], as_attachment=False,
                     download_name=entry["name"].rsplit("/", 1)[-1])
