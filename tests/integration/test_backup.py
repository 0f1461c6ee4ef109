"""`sohoa backup` / `sohoa restore`: back up, lose the indices and the originals, restore, and
find every record and every file again (checked by `sohoa verify` and through the API)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch, NotFoundError

from app.auth.accounts import AccountStore
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings, load_settings
from indexer.backup import mirror_files, repository_name
from tests.conftest import TODAY, WorkerProcess, run_cli
from tests.support.apps import make_app
from tests.support.faults_fixtures import forget_queue, txt_corpus

RECORDS = 12


def _settings(services: str, data_dir: Path, prefix: str) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return replace(load_settings(), es_url=services, index_prefix=prefix, data_dir=data_dir,
                   today=TODAY, ocr_timeout_s=60)


def _forget_repository(client: Elasticsearch, prefix: str) -> None:
    repo = repository_name(prefix)
    try:
        for snap in client.snapshot.get(repository=repo, snapshot="_all")["snapshots"]:
            client.snapshot.delete(repository=repo, snapshot=snap["snapshot"])
        client.snapshot.delete_repository(name=repo)
    except NotFoundError:
        pass


@pytest.fixture
def indexed(services: str, tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    settings = _settings(services, tmp_path / "data", f"backup-{uuid.uuid4().hex[:8]}")
    client = make_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    manifest = txt_corpus(tmp_path / "corpus", RECORDS, offset=400)
    worker = WorkerProcess(settings, concurrency=1)
    try:
        result = run_cli(settings, "ingest", str(manifest), "--wait", "--timeout", "120")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        worker.stop()
    yield settings, manifest
    drop_all(client, settings)
    _forget_repository(client, settings.index_prefix)
    forget_queue(settings.redis_url, settings.celery_queue)


def _verify(settings: Settings, manifest: Path) -> dict:
    result = run_cli(settings, "verify", str(manifest), "--json")
    return {"rc": result.returncode, **json.loads(result.stdout)}


@pytest.mark.services
@pytest.mark.timeout(300)
def test_backup_then_lose_everything_then_restore(indexed: tuple[Settings, Path],
                                                  tmp_path: Path) -> None:
    settings, manifest = indexed
    client = make_client(settings)
    backup_dir = tmp_path / "backups"
    made = run_cli(settings, "backup", "--dir", str(backup_dir))
    assert made.returncode == 0, made.stderr
    catalog = json.loads(made.stdout)
    assert catalog["documents"][settings.index_name("results")] == RECORDS
    assert catalog["originals"]["files"] == RECORDS

    # Disaster: the indices and the stored originals are gone.
    drop_all(client, settings)
    shutil.rmtree(settings.originals_dir)
    lost = _verify(settings, manifest)
    assert lost["rc"] == 1

    # A restore over indices that hold documents is refused without --force.
    ensure_indices(client, settings, log=lambda _m: None)
    AccountStore(client, settings).add("someone", "officer")
    refused = run_cli(settings, "restore", "--dir", str(backup_dir))
    assert refused.returncode != 0 and "--force" in refused.stderr

    restored = run_cli(settings, "restore", "--dir", str(backup_dir), "--force")
    assert restored.returncode == 0, restored.stderr
    summary = json.loads(restored.stdout)
    assert summary["documents"][settings.index_name("results")] == RECORDS
    assert summary["originals"]["restored"] == RECORDS
    after = _verify(settings, manifest)
    assert after["rc"] == 0, after
    assert (after["expected"], after["indexed"]) == (RECORDS, RECORDS)

    # Every file is served again, byte for byte.
    token = AccountStore(client, settings).add("ops-backup", "officer")
    api = make_app(settings).test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        answer = api.get(f"/api/v1/results/{record['result_id']}/files/0", headers=auth)
        assert answer.status_code == 200, record["result_id"]
        assert answer.data == (manifest.parent / record["files"][0]).read_bytes()


@pytest.mark.services
@pytest.mark.timeout(300)
def test_restore_into_another_prefix(indexed: tuple[Settings, Path], tmp_path: Path) -> None:
    settings, manifest = indexed
    backup_dir = tmp_path / "backups"
    assert run_cli(settings, "backup", "--dir", str(backup_dir)).returncode == 0
    other = _settings(settings.es_url, tmp_path / "other-data", f"{settings.index_prefix}-copy")
    catalog = json.loads((sorted((backup_dir / "catalog").glob("*.json"))[-1]).read_text())
    try:
        restored = run_cli(other, "restore", catalog["snapshot"], "--dir", str(backup_dir))
        assert restored.returncode == 0, restored.stderr
        after = _verify(other, manifest)
        assert after["rc"] == 0, after
        assert after["indexed"] == RECORDS
    finally:
        drop_all(make_client(other), other)


def test_mirror_copies_only_new_files_and_refuses_damaged_ones(tmp_path: Path) -> None:
    from indexer.backup import BackupError
    from indexer.storage import store

    originals, mirror = tmp_path / "originals", tmp_path / "mirror"
    for n in range(3):
        source = tmp_path / f"f{n}.txt"
        source.write_text(f"record {n}")
        store(source, originals)
    assert mirror_files(originals, mirror, check_hash=True).copied == 3
    assert mirror_files(originals, mirror, check_hash=True).copied == 0  # incremental
    victim = next(p for p in mirror.rglob("*.txt"))
    victim.write_text("tampered!")  # another size: it would be copied back, but is damaged
    with pytest.raises(BackupError, match="SHA-256"):
        mirror_files(mirror, tmp_path / "restore", check_hash=True)
