"""`sohoa stack up|down|status`: the whole local stack, idempotent, stopped by PID."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.devstack import elasticsearch as es
from app.devstack import redis as rd
from app.devstack.tools import check_tesseract
from domain.settings import Settings, load_settings

Log = Callable[[str], None]


def default_stack_dir(settings: Settings | None = None) -> Path:
    """Where the local stack keeps its distribution, data and PIDs (SOHOA_STACK_DIR).

    Elasticsearch runs as another user, so the folder must be reachable by it: a root home
    (mode 700) is not, hence /var/tmp for root.
    """
    settings = settings or load_settings()
    if settings.stack_dir:
        return settings.stack_dir
    if os.geteuid() == 0:
        return Path("/var/tmp/sohoa-stack")
    return Path.home() / ".cache" / "sohoa" / "stack"


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    url: str
    state: str  # "running" | "running (not started by sohoa)" | "stopped"
    pid: int | None = None

    def line(self) -> str:
        pid = f" pid {self.pid}" if self.pid else ""
        return f"{self.name:<16} {self.state:<34} {self.url}{pid}"


# One node gets the heap docker-compose.yml gives production (4g) where the machine has room:
# at a million records, a 2g heap paused for young collections every few seconds under search
# load (30-70 ms each), and the median search was some 20 % slower than with 4g.
ROOMY_BYTES = 16 * 1024**3


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_heap(node_count: int, settings: Settings | None = None,
                 memory_bytes: int | None = None) -> str:
    """SOHOA_ES_HEAP, else 4g for one node on a machine of 16 GiB or more (2g on a smaller
    one), 1g each for more nodes."""
    settings = settings or load_settings()
    if settings.es_heap:
        return settings.es_heap
    if node_count > 1:
        return "1g"
    roomy = (memory_bytes if memory_bytes is not None else _memory_bytes()) >= ROOMY_BYTES
    return "4g" if roomy else "2g"


def up(stack_dir: Path, node_count: int = 1, log: Log = print) -> list[ComponentStatus]:
    check_tesseract()
    nodes = es.cluster_nodes(stack_dir, node_count)
    redis_url = f"redis://127.0.0.1:{rd.REDIS_PORT}/0"
    if rd.is_up(redis_url):
        log("Redis already running.")
    else:
        log("Starting Redis…")
        rd.start(stack_dir)
        rd.wait_up(redis_url)
    started_any = False
    for node in nodes:
        if es.read_pid(node.pid_file) is not None:
            continue
        if es.cluster_health(node.url) is not None:
            log(f"Port {node.http_port} already serves an Elasticsearch not started by sohoa; "
                "using it.")
            continue
        dist_home = es.distribution(stack_dir, log)
        log(f"Starting Elasticsearch {es.ES_VERSION} node {node.name} on {node.url}…")
        es.start_node(node, nodes, dist_home, default_heap(node_count), stack_dir / "snapshots")
        started_any = True
    if started_any:
        log("Waiting for the cluster to turn healthy…")
    es.wait_healthy(nodes[0].url, node_count)
    return status(stack_dir, node_count)


def stop_cluster(stack_dir: Path, node_count: int, log: Log = print) -> None:
    """Stop the nodes of one cluster size only (e.g. the 3-node cluster, leaving the dev node)."""
    for node in es.cluster_nodes(stack_dir, node_count):
        if (pid := es.read_pid(node.pid_file)) is not None:
            log(f"Stopping Elasticsearch {node.name} (pid {pid})…")
            es.stop_pid(pid)
        node.pid_file.unlink(missing_ok=True)


def down(stack_dir: Path, log: Log = print) -> None:
    """Stop exactly what `up` started, found by its PID files, in every cluster size."""
    for cluster_dir in sorted(stack_dir.glob("es-*node")):
        for pid_file in sorted(cluster_dir.glob("*/es.pid")):
            if (pid := es.read_pid(pid_file)) is not None:
                log(f"Stopping Elasticsearch {pid_file.parent.name} (pid {pid})…")
                es.stop_pid(pid)
            pid_file.unlink(missing_ok=True)
    if (pid := es.read_pid(rd.pid_file(stack_dir))) is not None:
        log(f"Stopping Redis (pid {pid})…")
        es.stop_pid(pid)
    log("Local stack stopped.")


def status(stack_dir: Path, node_count: int | None = None) -> list[ComponentStatus]:
    """Every component of the given cluster size; without one, the single-node cluster and any
    other cluster that has a node running."""
    sizes = [node_count] if node_count else sorted(
        {1} | {int(p.name[3:-4]) for p in stack_dir.glob("es-*node")
               if p.name[3:-4].isdigit() and any(
                   es.read_pid(f) is not None for f in p.glob("*/es.pid"))}
    )
    rows: list[ComponentStatus] = []
    for size in sizes:
        for node in es.cluster_nodes(stack_dir, size):
            name = f"elasticsearch/{node.number}" if size == 1 else f"es-{size}node/{node.number}"
            rows.append(_component(name, node.url, node.pid_file,
                                   es.cluster_health(node.url) is not None))
    redis_url = f"redis://127.0.0.1:{rd.REDIS_PORT}/0"
    rows.append(_component("redis", redis_url, rd.pid_file(stack_dir), rd.is_up(redis_url)))
    return rows


def _component(name: str, url: str, pid_file: Path, answering: bool) -> ComponentStatus:
    pid = es.read_pid(pid_file)
    if pid is not None:
        return ComponentStatus(name, url, "running" if answering else "starting", pid)
    if answering:
        return ComponentStatus(name, url, "running (not started by sohoa)")
    return ComponentStatus(name, url, "stopped")
