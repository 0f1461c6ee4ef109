"""Index lifecycle: every index sits behind an alias; mappings are versioned JSON files.

`mappings/<name>-v<N>.json` defines version N of the index behind alias `<prefix>-<name>`.
`sohoa init` is the only command that creates or upgrades indices (`ensure_indices`); every other
command calls `check_indices` and refuses to run against a missing or outdated index.

An upgrade (`reindex`) runs under a Redis lock, so two `init`s never race. It builds the new index
(replicas 0, refresh off), copies every document with its version, swaps the alias atomically, and
then copies again whatever changed in the old index while the first copy ran: writes keep landing
throughout and none is lost (a copy never overwrites a newer version). On failure the half-built
index is deleted and the alias keeps pointing at the old one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from elasticsearch import Elasticsearch, NotFoundError, helpers

from domain.changes import with_derived_fields
from domain.settings import Settings

Log = Callable[[str], None]
Transform = Callable[[dict[str, Any]], dict[str, Any]]
# What an upgrade recomputes while it copies: a results record's analysed fields come from the
# Python analysis of this release (folding, spelling variants, segmentation), so the new index
# serves them without a re-ingest.
UPGRADE_TRANSFORMS: dict[str, Transform] = {"results": with_derived_fields}
LOCK_TIMEOUT_S = 600  # renewed while the copy makes progress; lapses if `init` is killed

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


class IndicesNotReady(Exception):
    """An index is missing or older than its mapping: `sohoa init` must run first."""


def index_states(client: Elasticsearch, settings: Settings) -> dict[str, str]:
    """alias → "missing" | "outdated" | "current", for every mapping."""
    states = {}
    for mapping in latest_mappings(settings.mappings_dir).values():
        alias = settings.index_name(mapping.name)
        current = _aliased_indices(client, alias)
        wanted_prefix = f"{alias}-v{mapping.version}-"
        if not current:
            states[alias] = "missing"
        elif all(name.startswith(wanted_prefix) for name in current):
            states[alias] = "current"
        else:
            states[alias] = "outdated"
    return states


def check_indices(client: Elasticsearch, settings: Settings) -> None:
    """Raise IndicesNotReady naming every index that is missing or outdated."""
    problems = [f"{alias} ({state})" for alias, state in index_states(client, settings).items()
                if state != "current"]
    if problems:
        raise IndicesNotReady(
            f"indices not ready: {', '.join(problems)}; run `sohoa init` to create or upgrade them"
        )


def init_lock(settings: Settings) -> redis.lock.Lock:
    """The deployment-wide lock every index creation or upgrade holds."""
    connection = redis.Redis.from_url(settings.redis_url, socket_timeout=10)
    return connection.lock(f"{settings.index_prefix}:init-lock", timeout=LOCK_TIMEOUT_S,
                           blocking_timeout=LOCK_TIMEOUT_S)


def ensure_indices(client: Elasticsearch, settings: Settings, log: Log = print,
                   lock: redis.lock.Lock | None = None) -> dict[str, str]:
    """Create missing indices and upgrade outdated ones under the init lock; return alias →
    concrete index. A second caller waits for the first and then finds everything current."""
    lock = lock or init_lock(settings)
    if not lock.acquire():
        raise IndicesNotReady("another `sohoa init` holds the lock; try again when it is done")
    try:
        return _ensure_locked(client, settings, log, lock)
    finally:
        lock.release()


def _ensure_locked(client: Elasticsearch, settings: Settings, log: Log,
                   lock: redis.lock.Lock) -> dict[str, str]:
    result: dict[str, str] = {}
    replicas = replica_count(client)
    states = index_states(client, settings)
    for mapping in latest_mappings(settings.mappings_dir).values():
        alias = settings.index_name(mapping.name)
        if states[alias] == "missing":
            target = concrete_name(settings, mapping)
            _create(client, target, alias, mapping.body(), replicas)
            log(f"created {target} behind alias {alias}")
        elif states[alias] == "current":
            target = _aliased_indices(client, alias)[-1]
            log(f"{alias} is up to date ({target})")
        else:
            target = reindex(client, settings, mapping, UPGRADE_TRANSFORMS.get(mapping.name),
                             log=log, on_progress=lock.reacquire)
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
    log: Log = print,
    on_progress: Callable[[], object] = lambda: None,
) -> str:
    """Zero-downtime rebuild of one index into `mapping`, swapping the alias atomically.

    The caller holds the init lock. Writes may go on against the alias the whole time.
    """
    alias = settings.index_name(mapping.name)
    old_indices = _aliased_indices(client, alias)
    target = concrete_name(settings, mapping, _next_generation(client, settings, mapping))
    body = mapping.body()
    # Fast bulk load: no replicas and no refresh while copying; restored before the swap.
    load_settings = dict(body.get("settings", {}), refresh_interval="-1")
    _create(
        client, target, None, {"settings": load_settings, "mappings": body["mappings"]}, replicas=0
    )
    try:
        copied = _copy(client, old_indices, target, transform, on_progress)
        client.indices.put_settings(
            index=target,
            settings={
                "refresh_interval": body.get("settings", {}).get("refresh_interval", "1s"),
                "number_of_replicas": replica_count(client),
            },
        )
        swap = [{"add": {"index": target, "alias": alias, "is_write_index": True}}]
        swap += [{"remove": {"index": name, "alias": alias}} for name in old_indices]
        client.indices.update_aliases(actions=swap)
    except BaseException:
        # Not swapped yet: the alias still points at the old index; drop the half-built one.
        client.indices.delete(index=target, ignore_unavailable=True)
        raise
    # From here every write lands in `target`. What reached the old index while the first copy
    # ran (or was in flight at the swap) is copied now; the second pass picks up writes that were
    # in flight during the first. The old index is deleted only once both passes succeeded.
    for _ in range(2):
        client.indices.refresh(index=old_indices)
        copied += _copy(client, old_indices, target, transform, on_progress)
    client.indices.refresh(index=target)
    for name in old_indices:
        client.indices.delete(index=name)
    log(f"rebuilt {alias}: {copied} documents copied into {target}")
    return target


def _copy(client: Elasticsearch, sources: list[str], target: str,
          transform: Callable[[dict[str, Any]], dict[str, Any]] | None,
          on_progress: Callable[[], object]) -> int:
    """Copy every document of `sources` into `target` with its version as an external version:
    a document already in `target` at the same or a newer version is left alone (a copy never
    undoes a write that reached the new index first)."""

    def actions() -> Iterator[dict[str, Any]]:
        for hit in helpers.scan(client, index=sources, query={"query": {"match_all": {}}},
                                version=True):
            source = transform(hit["_source"]) if transform else hit["_source"]
            yield {"_index": target, "_id": hit["_id"], "_source": source,
                   "_version": hit["_version"], "_version_type": "external"}

    written = 0
    for ok, item in helpers.streaming_bulk(client, actions(), chunk_size=500,
                                           raise_on_error=False, max_retries=3):
        if ok:
            written += 1
        elif item.get("index", {}).get("status") != 409:  # 409: target already newer
            raise RuntimeError(f"copy into {target} failed: {item}")
        if written % 500 == 0:
            on_progress()
    return written


def drop_all(client: Elasticsearch, settings: Settings) -> None:
    """Delete every index of this deployment prefix (tests and `sohoa reset`)."""
    # Named index by index: a bare `<prefix>-*` would also match another deployment whose
    # prefix merely starts with ours.
    for name in latest_mappings(settings.mappings_dir):
        client.indices.delete(
            index=f"{settings.index_name(name)}-v*", expand_wildcards="all", ignore_unavailable=True
        )
