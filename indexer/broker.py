"""Reading kombu's Redis transport: which jobs have a message waiting or delivered.

kombu keeps waiting messages in one list per queue (and per priority step) and delivered but
unacknowledged ones in the `unacked` hash (delivery tag → [message, exchange, routing key]),
with the delivery time in the `unacked_index` sorted set. Read only: sohoa never edits them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from indexer.intake import TASK_NAME

_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
_UNACKED_KEY = "unacked"
_UNACKED_INDEX = "unacked_index"
_PAGE = 500


@dataclass(frozen=True)
class Delivery:
    """A message delivered to some worker and not acknowledged yet."""

    tag: str
    job_id: str
    version: int | None
    delivered_at: float  # epoch seconds


def task_args(message: Mapping[str, Any]) -> list[Any] | None:
    """The positional arguments of a raw kombu message if it is a `sohoa.process_record` task."""
    headers = message.get("headers") or {}
    if headers.get("task") != TASK_NAME:
        return None
    body = message.get("body")
    if not isinstance(body, str):
        return None
    try:
        if (message.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8")
        args = json.loads(body)[0]
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    return list(args) if isinstance(args, list) and args else None


def job_id_of(message: Mapping[str, Any]) -> str | None:
    args = task_args(message)
    return str(args[0]) if args else None


def version_of(message: Mapping[str, Any]) -> int | None:
    args = task_args(message)
    if not args or len(args) < 2 or args[1] is None:
        return None
    try:
        return int(args[1])
    except (TypeError, ValueError):
        return None


def _queue_messages(client: redis.Redis, queue: str) -> Iterator[bytes]:
    # Oldest first: kombu pushes on the left and pops on the right, and the jobs we look for
    # are the old ones, so a scan that stops once all are found reads little of a long backlog.
    for key in [queue, *(f"{queue}{_PRIORITY_SEP}{step}" for step in _PRIORITY_STEPS)]:
        end = -1
        while page := client.lrange(key, end - _PAGE + 1, end):
            yield from reversed(page)
            end -= _PAGE


def _unacked(client: redis.Redis) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(delivery tag, message, routing key) of every unacknowledged message in this Redis."""
    for tag, value in client.hscan_iter(_UNACKED_KEY, count=_PAGE):
        try:
            message, _exchange, routing_key = json.loads(value)
        except (ValueError, TypeError):
            continue
        if isinstance(message, dict):
            name = tag.decode() if isinstance(tag, bytes) else str(tag)
            yield name, message, str(routing_key)


def _messages(client: redis.Redis, queue: str) -> Iterator[dict[str, Any]]:
    for _tag, message, _key in _unacked(client):
        yield message
    for raw in _queue_messages(client, queue):
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict):
            yield message


def broker_job_ids(client: redis.Redis, queue: str, wanted: set[str] | None = None) -> set[str]:
    """Job ids with a message in the broker: delivered and unacked, or waiting in `queue`.

    With `wanted`, the scan stops as soon as all of those are found.
    """
    found: set[str] = set()
    for message in _messages(client, queue):
        if job_id := job_id_of(message):
            found.add(job_id)
            if wanted is not None and wanted <= found:
                break
    return found


def deliveries(client: redis.Redis, queue: str) -> list[Delivery]:
    """This queue's delivered-unacknowledged sohoa messages, with their delivery times."""
    found = [(tag, message) for tag, message, key in _unacked(client) if key == queue]
    found = [(tag, message) for tag, message in found if job_id_of(message)]
    if not found:
        return []
    pipe = client.pipeline(transaction=False)
    for tag, _message in found:
        pipe.zscore(_UNACKED_INDEX, tag)
    scores = pipe.execute()
    return [Delivery(tag, str(job_id_of(message)), version_of(message), float(score))
            for (tag, message), score in zip(found, scores, strict=True) if score is not None]
