"""`sohoa stack down` stops exactly what `up` started; `up` brings it back. Runs last."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = [pytest.mark.services, pytest.mark.disruptive]


def _sohoa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def test_down_then_up_again(services: str) -> None:
    before = _sohoa("stack", "status").stdout
    if "not started by sohoa" in before:
        pytest.skip("the services here were not started by `sohoa stack up`")
    assert _sohoa("stack", "down").returncode == 0
    assert "stopped" in _sohoa("stack", "status").stdout
    assert _sohoa("stack", "down").returncode == 0  # idempotent
    up = _sohoa("stack", "up")
    assert up.returncode == 0, up.stderr
    assert "stopped" not in _sohoa("stack", "status").stdout
