"""The Elasticsearch client, built from Settings."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from domain.settings import Settings


def make_client(settings: Settings, *, timeout_s: float = 30.0) -> Elasticsearch:
    auth = None
    if settings.es_username and settings.es_password:
        auth = (settings.es_username, settings.es_password)
    return Elasticsearch(
        settings.es_url,
        basic_auth=auth,
        ca_certs=settings.es_ca_certs,
        request_timeout=timeout_s,
        retry_on_timeout=True,
        max_retries=2,
    )


def cluster_state(client: Elasticsearch) -> dict[str, object]:
    """Health for /healthz: _cluster/health (GET / is not served by every build)."""
    health = client.options(request_timeout=3, max_retries=0).cluster.health()
    return {"status": health["status"], "nodes": health["number_of_nodes"]}
