"""Per-app resources: the Elasticsearch client, Redis and the Celery app, one `init_app` each."""

from __future__ import annotations

import redis
from elasticsearch import Elasticsearch
from flask import Flask, current_app

from domain.es import make_client
from domain.settings import Settings
from indexer.celery_app import make_celery


def init_app(app: Flask) -> None:
    settings: Settings = app.config["SOHOA_SETTINGS"]
    app.extensions["sohoa.es"] = make_client(settings)
    app.extensions["sohoa.redis"] = redis.Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=3
    )
    app.extensions["sohoa.celery"] = make_celery(settings)


def settings() -> Settings:
    return current_app.config["SOHOA_SETTINGS"]


def es() -> Elasticsearch:
    return current_app.extensions["sohoa.es"]


def redis_client() -> redis.Redis:
    return current_app.extensions["sohoa.redis"]
