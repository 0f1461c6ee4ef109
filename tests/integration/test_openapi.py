"""The OpenAPI document covers every /api/v1 route (so it cannot silently drift)."""

from __future__ import annotations

import re

import pytest

from domain.settings import Settings
from tests.support.apps import make_app

pytestmark = pytest.mark.services


def test_every_api_route_is_documented(session_settings: Settings) -> None:
    app = make_app(session_settings)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in document["paths"].items()
                  for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {rule.rule} missing from openapi.py"
