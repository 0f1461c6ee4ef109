"""`sohoa stack down` stops exactly what `up` started; `up` brings it back. Runs last."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.services, pytest.mark.disruptive]


def _sohoa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def _states() -> dict[str, str]:
    """Component → state, for the single-node cluster and Redis."""
    rows = [line.split(None, 1) for line in _sohoa("stack", "status").stdout.splitlines()]
    return {name: rest for name, rest in rows if name in ("elasticsearch/1", "redis")}


def test_down_then_up_again(services: str) -> None:
    if any("not started by sohoa" in state for state in _states().values()):
        pytest.skip("the services here were not started by `sohoa stack up`")
    assert _sohoa("stack", "down").returncode == 0
    assert all(state.startswith("stopped") for state in _states().values())
    assert _sohoa("stack", "down").returncode == 0  # idempotent
    up = _sohoa("stack", "up")
    assert up.returncode == 0, up.stderr
    states = _states()
    assert set(states) == {"elasticsearch/1", "redis"}
    assert all(state.startswith("running") for state in states.values())
