"""The JSON API under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import jobs, openapi, results, search, suggest  # noqa: E402,F401  (routes register on import)
