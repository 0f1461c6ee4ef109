"""Backups: an Elasticsearch snapshot of one prefix's indices plus a copy of the stored originals.

The snapshot goes to a filesystem repository named `<prefix>-backups`, at a location relative to
the cluster's `path.repo` (local stack: `<stack dir>/snapshots`; production: `/snapshots`). The
originals are mirrored file by file into `<backup dir>/originals`: they are content-addressed, so
a file already copied never changes and each backup copies only what is new (like the snapshot,
which is incremental too). A small catalog JSON per backup names both halves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from domain.indices import latest_mappings, replica_count
from domain.settings import Settings
from indexer.storage import sha256_of


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class CopyStats:
    copied: int
    total: int
    bytes_copied: int


def repository_name(prefix: str) -> str:
    return f"{prefix}-backups"


def ensure_repository(client: Elasticsearch, prefix: str) -> str:
    name = repository_name(prefix)
    # A relative location lands under the cluster's path.repo, whatever that is on this host.
    client.snapshot.create_repository(name=name, repository={
        "type": "fs", "settings": {"location": prefix, "compress": True}})
    return name


def prefix_indices(client: Elasticsearch, settings: Settings) -> dict[str, str]:
    """alias → concrete index, for every sohoa index of this prefix that exists."""
    found: dict[str, str] = {}
    for name in latest_mappings(settings.mappings_dir):
        alias = settings.index_name(name)
        try:
            concrete = sorted(client.indices.get_alias(name=alias))
        except NotFoundError:
            continue
        if concrete:
            found[alias] = concrete[-1]
    return found


def mirror_files(source: Path, target: Path, *, check_hash: bool) -> CopyStats:
    """Copy every file of `source` missing (or of another size) in `target`; atomic per file."""
    copied = total = size = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        total += 1
        dest = target / path.relative_to(source)
        if dest.is_file() and dest.stat().st_size == path.stat().st_size:
            continue
        if check_hash and sha256_of(path) != path.name.split(".", 1)[0]:
            raise BackupError(f"{path} does not match its SHA-256 name; the backup copy is "
                              "damaged — not restoring it")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp, \
                path.open("rb") as src:
            shutil.copyfileobj(src, tmp, 1 << 20)
        os.replace(tmp.name, dest)
        copied += 1
        size += dest.stat().st_size
    return CopyStats(copied, total, size)


def _count(client: Elasticsearch, index: str) -> int:
    client.indices.refresh(index=index)
    return int(client.count(index=index)["count"])


def backup(settings: Settings, client: Elasticsearch, backup_dir: Path) -> dict[str, Any]:
    """Snapshot this prefix's indices, then mirror the originals; return the catalog."""
    indices = prefix_indices(client, settings)
    if not indices:
        raise BackupError(f"no indices for prefix {settings.index_prefix!r}; nothing to back up")
    repository = ensure_repository(client, settings.index_prefix)
    name = f"{settings.index_prefix}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S-%f}"
    documents = {alias: _count(client, index) for alias, index in indices.items()}
    response = client.snapshot.create(
        repository=repository, snapshot=name, indices=",".join(indices.values()),
        include_global_state=False, wait_for_completion=True,
        metadata={"sohoa_prefix": settings.index_prefix, "aliases": indices})
    info = response["snapshot"]
    if info["state"] != "SUCCESS" or info["shards"]["failed"]:
        raise BackupError(f"snapshot {name} ended {info['state']} with "
                          f"{info['shards']['failed']} failed shard(s)")
    stats = mirror_files(settings.originals_dir, backup_dir / "originals", check_hash=False) \
        if settings.originals_dir.is_dir() else CopyStats(0, 0, 0)
    catalog = {"snapshot": name, "repository": repository, "prefix": settings.index_prefix,
               "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "indices": indices, "documents": documents,
               "originals": {"files": stats.total, "copied": stats.copied,
                             "bytes_copied": stats.bytes_copied}}
    (backup_dir / "catalog").mkdir(parents=True, exist_ok=True)
    (backup_dir / "catalog" / f"{name}.json").write_text(json.dumps(catalog, indent=2))
    return catalog


def list_catalogs(backup_dir: Path) -> list[dict[str, Any]]:
    files = sorted((backup_dir / "catalog").glob("*.json"))
    return sorted((json.loads(p.read_text()) for p in files), key=lambda c: c["created_at"])


def _find_catalog(backup_dir: Path, snapshot: str | None, prefix: str) -> dict[str, Any]:
    catalogs = [c for c in list_catalogs(backup_dir) if snapshot in (None, c["snapshot"])]
    if snapshot is None:
        catalogs = [c for c in catalogs if c["prefix"] == prefix]
    if not catalogs:
        what = f"snapshot {snapshot}" if snapshot else f"a backup of prefix {prefix!r}"
        raise BackupError(f"no catalog for {what} in {backup_dir / 'catalog'}")
    return catalogs[-1]


def _clear_targets(client: Elasticsearch, targets: dict[str, str], force: bool) -> None:
    """Delete what stands where the restored indices go; refuse to drop data without force."""
    doomed: dict[str, int] = {}
    for alias, concrete in targets.items():
        names = set()
        for pattern in (alias, concrete):
            try:
                names |= set(client.indices.get(index=pattern, expand_wildcards="all"))
            except NotFoundError:
                continue
        doomed.update({n: _count(client, n) for n in names})
    holding = {n: c for n, c in doomed.items() if c}
    if holding and not force:
        listing = ", ".join(f"{n} ({c} docs)" for n, c in sorted(holding.items()))
        raise BackupError(f"these indices hold documents: {listing}; "
                          "restore replaces them only with --force")
    for name in doomed:
        client.indices.delete(index=name)


def restore(settings: Settings, client: Elasticsearch, backup_dir: Path,
            snapshot: str | None = None, *, force: bool = False) -> dict[str, Any]:
    """Restore a backup into this prefix (renaming when it was taken under another prefix)."""
    catalog = _find_catalog(backup_dir, snapshot, settings.index_prefix)
    old, new = catalog["prefix"], settings.index_prefix
    repository = ensure_repository(client, old)
    renamed = {new + alias[len(old):]: new + concrete[len(old):]
               for alias, concrete in catalog["indices"].items()}
    _clear_targets(client, renamed, force)
    extra: dict[str, Any] = {}
    if old != new:
        extra = {"rename_pattern": f"^{re.escape(old)}-(.*)$", "rename_replacement": f"{new}-$1"}
    client.snapshot.restore(
        repository=repository, snapshot=catalog["snapshot"],
        indices=",".join(catalog["indices"].values()), include_aliases=False,
        include_global_state=False, wait_for_completion=True,
        index_settings={"index.number_of_replicas": replica_count(client)}, **extra)
    client.indices.update_aliases(actions=[
        {"add": {"index": concrete, "alias": alias, "is_write_index": True}}
        for alias, concrete in renamed.items()])
    client.cluster.health(index=",".join(renamed.values()), wait_for_status="yellow",
                          timeout="60s")
    started = time.monotonic()
    stats = mirror_files(backup_dir / "originals", settings.originals_dir, check_hash=True) \
        if (backup_dir / "originals").is_dir() else CopyStats(0, 0, 0)
    return {"snapshot": catalog["snapshot"], "from_prefix": old, "to_prefix": new,
            "indices": renamed,
            "documents": {alias: _count(client, alias) for alias in renamed},
            "originals": {"restored": stats.copied, "present": stats.total - stats.copied,
                          "seconds": round(time.monotonic() - started, 1)}}
