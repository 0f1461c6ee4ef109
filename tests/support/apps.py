"""The one way a test builds the Flask app, and the bearer header staff tokens go in."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app import create_app
from domain.settings import Settings

TEST_SECRET_KEY = "test-secret-" + "k" * 32


def make_app(settings: Settings, **config: Any) -> Flask:
    base = {"SOHOA_SETTINGS": settings, "TESTING": True, "SECRET_KEY": TEST_SECRET_KEY}
    return create_app({**base, **config})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
