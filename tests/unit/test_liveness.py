"""Liveness, pure: the job state machine, heartbeat contents, orphan rules, the operator view,
and that only a worker (never the web app) wires the worker runtime to Celery's signals."""

from __future__ import annotations

import datetime as dt
import os
import signal
from types import SimpleNamespace
from typing import Any

import pytest

from domain.settings import Settings, SettingsError, load_settings
from indexer.broker import Delivery, version_of
from indexer.heartbeat import held_entries, holds, is_running
from indexer.job_states import (
    HISTORY_LIMIT,
    Claim,
    Holder,
    decide_claim,
    owns,
    same_dispatch,
    with_event,
)
from indexer.jobs_view import build_view
from indexer.liveness import delivery_orphan, find_orphans, heartbeats_trusted, running_orphan
from indexer.shutdown import WorkerStopping, interruptible

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
ME = Holder("celery@w1", 101)
OTHER = Holder("celery@w2", 202)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _job(state: str = "queued", version: int = 7, holder: Holder | None = None,
         updated: dt.datetime = NOW - dt.timedelta(minutes=5), **extra: Any) -> dict[str, Any]:
    job = {"job_id": "j1", "result_id": "R1", "state": state, "updated_at": _iso(updated),
           "task_payload": {"ingest_version": version}, **extra}
    if holder is not None:
        job.update(worker=holder.worker, worker_pid=holder.pid, started_at=_iso(updated))
    return job


def _beat(worker: str, *held: dict[str, Any], at: dt.datetime = NOW) -> dict[str, Any]:
    return {"worker": worker, "beat_at": _iso(at), "started_at": _iso(at - dt.timedelta(hours=1)),
            "host": "h", "pid": 1, "held": list(held)}


def _running(job_id: str, pid: int) -> dict[str, Any]:
    return {"job_id": job_id, "state": "running", "pid": pid, "since": _iso(NOW)}


def never(_holder: Holder, _job_id: str) -> bool:
    return False


def always(_holder: Holder, _job_id: str) -> bool:
    return True


def test_a_stale_or_duplicate_delivery_does_not_run() -> None:
    assert decide_claim(_job(), 6, ME, never) is Claim.STALE     # re-queued since it was sent
    assert decide_claim(_job("done"), 7, ME, never) is Claim.FINISHED
    assert decide_claim(_job("failed"), 7, ME, never) is Claim.FINISHED
    assert decide_claim(_job("done"), 6, ME, never) is Claim.STALE
    # Another live process runs this very dispatch: a duplicate, left to it.
    assert decide_claim(_job("running", holder=OTHER), 7, ME, always) is Claim.HELD


def test_the_current_delivery_runs_and_takes_over_from_a_dead_holder() -> None:
    assert decide_claim(_job(), 7, ME, never) is Claim.RUN
    assert decide_claim(_job(), None, ME, never) is Claim.RUN  # a message from before versions
    assert decide_claim(_job("running", holder=OTHER), 7, ME, never) is Claim.RUN
    assert decide_claim(_job("running", holder=ME), 7, ME, always) is Claim.RUN  # own retry


def test_only_the_holder_of_the_current_dispatch_records_an_outcome() -> None:
    assert owns(_job("running", holder=ME), 7, ME)
    assert not owns(_job("running", holder=ME), 6, ME)      # re-queued meanwhile
    assert not owns(_job("running", holder=OTHER), 7, ME)   # taken over
    assert not owns(_job("queued"), 7, ME)                  # handed back or re-queued


def test_history_appends_and_keeps_the_newest() -> None:
    job = {"history": [{"event": str(n)} for n in range(HISTORY_LIMIT)]}
    history = with_event(job, {"event": "last"})
    assert len(history) == HISTORY_LIMIT
    assert history[-1] == {"event": "last"} and history[0] == {"event": "1"}
    assert with_event({}, {"event": "queued"}) == [{"event": "queued"}]


def test_same_dispatch_notices_any_change() -> None:
    judged = _job("running", holder=OTHER)
    assert same_dispatch(dict(judged), judged)
    assert not same_dispatch({**judged, "state": "done"}, judged)
    assert not same_dispatch(_job("running", version=8, holder=OTHER), judged)
    assert not same_dispatch(_job("running", holder=ME), judged)


def test_heartbeat_lists_sohoa_jobs_running_or_reserved() -> None:
    requests = [
        SimpleNamespace(name="sohoa.process_record", args=["j1", 7], worker_pid=101,
                        time_start=NOW.timestamp()),
        SimpleNamespace(name="sohoa.process_record", args=["j2", 8], worker_pid=None,
                        time_start=None),
        SimpleNamespace(name="other.task", args=["x"], worker_pid=5, time_start=1.0),
        SimpleNamespace(name="sohoa.process_record", args=["j3"], worker_pid=None,
                        time_start=None),
    ]
    held = held_entries(requests, lambda t: dt.datetime.fromtimestamp(t, dt.UTC).isoformat())
    assert held == [
        {"job_id": "j1", "version": 7, "state": "running", "pid": 101,
         "since": NOW.isoformat()},
        {"job_id": "j2", "version": 8, "state": "reserved", "pid": None, "since": None},
        {"job_id": "j3", "version": None, "state": "reserved", "pid": None, "since": None},
    ]
    beat = _beat(ME.worker, *held)
    assert is_running(beat, ME, "j1") and not is_running(beat, ME, "j2")
    assert not is_running(beat, Holder(ME.worker, 999), "j1") and not is_running(None, ME, "j1")
    assert holds(beat, "j2") and not holds(beat, "j9")


def test_a_running_job_is_orphaned_when_its_holder_is_gone() -> None:
    job = _job("running", holder=OTHER)
    assert "stopped beating" in running_orphan(job, {}, 10)
    assert running_orphan(job, {OTHER.worker: _beat(OTHER.worker, _running("j1", 202))}, 10) \
        is None
    # Alive, beating long after the claim, yet not listing it: the job was dropped.
    assert "no longer holds" in running_orphan(job, {OTHER.worker: _beat(OTHER.worker)}, 10)
    # A beat from right after the claim may not list it yet.
    fresh = _job("running", holder=OTHER, updated=NOW - dt.timedelta(seconds=3))
    assert running_orphan(fresh, {OTHER.worker: _beat(OTHER.worker)}, 10) is None
    # Its retry waits (countdown) on another worker: not orphaned.
    retry = {"job_id": "j1", "state": "reserved", "pid": None, "since": None}
    assert running_orphan(job, {ME.worker: _beat(ME.worker, retry)}, 10) is None


def test_slow_and_old_jobs_are_not_orphans() -> None:
    slow = _job("running", holder=OTHER, updated=NOW - dt.timedelta(hours=3))
    assert running_orphan(slow, {OTHER.worker: _beat(OTHER.worker, _running("j1", 202))}, 10) \
        is None
    legacy = _job("running", updated=NOW - dt.timedelta(hours=3))  # no holder recorded
    assert running_orphan(legacy, {}, 10) is None
    assert running_orphan(_job("done", holder=OTHER), {}, 10) is None


def _delivery(version: int | None = 7, age_s: float = 60) -> Delivery:
    return Delivery("tag-1", "j1", version, (NOW - dt.timedelta(seconds=age_s)).timestamp())


def test_a_delivered_message_nobody_holds_is_an_orphan() -> None:
    assert "worker that is gone" in delivery_orphan(_job(), _delivery(), {}, NOW, 20)
    held = {ME.worker: _beat(ME.worker, {"job_id": "j1", "state": "reserved"})}
    assert delivery_orphan(_job(), _delivery(), held, NOW, 20) is None
    assert delivery_orphan(_job(), _delivery(age_s=5), {}, NOW, 20) is None  # just delivered
    assert delivery_orphan(_job(), _delivery(version=6), {}, NOW, 20) is None  # stale copy
    assert delivery_orphan(_job("done"), _delivery(), {}, NOW, 20) is None
    # Without a version: only when the job did not change after the delivery.
    changed = _job(updated=NOW - dt.timedelta(seconds=10))
    assert delivery_orphan(changed, _delivery(version=None), {}, NOW, 20) is None
    assert delivery_orphan(_job(), _delivery(version=None, age_s=30), {}, NOW, 20) is not None


def test_find_orphans_reports_each_job_once() -> None:
    jobs = {"j1": _job("running", holder=OTHER), "j2": {**_job(), "job_id": "j2"}}
    delivered = [_delivery(), Delivery("tag-2", "j2", 7, (NOW - dt.timedelta(minutes=1))
                                       .timestamp())]
    orphans = find_orphans(jobs, delivered, {}, NOW, 20)
    assert set(orphans) == {"j1", "j2"}
    assert "stopped beating" in orphans["j1"]


def test_heartbeats_are_trusted_once_redis_has_been_up_a_lifetime() -> None:
    assert not heartbeats_trusted(5, 20)
    assert heartbeats_trusted(20, 20)


def test_the_message_version_is_read_back() -> None:
    import base64
    import json

    def message(args: list[Any]) -> dict[str, Any]:
        body = base64.b64encode(json.dumps([args, {}, {}]).encode()).decode()
        return {"body": body, "headers": {"task": "sohoa.process_record"},
                "properties": {"body_encoding": "base64"}}

    assert version_of(message(["j1", 17])) == 17
    assert version_of(message(["j1"])) is None
    assert version_of(message(["j1", "x"])) is None


def test_operator_view_shows_where_since_when_and_orphans() -> None:
    running = _job("running", holder=OTHER, updated=NOW - dt.timedelta(seconds=90))
    jobs = {"j1": running, "j2": {**_job(), "job_id": "j2"}}
    workers = {ME.worker: _beat(ME.worker, _running("j9", 101))}
    view = build_view(jobs, {"j1": "its worker celery@w2 stopped beating"}, workers, 4, 3, NOW)
    assert view["orphaned"] == 1 and view["queued"] == 4 and view["waiting_in_redis"] == 3
    assert [w["worker"] for w in view["workers"]] == [ME.worker]
    assert view["workers"][0]["running"] == 1
    (row,) = view["jobs"]  # the queued job that nobody holds is not listed as running
    assert (row["job_id"], row["worker"], row["pid"], row["running_s"], row["orphaned"]) == \
        ("j1", OTHER.worker, OTHER.pid, 90, True)


def test_liveness_settings_from_the_environment() -> None:
    settings = load_settings({})
    assert (settings.heartbeat_ttl_s, settings.stop_grace_s) == (20, 8)
    assert settings.liveness_every_s == 10 and settings.heartbeat_every_s == 5
    tuned = load_settings({"SOHOA_HEARTBEAT_TTL": "8", "SOHOA_STOP_GRACE": "30"})
    assert (tuned.heartbeat_ttl_s, tuned.liveness_every_s, tuned.stop_grace_s) == (8, 4, 30)
    for name in ("SOHOA_HEARTBEAT_TTL", "SOHOA_STOP_GRACE"):
        with pytest.raises(SettingsError, match=name):
            load_settings({name: "soon"})


def test_a_stop_signal_interrupts_the_running_job_only() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with pytest.raises(WorkerStopping, match="SIGTERM while running job j1"), \
            interruptible("j1"):
        os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(WorkerStopping, match="SIGINT while running job j2"), \
            interruptible("j2"):
        os.kill(os.getpid(), signal.SIGINT)
    # Outside a job the process's own handlers are back.
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def _worker_signals() -> tuple[Any, ...]:
    from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

    return worker_ready, worker_shutting_down, worker_shutdown


def _sohoa_receivers() -> set[str]:
    keys = [key for sig in _worker_signals() for key, _receiver in sig.receivers]
    return {key[0] for key in keys if isinstance(key[0], str) and key[0].startswith("sohoa-")}


def test_only_a_worker_wires_the_runtime_to_celery_signals() -> None:
    from tests.support.apps import make_app

    make_app(Settings())
    assert _sohoa_receivers() == set()  # the web app only sends tasks
    from indexer.worker import make_worker_app

    make_worker_app(Settings())
    uids = ("sohoa-worker-ready", "sohoa-worker-shutting-down", "sohoa-worker-shutdown")
    try:
        assert _sohoa_receivers() == set(uids)
    finally:
        for sig, uid in zip(_worker_signals(), uids, strict=True):
            sig.disconnect(dispatch_uid=uid)


def test_stuck_cutoff_moves_up_to_a_redis_restart() -> None:
    from indexer.sweeper import stuck_cutoff

    assert stuck_cutoff(NOW, 900, None) == NOW - dt.timedelta(seconds=900)
    assert stuck_cutoff(NOW, 900, 86_400) == NOW - dt.timedelta(seconds=900)  # long up
    # Restarted 30 s ago: a job untouched since before then lost its message with it.
    assert stuck_cutoff(NOW, 900, 30) == NOW - dt.timedelta(seconds=31)
