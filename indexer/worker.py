"""A worker's runtime around Celery: heartbeat, sweeper and graceful stop, wired to Celery's
worker signals. Only `sohoa worker` installs it; senders (the web app) never do."""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from celery import Celery
from celery.signals import (
    worker_ready,
    worker_shutdown,
    worker_shutting_down,
)

from domain.settings import Settings
from indexer.celery_app import make_celery
from indexer.heartbeat import HeartbeatThread, RequestLike
from indexer.shutdown import stop_after_grace
from indexer.sweeper import SweeperThread, sweeper_config

log = logging.getLogger(__name__)


def make_worker_app(settings: Settings) -> Celery:
    celery = make_celery(settings)
    install_worker_runtime()
    return celery


def worker_requests() -> list[RequestLike]:
    """The requests this worker holds (waiting for a countdown, reserved or running), read
    from Celery's state: its `requests` map holds each once, until it is finished."""
    from celery.worker import state

    for _ in range(5):
        try:  # the consumer thread may add one while we copy: just copy again
            return list(state.requests.values())
        except RuntimeError:
            continue
    return []


def _busy_pids() -> list[int]:
    """Pool children running a job now."""
    return sorted({r.worker_pid for r in worker_requests()
                   if getattr(r, "time_start", None) and getattr(r, "worker_pid", None)})


class _Runtime:
    """The threads one worker's main process runs beside Celery's consumer."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.beat: HeartbeatThread | None = None
        self.sweeper: SweeperThread | None = None
        self.done = threading.Event()

    def start(self, settings: Settings, node: str) -> None:
        if self.settings is not None:
            return
        self.settings = settings
        broker = redis.Redis.from_url(settings.redis_url, socket_timeout=5,
                                      socket_connect_timeout=3)
        self.beat = HeartbeatThread(broker, settings.index_prefix, node, settings.heartbeat_ttl_s,
                                    settings.heartbeat_every_s, worker_requests)
        self.sweeper = SweeperThread(settings, sweeper_config(settings))
        self.beat.start()
        self.sweeper.start()
        log.info("worker %s: heartbeat every %ss (ttl %ss); sweeper liveness every %ss, age "
                 "every %ss (stuck after %ss)", node, settings.heartbeat_every_s,
                 settings.heartbeat_ttl_s, settings.liveness_every_s, settings.sweep_every_s,
                 settings.stuck_after_s)

    def stopping(self) -> None:
        """Warm shutdown began: running jobs get the grace, then are handed back."""
        if self.settings is not None:
            stop_after_grace(_busy_pids, self.settings.stop_grace_s, self.done)

    def stop(self) -> None:
        self.done.set()
        if self.sweeper is not None:
            self.sweeper.stopping.set()
        if self.beat is not None:
            self.beat.stop()  # last: the jobs it listed are finished or handed back by now


_runtime = _Runtime()


def _settings_of(sender: Any) -> Settings | None:
    return getattr(getattr(getattr(sender, "app", None), "conf", None), "sohoa_settings", None)


def _on_ready(sender: Any = None, **_kwargs: Any) -> None:
    if (settings := _settings_of(sender)) is not None:
        _runtime.start(settings, str(sender.hostname))


def _on_shutting_down(how: str = "", **_kwargs: Any) -> None:
    if how == "Warm":
        _runtime.stopping()


def _on_shutdown(**_kwargs: Any) -> None:
    _runtime.stop()


def install_worker_runtime() -> None:
    """Connect the runtime to Celery's worker signals (idempotent)."""
    worker_ready.connect(_on_ready, weak=False, dispatch_uid="sohoa-worker-ready")
    worker_shutting_down.connect(_on_shutting_down, weak=False,
                                 dispatch_uid="sohoa-worker-shutting-down")
    worker_shutdown.connect(_on_shutdown, weak=False, dispatch_uid="sohoa-worker-shutdown")
