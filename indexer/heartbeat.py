"""Worker heartbeats in Redis: who is alive, and which jobs each one holds.

Each `sohoa worker` (Celery's main process, which holds every broker message its pool works
on) writes one key, `sohoa:<prefix>:worker:<node>`, every quarter of `SOHOA_HEARTBEAT_TTL`, with
that TTL. The value names the jobs it holds: running in a pool child (with the child's pid and
since when) or reserved (delivered, not started yet, e.g. waiting for a retry's countdown).
A worker that dies however it dies (SIGKILL, OOM, host reboot) stops refreshing, and its key
is gone within the TTL: the sweeper then knows its jobs are orphaned. A clean stop deletes it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import redis

from domain.clock import utc_now_iso
from indexer.intake import TASK_NAME
from indexer.job_states import Holder

log = logging.getLogger(__name__)


class RequestLike(Protocol):
    """What a heartbeat reads from a Celery worker request."""

    name: str
    args: Any
    worker_pid: int | None
    time_start: float | None


def key_prefix(index_prefix: str) -> str:
    return f"sohoa:{index_prefix}:worker:"


def worker_key(index_prefix: str, node: str) -> str:
    return key_prefix(index_prefix) + node


def held_entries(requests: Iterable[RequestLike], iso: Callable[[float], str]
                 ) -> list[dict[str, Any]]:
    """The sohoa jobs among a worker's requests, as the heartbeat lists them."""
    held = []
    for request in requests:
        args = list(request.args or [])
        if request.name != TASK_NAME or not args:
            continue
        started = getattr(request, "time_start", None)
        pid = getattr(request, "worker_pid", None)
        held.append({"job_id": str(args[0]),
                     "version": int(args[1]) if len(args) > 1 and args[1] is not None else None,
                     "state": "running" if started and pid else "reserved",
                     "pid": pid if started else None,
                     "since": iso(started) if started else None})
    return sorted(held, key=lambda entry: entry["job_id"])


def beat_record(node: str, started_at: str, held: list[dict[str, Any]], now: str
                ) -> dict[str, Any]:
    return {"worker": node, "host": socket.gethostname(), "pid": os.getpid(),
            "started_at": started_at, "beat_at": now, "held": held}


def is_running(beat: Mapping[str, Any] | None, holder: Holder, job_id: str) -> bool:
    """Does this heartbeat show `holder`'s pool child running `job_id`?"""
    if beat is None:
        return False
    return any(entry.get("job_id") == job_id and entry.get("state") == "running"
               and entry.get("pid") == holder.pid for entry in beat.get("held") or [])


def pid_alive(pid: int) -> bool:
    """Is there a process with this pid on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def holds(beat: Mapping[str, Any], job_id: str) -> bool:
    return any(entry.get("job_id") == job_id for entry in beat.get("held") or [])


def read_worker(client: redis.Redis, index_prefix: str, node: str) -> dict[str, Any] | None:
    raw = client.get(worker_key(index_prefix, node))
    return _decode(raw)


def live_workers(client: redis.Redis, index_prefix: str) -> dict[str, dict[str, Any]]:
    """Every worker of this deployment whose heartbeat has not lapsed, by node name."""
    keys = sorted(client.scan_iter(match=key_prefix(index_prefix) + "*", count=500))
    workers: dict[str, dict[str, Any]] = {}
    for raw in client.mget(keys) if keys else []:
        if (beat := _decode(raw)) is not None:
            workers[str(beat["worker"])] = beat
    return workers


def _decode(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) and value.get("worker") else None


class HeartbeatThread(threading.Thread):
    """Refreshes this worker's heartbeat until stopped; deletes it on a clean stop."""

    def __init__(self, client: redis.Redis, index_prefix: str, node: str, ttl_s: int,
                 every_s: float, requests: Callable[[], list[RequestLike]]) -> None:
        super().__init__(name="sohoa-heartbeat", daemon=True)
        self.client = client
        self.key = worker_key(index_prefix, node)
        self.node = node
        self.ttl_s = ttl_s
        self.every_s = every_s
        self.requests = requests
        self.started_at = utc_now_iso()
        self.stopping = threading.Event()
        self._failing = False

    def beat(self) -> None:
        held = held_entries(self.requests(), _iso_from_epoch)
        record = beat_record(self.node, self.started_at, held, utc_now_iso())
        self.client.set(self.key, json.dumps(record), ex=self.ttl_s)

    def run(self) -> None:
        while True:
            try:
                self.beat()
                if self._failing:
                    log.warning("heartbeat: Redis reachable again")
                self._failing = False
            except redis.RedisError as exc:
                # Redis down: the heartbeat lapses, which is right (nothing can be sent either);
                # say so once per outage, and keep trying.
                if not self._failing:
                    log.warning("heartbeat: cannot reach Redis (%s)", exc)
                self._failing = True
            except Exception:  # logged; a dead heartbeat would orphan every job
                log.exception("heartbeat: a beat failed; trying again")
            if self.stopping.wait(self.every_s):
                break

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.every_s + 5)
        try:
            self.client.delete(self.key)
        except redis.RedisError as exc:
            log.warning("heartbeat: could not delete %s (%s); it lapses in %ss", self.key, exc,
                        self.ttl_s)


def _iso_from_epoch(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds")
