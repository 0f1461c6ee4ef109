"""Bounds on what one request may make the server read or parse.

- Bodies: 64 KiB for everything but uploads, whether the client sends a Content-Length or
  streams with `Transfer-Encoding: chunked` (the per-request limit makes Werkzeug's input stream
  stop at the bound and answer 413 either way). Uploads are bounded by MAX_CONTENT_LENGTH.
- Query strings: 4 KiB, then the API's JSON 414 (gunicorn's own request-line limit is set
  above this in `sohoa serve`, so this handler is the one that answers).
- JSON: at most `domain.jsonbounds.MAX_DEPTH` levels of nesting, for every body Flask parses.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider

from domain import jsonbounds

SMALL_BODY_BYTES = 64 * 1024       # everything but uploads: forms and JSON are tiny
MAX_QUERY_STRING = 4096
UPLOAD_ENDPOINTS = frozenset({"api.ingest", "web.upload_page"})


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing deeply nested documents as a ValueError (so: a 400, never a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return jsonbounds.loads(s, **kwargs)


def limit_request() -> None:
    if len(request.query_string) > MAX_QUERY_STRING:
        abort(414)
    if request.endpoint in UPLOAD_ENDPOINTS:
        return
    length = request.content_length
    if length and length > SMALL_BODY_BYTES:
        abort(413)
    # Applies to the stream itself: a chunked body (no Content-Length) stops at the bound too.
    request.max_content_length = SMALL_BODY_BYTES
    if length is None and request.environ.get("wsgi.input_terminated"):
        _read_streamed_body()


def _read_streamed_body() -> None:
    """Read a body sent without Content-Length now, one byte past the bound at most, and
    answer 413 when it is over: left to the view, the capped stream would hand it the first
    64 KiB as if they were the whole body."""
    request.max_content_length = SMALL_BODY_BYTES + 1
    if len(request.get_data(cache=True)) > SMALL_BODY_BYTES:  # JSON/forms parse this copy
        abort(413)


def init_app(app: Flask) -> None:
    """Install before any hook that reads the body (the CSRF check reads forms)."""
    app.json = BoundedJSONProvider(app)
    app.before_request(limit_request)
