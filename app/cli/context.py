"""Shared helpers for CLI commands: settings and clients, with readable failures."""

from __future__ import annotations

import click
from elasticsearch import Elasticsearch

from domain.es import make_client
from domain.settings import Settings, SettingsError, load_settings


def cli_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from exc


def cli_client(settings: Settings) -> Elasticsearch:
    client = make_client(settings)
    try:
        client.options(request_timeout=5, max_retries=0).cluster.health()
    except Exception as exc:
        raise click.ClickException(
            f"Elasticsearch is not reachable at {settings.es_url} ({type(exc).__name__}). "
            "Start the local stack with `sohoa stack up` or set SOHOA_ES_URL."
        ) from exc
    return client
