"""The `api` blueprint object, apart from the route modules that attach to it (no import cycle)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
