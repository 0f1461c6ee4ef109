"""The staff web pages: search (`/`), record (`/ket-qua/<id>`), its files and page previews."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import helpers, records, review, search  # noqa: E402,F401  (routes register on import)
