"""Index lifecycle: every index sits behind an alias; mappings are versioned JSON files.

`mappings/<name>-v<N>.json` defines version N of the index behind alias `<prefix>-<name>`. `init`
creates the newest version where none exists; when a newer mapping version appears, `upgrade`
builds the new index (replicas 0, refresh off), copies the documents, restores settings and
swaps the alias atomically, then drops the old index — searches never see a gap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from domain.settings import Settings

_MAPPING_FILE = re.compile(r"^(?P<name>[a-z]+)-v(?P<version>\d+)\.json$")


@dataclass(frozen=True)
class MappingVersion:
    name: str
    version: int
    path: Path

    def body(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))


def latest_mappings(mappings_dir: Path) -> dict[str, MappingVersion]:
    """The newest mapping version of every index named in `mappings_dir`."""
    newest: dict[str, MappingVersion] = {}
    for path in sorted(mappings_dir.glob("*.json")):
        if not (match := _MAPPING_FILE.match(path.name)):
            continue
        candidate = MappingVersion(match["name"], int(match["version"]), path)
        if candidate.name not in newest or candidate.version > newest[candidate.name].version:
            newest[candidate.name] = candidate
    return newest


def concrete_name(settings: Settings, mapping: MappingVersion, generation: int = 1) -> str:
    return f"{settings.index_name(mapping.name)}-v{mapping.version}-{generation}"


def replica_count(client: Elasticsearch) -> int:
    """One replica as soon as the cluster has a second data node; none on a single node."""
    nodes = client.cluster.health()["number_of_data_nodes"]
    return 1 if nodes > 1 else 0


def _aliased_indices(client: Elasticsearch, alias: str) -> list[str]:
    try:
        return sorted(client.indices.get_alias(name=alias).keys())
    except NotFoundError:
        return []


def _create(
    client: Elasticsearch, name: str, alias: str | None, body: dict[str, Any], replicas: int
) -> None:
    settings = dict(body.get("settings", {}))
    settings["number_of_replicas"] = replicas
    aliases = {alias: {"is_write_index": True}} if alias else {}
    client.indices.create(index=name, settings=settings, mappings=body["mappings"], aliases=aliases)


def ensure_indices(
    client: Elasticsearch, settings: Settings, log: Callable[[str], None] = print
) -> dict[str, str]:
    """Create missing indices and upgrade outdated ones; return alias → concrete index."""
    result: dict[str, str] = {}
    replicas = replica_count(client)
    for mapping in latest_mappings(settings.mappings_dir).values():
        alias = settings.index_name(mapping.name)
        current = _aliased_indices(client, alias)
        wanted_prefix = f"{alias}-v{mapping.version}-"
        if not current:
            target = concrete_name(settings, mapping)
            _create(client, target, alias, mapping.body(), replicas)
            log(f"created {target} behind alias {alias}")
        elif all(name.startswith(wanted_prefix) for name in current):
            target = current[-1]
            log(f"{alias} is up to date ({target})")
        else:
            target = reindex(client, settings, mapping, log=log)
        result[alias] = target
    return result


def _next_generation(client: Elasticsearch, settings: Settings, mapping: MappingVersion) -> int:
    pattern = f"{settings.index_name(mapping.name)}-v{mapping.version}-*"
    existing = client.indices.get(index=pattern, expand_wildcards="all", ignore_unavailable=True)
    generations = [
        int(name.rsplit("-", 1)[1]) for name in existing if name.rsplit("-", 1)[1].isdigit()
    ]
    return max(generations, default=0) + 1


def reindex(
    client: Elasticsearch,
    settings: Settings,
    mapping: MappingVersion,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    log: Callable[[str], None] = print,
) -> str:
    """Zero-downtime rebuild of one index into `mapping`, swapping the alias atomically."""
    alias = settings.index_name(mapping.name)
    old_indices = _aliased_indices(client, alias)
    target = concrete_name(settings, mapping, _next_generation(client, settings, mapping))
    body = mapping.body()
    # Fast bulk load: no replicas and no refresh while copying; restored before the swap.
    load_settings = dict(body.get("settings", {}), refresh_interval="-1")
    _create(
        client, target, None, {"settings": load_settings, "mappings": body["mappings"]}, replicas=0
    )

    def actions() -> Iterator[dict[str, Any]]:
        for hit in helpers.scan(client, index=alias, query={"query": {"match_all": {}}}):
            source = transform(hit["_source"]) if transform else hit["_source"]
            yield {"_index": target, "_id": hit["_id"], "_source": source}

    copied, _ = helpers.bulk(client, actions(), chunk_size=500, stats_only=True)
    client.indices.put_settings(
        index=target,
        settings={
            "refresh_interval": body.get("settings", {}).get("refresh_interval", "1s"),
            "number_of_replicas": replica_count(client),
        },
    )
    client.indices.refresh(index=target)
    swap = [{"add": {"index": target, "alias": alias, "is_write_index": True}}]
    swap += [{"remove": {"index": name, "alias": alias}} for name in old_indices]
    client.indices.update_aliases(actions=swap)
    for name in old_indices:
        client.indices.delete(index=name)
    log(f"rebuilt {alias}: {copied} documents into {target}")
    return target


def drop_all(client: Elasticsearch, settings: Settings) -> None:
    """Delete every index of this deployment prefix (tests and `sohoa reset`)."""
    # Named index by index: a bare `<prefix>-*` would also match another deployment whose
    # prefix merely starts with ours.
    for name in latest_mappings(settings.mappings_dir):
        client.indices.delete(
            index=f"{settings.index_name(name)}-v*", expand_wildcards="all", ignore_unavailable=True
        )
