"""sohoa's web side: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from domain.settings import Settings, load_settings, signing_key


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `test_config` may carry a ready `SOHOA_SETTINGS` and Flask options."""
    app = Flask(__name__)
    config = dict(test_config or {})
    settings: Settings = config.pop("SOHOA_SETTINGS", None) or load_settings()
    app.config.update(
        SOHOA_SETTINGS=settings,
        SECRET_KEY=signing_key(settings),
        MAX_CONTENT_LENGTH=settings.max_file_bytes * 4,
        JSON_AS_ASCII=False,
    )
    app.config.update(config)
    _init_resources(app)
    _register_blueprints(app)
    return app


def _init_resources(app: Flask) -> None:
    # Imported here, not at module top: the blueprints import `app.extensions` themselves.
    from app import bounds, errors, extensions, security
    from app.auth.web import init_app as init_auth

    extensions.init_app(app)
    errors.init_app(app)  # JSON problems under /api/, Vietnamese pages elsewhere
    bounds.init_app(app)  # body, query-string and JSON-depth limits (before CSRF reads forms)
    security.init_app(app)  # headers, masked logs
    init_auth(app)  # staff sessions and CSRF


def _register_blueprints(app: Flask) -> None:
    from app.api import init_app as init_api
    from app.audit.views import init_app as init_audit
    from app.citizen import init_app as init_citizen
    from app.coverage import init_app as init_coverage
    from app.health import bp as health_bp
    from app.web import init_app as init_web

    app.register_blueprint(health_bp)
    init_api(app)
    init_citizen(app)
    init_audit(app)
    init_web(app)
    init_coverage(app)
