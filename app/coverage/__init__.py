"""Coverage against Hanoi's digitisation roadmap (docs/interfaces.md "Coverage", "Target").

arithmetic (targets, figures, roll-ups; pure) · queries (Elasticsearch aggregations) ·
report / series (the answers) · api (JSON routes, blueprint `coverage_api` under /api/v1) ·
views, table, chart, export, labels (the managers' pages, blueprint `coverage` under
/bao-cao/so-hoa).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.coverage.api import bp as api_bp
    from app.coverage.views import bp as web_bp

    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(web_bp)
