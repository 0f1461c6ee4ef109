"""Graceful stop: in-flight jobs finish within `SOHOA_STOP_GRACE`, or go back to the queue.

- In each pool child, SIGTERM (or SIGINT) arriving while a job runs raises `WorkerStopping`
  in the job (the handler is installed for the job's duration only: between jobs, billiard's
  own handlers stay in charge); the task hands the job back and rejects its message with
  requeue, so it is at the head of the queue before the worker exits. A signal to the whole
  process group (Ctrl-C, systemd, `kill -- -PGID`) also kills Tesseract, so the job is handed
  back at once rather than failed for a Tesseract that died of the same signal.
- In the main process, a warm shutdown (SIGTERM to the worker alone, as docker/compose send
  it) lets running jobs finish for `SOHOA_STOP_GRACE` seconds, then signals the children still
  busy, which hand their jobs back; one that does not answer is killed a little later (Celery
  then requeues its message: `task_reject_on_worker_lost`).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

log = logging.getLogger(__name__)

# After the grace, a child that ignored SIGTERM this long is killed outright.
KILL_AFTER_S = 10


class WorkerStopping(BaseException):
    """The worker is stopping: give the running job back. A BaseException, so that no
    `except Exception` on the way turns it into a failed job."""


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_running: list[str] = []
_finishing: list[str] = []


@contextmanager
def interruptible(job_id: str) -> Iterator[None]:
    """While inside, a stop signal interrupts this job (instead of killing the process)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread (a threaded pool: no interruption)
        return
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in _STOP_SIGNALS}
    _running.append(job_id)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _running.remove(job_id)


@contextmanager
def finishing(job_id: str) -> Iterator[None]:
    """While inside, the job writes and records its result: a stop signal waits for that.

    Handing a job back once its record is written would run it a second time (which then
    writes nothing and says so). The write is one request; the worker's main process still
    stops the pool once the job is recorded.
    """
    _finishing.append(job_id)
    try:
        yield
    finally:
        _finishing.remove(job_id)


def _on_stop_signal(signum: int, _frame: FrameType | None) -> None:
    if _finishing:
        log.info("%s while job %s records its result: finishing it first",
                 signal.Signals(signum).name, _finishing[-1])
        return
    if _running:
        raise WorkerStopping(f"{signal.Signals(signum).name} while running job {_running[-1]}")


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop_after_grace(busy_pids: Callable[[], list[int]], grace_s: float,
                     done: threading.Event) -> threading.Thread:
    """Start a timer: after `grace_s`, ask busy children to hand back; kill stragglers later."""
    def run() -> None:
        if done.wait(grace_s):
            return
        pids = busy_pids()
        if pids:
            log.warning("stopping: %d job(s) still running after %ss; handing them back",
                        len(pids), grace_s)
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        if done.wait(KILL_AFTER_S):
            return
        for pid in busy_pids():
            log.warning("stopping: pool child %s did not hand back; killing it", pid)
            _signal(pid, signal.SIGKILL)

    thread = threading.Thread(target=run, name="sohoa-stop-grace", daemon=True)
    thread.start()
    return thread
