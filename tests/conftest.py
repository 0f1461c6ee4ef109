"""Fixtures against the real services: a local Elasticsearch + Redis (started if needed),
a Celery worker subprocess, and the sample corpus ingested once per test session.

Every session uses its own SOHOA_INDEX_PREFIX (and so its own Celery queue), so test runs can
share one cluster with a demo or with each other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from tests.support.paths import BAD, REPO, SAMPLE, SHARED, TODAY  # noqa: F401  (re-exported)

# Fixtures that only some integration modules use live in tests/support; pytest serves them
# from here, so no test module imports a fixture by hand.
pytest_plugins = ["tests.support.security_fixtures", "tests.support.coverage_fixtures"]


def _es_reachable(url: str) -> bool:
    try:
        make_client(Settings(es_url=url)).options(request_timeout=2, max_retries=0).cluster.health()
    except Exception:  # noqa: BLE001 - any failure means "not reachable" here
        return False
    return True


@pytest.fixture(scope="session")
def services() -> str:
    """Make sure Elasticsearch and Redis run; start the local stack when they do not."""
    url = os.environ.get("SOHOA_ES_URL", "http://127.0.0.1:9200")
    if not _es_reachable(url):
        subprocess.run([sys.executable, "-m", "app.cli", "stack", "up"], check=True, cwd=REPO)
    return url


@pytest.fixture(scope="session")
def session_settings(services: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    base = load_settings()
    settings = replace(base, index_prefix=f"test-{uuid.uuid4().hex[:8]}",
                       data_dir=tmp_path_factory.mktemp("sohoa-data"), today=TODAY,
                       ocr_timeout_s=120)
    client = make_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    yield settings
    drop_all(client, settings)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a subprocess (worker, CLI) needs to see the same deployment."""
    return {**os.environ, "SOHOA_ES_URL": settings.es_url, "SOHOA_REDIS_URL": settings.redis_url,
            "SOHOA_INDEX_PREFIX": settings.index_prefix, "SOHOA_DATA_DIR": str(settings.data_dir),
            "SOHOA_TODAY": (settings.today or TODAY).isoformat(),
            "SOHOA_OCR_TIMEOUT": str(settings.ocr_timeout_s),
            "SOHOA_MAPPINGS_DIR": str(settings.mappings_dir)}


@pytest.fixture(scope="session")
def es(session_settings: Settings) -> Elasticsearch:
    return make_client(session_settings)


class WorkerProcess:
    """A real `sohoa worker` subprocess bound to one deployment prefix."""

    def __init__(self, settings: Settings, concurrency: int = 2,
                 extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        env = {**settings_env(settings), **(extra_env or {})}
        self.log_path = Path(settings.data_dir) / f"worker-{uuid.uuid4().hex[:6]}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", "-c", str(concurrency),
             "--loglevel", "warning"],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the pool children too)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture(scope="session")
def worker(session_settings: Settings) -> Iterator[WorkerProcess]:
    process = WorkerProcess(session_settings)
    yield process
    process.stop()


def run_cli(settings: Settings, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO,
                          env=settings_env(settings), capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="session")
def ingested_sample(session_settings: Settings, worker: WorkerProcess,
                    es: Elasticsearch) -> subprocess.CompletedProcess:
    """The 60 sample records OCR'd and indexed through the real CLI, worker and Celery."""
    started = time.monotonic()
    result = run_cli(session_settings, "ingest", str(SAMPLE / "manifest.jsonl"), "--wait")
    es.indices.refresh(index=session_settings.index_name("results"))
    result.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that stop and restart shared services run last, so they cannot disturb the others.
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)
