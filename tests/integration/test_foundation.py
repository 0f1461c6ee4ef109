"""The base against real services: stack, indices behind aliases, /healthz, compose file."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from elasticsearch import Elasticsearch

from domain.indices import ensure_indices, latest_mappings
from domain.settings import Settings
from tests.conftest import REPO, settings_env
from tests.support.apps import make_app

pytestmark = pytest.mark.services


def _sohoa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def test_stack_up_is_idempotent(services: str) -> None:
    first = _sohoa("stack", "up")
    second = _sohoa("stack", "up")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    status = {line.split()[0]: line for line in _sohoa("stack", "status").stdout.splitlines()}
    assert "stopped" not in status["elasticsearch/1"] and "stopped" not in status["redis"]
    # Same processes both times: `up` never starts a second copy.
    def component_lines(out: str) -> list[str]:
        return sorted(line for line in out.splitlines() if "://" in line)

    assert component_lines(first.stdout)[-2:] == component_lines(second.stdout)[-2:]


def test_init_creates_every_index_behind_its_alias(session_settings: Settings,
                                                   es: Elasticsearch) -> None:
    names = latest_mappings(session_settings.mappings_dir)
    assert {"results", "jobs", "agencies", "users"} <= set(names)
    for name, mapping in names.items():
        alias = session_settings.index_name(name)
        indices = es.indices.get_alias(name=alias)
        assert list(indices) == [f"{alias}-v{mapping.version}-1"]
    # Running init again changes nothing.
    again = ensure_indices(es, session_settings, log=lambda _m: None)
    assert again == {session_settings.index_name(name): f"{session_settings.index_name(name)}"
                     f"-v{mapping.version}-1" for name, mapping in names.items()}


def test_healthz_reports_both_services_up(session_settings: Settings) -> None:
    client = make_app(session_settings).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["elasticsearch"]["ok"] and body["redis"]["ok"]


@pytest.mark.parametrize(("override", "down"), [
    ({"redis_url": "redis://127.0.0.1:6399/0"}, "redis"),
    ({"es_url": "http://127.0.0.1:9299"}, "elasticsearch"),
])
def test_healthz_503_names_the_service_that_is_down(session_settings: Settings,
                                                     override: dict, down: str) -> None:
    settings = replace(session_settings, **override)
    client = make_app(settings).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["down"] == [down]


def test_compose_file_describes_a_secure_production_host() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"elasticsearch", "redis", "web", "worker"} <= set(services)
    es_env = services["elasticsearch"]["environment"]
    assert es_env["xpack.security.enabled"] == "true"
    assert services["elasticsearch"]["image"].split(":")[1].startswith("8.")
    redis_command = " ".join(services["redis"]["command"])  # a shell line: the password is env
    assert "--appendonly yes" in redis_command and "--requirepass" in redis_command
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:2] == ["sohoa", "worker"]
    assert "ELASTIC_PASSWORD" in str(es_env)
    assert {"esdata", "scans"} <= set(compose["volumes"])
    assert any("/data" in v for v in services["worker"]["volumes"])


def test_a_web_worker_starts_with_its_long_lived_objects_out_of_the_collector(
        session_settings: Settings) -> None:
    # What gunicorn imports: the app and the segmenter, then frozen (app/wsgi.py). A full
    # collection then walks only what requests leave behind.
    probe = "import gc, app.wsgi; gc.collect(); print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False, env=settings_env(session_settings))
    assert done.returncode == 0, done.stderr
    frozen, tracked = (int(n) for n in done.stdout.split())
    assert frozen > 10 * tracked, (frozen, tracked)


def test_missing_tools_get_an_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.devstack.tools import MissingTool, require

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingTool, match="apt-get install"):
        require("redis-server", "Redis is Celery's broker")
