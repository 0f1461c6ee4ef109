"""Start and stop a local Redis from the Debian package."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis as redis_client

from app.devstack.tools import require

REDIS_PORT = 6379


def redis_dir(stack_dir: Path) -> Path:
    return stack_dir / "redis"


def pid_file(stack_dir: Path) -> Path:
    return redis_dir(stack_dir) / "redis.pid"


def is_up(url: str) -> bool:
    try:
        return bool(redis_client.Redis.from_url(url, socket_timeout=1).ping())
    except redis_client.RedisError:
        return False


def start(stack_dir: Path, port: int = REDIS_PORT) -> None:
    server = require("redis-server", "Redis is Celery's broker")
    workdir = redis_dir(stack_dir)
    workdir.mkdir(parents=True, exist_ok=True)
    # No persistence for the local stack: a restart loses the queue, the harsh case the
    # sweeper must handle. Production (docker-compose.yml) runs Redis with AOF.
    subprocess.run(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
         "--pidfile", str(pid_file(stack_dir)), "--dir", str(workdir),
         "--logfile", str(workdir / "redis.log"), "--save", "", "--appendonly", "no"],
        check=True,
    )


def wait_up(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if is_up(url):
            return
        time.sleep(0.2)
    raise TimeoutError(f"Redis at {url} did not answer within {timeout_s:.0f}s")
