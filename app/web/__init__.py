"""The staff web pages: search (`/`), record (`/ket-qua/<id>`), its files and page previews."""

from __future__ import annotations

from flask import Flask

from app.web.blueprint import bp


def init_app(app: Flask) -> None:
    # The route modules attach their views to `bp` when imported.
    from app.web import helpers, record_changes, records, review, search  # noqa: F401

    app.register_blueprint(bp)
