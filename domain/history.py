"""Every state of a record is kept: the versions store, and the one way a record is written.

`commit` is a compare-and-swap on the results document (`if_seq_no`/`if_primary_term`): it
reads the record, lets the caller build the new state, and writes it only if nobody wrote in
between. Every writer goes through it — the ingest worker, officers' edits, reviews,
withdrawals — so no write is lost and each one becomes exactly one version. The record's
`version` counter (1, 2, 3…) is what the API exposes; the history index holds one document per
version, created with `op_type=create` under `<result_id>#<version>` so a version can never be
written twice.

The document is written first, its history entry right after. A crash or a lost connection in
between leaves a record one version ahead of its history; the next `commit` on that record (the
ingest's retry, or any later write) first writes the missing entry back (`_catch_up`): its
changes from the history's own replay against the record, its author from the record's
`written_by`. Until then `sohoa verify` reports the gap. A reader that steps in while a live
writer is between its two writes rebuilds the same entry; the writer's own then replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, helpers

from domain.changes import SOURCES, apply_changes, diff, replay
from domain.clock import utc_now_iso
from domain.settings import Settings

MAX_ATTEMPTS = 50  # writers that retry (ingest) give up after this many lost races
_PAGE = 500


class StaleVersion(Exception):
    """The record changed since the version the caller saw."""

    def __init__(self, current: int | None) -> None:
        super().__init__(f"the record is now at version {current}")
        self.current = current


class RecordMissing(LookupError):
    """No record with that result_id."""


@dataclass(frozen=True)
class Who:
    by: str
    source: str
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown version source {self.source!r}")


@dataclass(frozen=True)
class Commit:
    doc: dict[str, Any]
    entry: dict[str, Any] | None  # None: nothing changed, no version written


# Builds the new state from the current one (None: no such record); returns None to write nothing.
Mutation = Callable[[dict[str, Any] | None], dict[str, Any] | None]


def entry_id(result_id: str, version: int) -> str:
    return f"{result_id}#{version}"


class HistoryStore:
    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("history")

    def add(self, entry: dict[str, Any], refresh: str | bool = False) -> None:
        self.client.index(index=self.index, id=entry_id(entry["result_id"], entry["version"]),
                          document=entry, op_type="create", refresh=refresh)

    def add_as_writer(self, entry: dict[str, Any], refresh: str | bool = False) -> None:
        """The writer's own entry of the version it just wrote. A reader's `_catch_up` may have
        rebuilt it from the record in between the two writes: the writer's replaces that one
        (the same changes and author, but not marked recovered)."""
        try:
            self.add(entry, refresh=refresh)
        except ConflictError:
            found = self.client.get(index=self.index,
                                    id=entry_id(entry["result_id"], entry["version"]))
            if not found["_source"].get("recovered"):
                raise
            self.client.index(index=self.index, id=found["_id"], document=entry,
                              if_seq_no=found["_seq_no"],
                              if_primary_term=found["_primary_term"], refresh=refresh)

    def has(self, result_id: str, version: int) -> bool:
        return bool(self.client.exists(index=self.index, id=entry_id(result_id, version)))

    def versions(self, result_id: str) -> list[dict[str, Any]]:
        """Every version of one record, newest first."""
        hits = helpers.scan(self.client, index=self.index, preserve_order=True,
                            query={"query": {"term": {"result_id": result_id}},
                                   "sort": [{"version": "desc"}]})
        return [hit["_source"] for hit in hits]

    def versions_of(self, result_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Versions of many records at once (for `sohoa verify`), each list unordered."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not self.client.indices.exists(index=self.index):
            return found  # never created (or lost): every versioned record shows as off
        self.client.indices.refresh(index=self.index)  # ingest writes without waiting
        ids = sorted(set(result_ids))
        for start in range(0, len(ids), _PAGE):
            query = {"query": {"terms": {"result_id": ids[start:start + _PAGE]}}}
            for hit in helpers.scan(self.client, index=self.index, query=query):
                found.setdefault(hit["_source"]["result_id"], []).append(hit["_source"])
        return found


def _read(client: Elasticsearch, index: str, result_id: str
          ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    try:
        got = client.get(index=index, id=result_id)
    except NotFoundError:
        return None, {"op_type": "create"}
    return got["_source"], {"if_seq_no": got["_seq_no"], "if_primary_term": got["_primary_term"]}


def current_version(doc: Mapping[str, Any] | None) -> int:
    return int((doc or {}).get("version") or 0)


def make_entry(result_id: str, version: int, who: Who, changes: dict[str, Any], at: str
               ) -> dict[str, Any]:
    return {"result_id": result_id, "version": version, "at": at, "by": who.by,
            "source": who.source, "reason": who.reason, "changes": changes}


def missing_entry(result_id: str, current: Mapping[str, Any],
                  earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry of the record's current version rebuilt from the record and the entries of
    its earlier versions: what the history replays to, against what the record holds."""
    writer = current.get("written_by") or {}  # absent on records written before it was kept
    who = Who(str(writer.get("by") or "unknown"), str(writer.get("source") or "ingest"),
              writer.get("reason"))
    entry = make_entry(result_id, current_version(current), who, diff(replay(earlier), current),
                       str(current.get("updated_at") or utc_now_iso()))
    return entry | {"recovered": True}


def _catch_up(client: Elasticsearch, settings: Settings, result_id: str,
              current: Mapping[str, Any] | None) -> None:
    """Write the current version's entry if a crash kept it from the history (see above)."""
    version = current_version(current)
    store = HistoryStore(client, settings)
    if current is None or version == 0 or store.has(result_id, version):
        return
    client.indices.refresh(index=store.index)  # the earlier entries may be written unrefreshed
    earlier = [v for v in store.versions(result_id) if v["version"] < version]
    with suppress(ConflictError):  # another writer caught up first: the entry is there
        store.add(missing_entry(result_id, current, earlier), refresh=True)


def commit(client: Elasticsearch, settings: Settings, result_id: str, mutate: Mutation,
           who: Who, *, expected_version: int | None = None,
           record_unchanged: bool = False, refresh: str | bool = "wait_for") -> Commit | None:
    """Write `mutate(current)` as the record's next version, if nobody wrote in between.

    With `expected_version` a lost race raises StaleVersion (the caller saw an older state);
    without it (the ingest worker) the mutation is re-run on the newer state. Returns None when
    `mutate` declines to write; a Commit without entry when nothing would change (unless
    `record_unchanged`: a re-ingest is a version even when it brings nothing new). `refresh`
    "wait_for" (the default) makes the change visible to search before this returns; the
    ingest worker passes False (the refresh interval is enough, and waiting would slow it).
    """
    index = settings.index_name("results")
    for attempt in range(MAX_ATTEMPTS):
        current, guard = _read(client, index, result_id)
        if attempt == 0:
            _catch_up(client, settings, result_id, current)
        # A missing record is the mutation's to report (RecordMissing), not a stale version.
        if (expected_version is not None and current is not None
                and current_version(current) != expected_version):
            raise StaleVersion(current_version(current))
        new = mutate(current)
        if new is None:
            return None
        changes = diff(current, new)
        if not changes and not record_unchanged and current is not None:
            return Commit(current, None)
        at = utc_now_iso()
        version = current_version(current) + 1
        doc = {**new, "result_id": result_id, "version": version, "updated_at": at,
               "written_by": asdict(who)}
        try:
            client.index(index=index, id=result_id, document=doc, refresh=refresh, **guard)
        except ConflictError:
            if expected_version is not None:
                raise StaleVersion(None) from None
            continue
        entry = make_entry(result_id, version, who, changes, at)
        # The small history index is refreshed at once rather than waited for: a second wait
        # would double the latency of an edit, and its history is read right after.
        HistoryStore(client, settings).add_as_writer(
            entry, refresh=True if refresh == "wait_for" else refresh)
        return Commit(doc, entry)
    raise RuntimeError(f"{result_id}: lost {MAX_ATTEMPTS} write races in a row; try again")


def record_version(client: Elasticsearch, settings: Settings, result_id: str,
                   changes: Mapping[str, Any], who: Who, *,
                   expected_version: int | None = None) -> Commit:
    """Apply already-validated field `changes` as one version (search fields rebuilt).

    The entry point for other writers (review confirmation: `Who(user, "review", reason)`);
    validate first with `domain.changes.validate_changes`. RecordMissing when there is no
    such record, StaleVersion when `expected_version` is given and outdated.
    """
    def mutate(current: dict[str, Any] | None) -> dict[str, Any]:
        if current is None:
            raise RecordMissing(result_id)
        return apply_changes(current, changes)

    done = commit(client, settings, result_id, mutate, who, expected_version=expected_version)
    if done is None:  # cannot happen: this mutation always writes or raises
        raise RecordMissing(result_id)
    return done
