"""Shared helpers for CLI commands: settings and clients, with readable failures."""

from __future__ import annotations

import click
from elasticsearch import Elasticsearch

from domain.es import make_client
from domain.indices import IndicesNotReady, check_indices
from domain.settings import Settings, SettingsError, load_settings


def cli_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from exc


def cli_client(settings: Settings, require_current: bool = True) -> Elasticsearch:
    """A client to a reachable cluster; unless told otherwise, also refuse to go on when an
    index is missing or outdated (only `sohoa init` creates or upgrades them)."""
    client = make_client(settings)
    try:
        client.options(request_timeout=5, max_retries=0).cluster.health()
    except Exception as exc:
        raise click.ClickException(
            f"Elasticsearch is not reachable at {settings.es_url} ({type(exc).__name__}). "
            "Start the local stack with `sohoa stack up` or set SOHOA_ES_URL."
        ) from exc
    if require_current:
        try:
            check_indices(client, settings)
        except IndicesNotReady as exc:
            raise click.ClickException(str(exc)) from exc
    return client
