"""The Celery application: Redis broker, late acknowledgement, one queue per deployment prefix.

This is all a sender needs (the web app, `sohoa ingest`); a worker adds its runtime (heartbeat,
sweeper, graceful stop) with `indexer.worker.make_worker_app`.
"""

from __future__ import annotations

from celery import Celery

from domain.settings import Settings


def make_celery(settings: Settings) -> Celery:
    celery = Celery("sohoa", broker=settings.redis_url, backend=settings.redis_url,
                    include=["indexer.tasks"])
    visibility_timeout = settings.visibility_timeout_s
    celery.conf.update(
        task_default_queue=settings.celery_queue,
        # Acknowledge only after the work is done; a worker lost mid-task means redelivery.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # OCR tasks are long: never hoard messages another idle worker could take.
        worker_prefetch_multiplier=1,
        # An unacknowledged message comes back after this long (kombu's Redis transport). The
        # sweeper re-queues a dead worker's jobs long before (heartbeats); this is the backstop.
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            # Look for abandoned messages often enough that one comes back soon after the
            # visibility timeout (kombu's default scan period is 100 s).
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 4)),
            "unacked_restore_throttle": 1,
        },
        result_expires=24 * 3600,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    celery.conf.sohoa_settings = settings
    return celery
