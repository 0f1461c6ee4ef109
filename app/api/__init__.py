"""The staff JSON API under /api/v1: search, results, ingest and jobs, the OpenAPI document."""

from __future__ import annotations

from flask import Flask

from app.api.blueprint import bp


def init_app(app: Flask) -> None:
    # The route modules attach their views to `bp` when imported.
    from app.api import jobs, openapi, results, review, search, suggest  # noqa: F401

    app.register_blueprint(bp, url_prefix="/api/v1")
