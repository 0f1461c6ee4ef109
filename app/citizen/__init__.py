"""Citizens retrieve their own results: identity provider, rate limits, API and pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.citizen.api import bp as api_bp
    from app.citizen.web import bp as web_bp

    app.register_blueprint(api_bp, url_prefix="/api/v1/citizen")
    app.register_blueprint(web_bp)
