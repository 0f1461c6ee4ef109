"""Fetch, configure, start and stop local Elasticsearch nodes."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from app.devstack.tools import java_home, require

ES_VERSION = "8.19.21"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"
ES_USER = "sohoa-es"
FIRST_HTTP_PORT = 9200
FIRST_TRANSPORT_PORT = 9300


@dataclass(frozen=True)
class EsNode:
    number: int
    cluster_dir: Path
    cluster_size: int = 1

    @property
    def name(self) -> str:
        return f"sohoa-node-{self.number}"

    @property
    def _offset(self) -> int:
        # A single node takes 9200/9300; a multi-node cluster takes 9201…/9301…, so both can run
        # side by side (the fault tests start a 3-node cluster next to the dev node).
        return 0 if self.cluster_size == 1 else self.number

    @property
    def http_port(self) -> int:
        return FIRST_HTTP_PORT + self._offset

    @property
    def transport_port(self) -> int:
        return FIRST_TRANSPORT_PORT + self._offset

    @property
    def home(self) -> Path:
        return self.cluster_dir / self.name

    @property
    def pid_file(self) -> Path:
        return self.home / "es.pid"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def cluster_nodes(stack_dir: Path, node_count: int) -> list[EsNode]:
    # Each cluster size gets its own data: a 3-node cluster never inherits a 1-node cluster's UUID.
    cluster_dir = stack_dir / f"es-{node_count}node"
    return [EsNode(n, cluster_dir, node_count) for n in range(1, node_count + 1)]


def distribution(stack_dir: Path, log: Callable[[str], None]) -> Path:
    """The unpacked Elasticsearch distribution, fetched with Maven on first use."""
    dist_home = stack_dir / "dist" / f"elasticsearch-{ES_VERSION}"
    if (dist_home / "bin" / "elasticsearch").exists():
        return dist_home
    mvn = require("mvn", "Maven fetches Elasticsearch from Maven Central")
    download_dir = stack_dir / "downloads"
    download_dir.mkdir(parents=True, exist_ok=True)
    zip_path = download_dir / f"elasticsearch-{ES_VERSION}.zip"
    if not zip_path.exists():
        log(f"Fetching Elasticsearch {ES_VERSION} ({ES_ARTIFACT}) with Maven…")
        subprocess.run(
            [mvn, "-q", "-B", "dependency:copy", f"-Dartifact={ES_ARTIFACT}",
             f"-DoutputDirectory={download_dir}"],
            check=True,
        )
    log(f"Unpacking {zip_path.name}…")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(dist_home.parent)
    for script in (dist_home / "bin").iterdir():
        script.chmod(0o755)  # zipfile drops the executable bits
    return dist_home


def _es_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run Elasticsearch as, created when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ES_USER],
            check=True,
        )
        return pwd.getpwnam(ES_USER)


def _chown_tree(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is None:
        return
    for entry in [path, *path.rglob("*")]:
        os.chown(entry, account.pw_uid, account.pw_gid, follow_symlinks=False)


def _write_node_config(node: EsNode, nodes: list[EsNode], dist_home: Path, heap: str,
                       repo_dir: Path) -> Path:
    config_dir = node.home / "config"
    if not config_dir.exists():
        shutil.copytree(dist_home / "config", config_dir)
    settings = {
        "cluster.name": "sohoa-local",
        "node.name": node.name,
        "path.data": str(node.home / "data"),
        "path.logs": str(node.home / "logs"),
        "path.repo": str(repo_dir),
        "network.host": "127.0.0.1",
        "http.port": str(node.http_port),
        "transport.port": str(node.transport_port),
        # Local development node only: production (docker-compose.yml) keeps security on.
        "xpack.security.enabled": "false",
        "action.destructive_requires_name": "false",
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    if len(nodes) == 1:
        settings["discovery.type"] = "single-node"
    else:
        seeds = ",".join(f"127.0.0.1:{n.transport_port}" for n in nodes)
        settings["discovery.seed_hosts"] = seeds
        settings["cluster.initial_master_nodes"] = ",".join(n.name for n in nodes)
    (config_dir / "elasticsearch.yml").write_text(
        "".join(f"{key}: {value}\n" for key, value in settings.items())
    )
    (config_dir / "jvm.options.d").mkdir(exist_ok=True)
    (config_dir / "jvm.options.d" / "heap.options").write_text(f"-Xms{heap}\n-Xmx{heap}\n")
    return config_dir


def read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def start_node(node: EsNode, nodes: list[EsNode], dist_home: Path, heap: str,
               repo_dir: Path) -> None:
    account = _es_account()
    for sub in ("data", "logs"):
        (node.home / sub).mkdir(parents=True, exist_ok=True)
    repo_dir.mkdir(parents=True, exist_ok=True)
    config_dir = _write_node_config(node, nodes, dist_home, heap, repo_dir)
    _chown_tree(node.home, account)
    _chown_tree(repo_dir, account)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": str(java_home()),
        "ES_PATH_CONF": str(config_dir),
        "HOME": str(node.home),
        "LANG": "C.UTF-8",
    }
    with (node.home / "stdout.log").open("ab") as out:
        subprocess.run(
            [str(dist_home / "bin" / "elasticsearch"), "-d", "-p", str(node.pid_file)],
            env=env, stdout=out, stderr=subprocess.STDOUT, check=True,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            cwd=node.home,
        )


def stop_pid(pid: int, timeout_s: float = 60.0) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)


def cluster_health(url: str, timeout_s: float = 2.0) -> dict | None:
    try:
        response = requests.get(f"{url}/_cluster/health", timeout=timeout_s)
    except requests.RequestException:
        return None
    return response.json() if response.ok else None


def wait_healthy(url: str, node_count: int, timeout_s: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        health = cluster_health(url)
        if health and health.get("number_of_nodes", 0) >= node_count and health["status"] != "red":
            return health
        time.sleep(1.0)
    raise TimeoutError(f"Elasticsearch at {url} not healthy after {timeout_s:.0f}s")
