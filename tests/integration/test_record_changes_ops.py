"""`sohoa records update FILE.csv` and `sohoa verify` over changed records (issue 15), through
the real CLI against the real services."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from domain.history import HistoryStore, entry_id
from domain.settings import Settings
from tests.conftest import WorkerProcess, run_cli
from tests.support.changes_records import change_record, ingest, load_register, write_manifest

pytestmark = pytest.mark.services

RECORDS = [change_record(n, f"Người Thứ {n}", f"0010800003{n:02d}") for n in range(31, 36)]


@pytest.fixture(scope="module")
def manifest(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess,
             tmp_path_factory: pytest.TempPathFactory) -> Path:
    load_register(session_settings, es)
    folder = tmp_path_factory.mktemp("changes-ops")
    result = ingest(session_settings, es, folder, RECORDS)
    assert result.returncode == 0, result.stdout + result.stderr
    return write_manifest(folder, RECORDS)


def stored(es: Elasticsearch, settings: Settings, result_id: str) -> dict:
    return es.get(index=settings.index_name("results"), id=result_id)["_source"]


def test_bulk_update_applies_good_rows_and_reports_bad_ones_by_line(
        manifest: Path, session_settings: Settings, es: Elasticsearch, tmp_path: Path) -> None:
    csv_file = tmp_path / "thu-hoi.csv"
    csv_file.write_text(
        "result_id,status,valid_until,replaced_by,reason\n"
        "CHG-0031,revoked,,,Quyết định thu hồi 1/QĐ\n"          # 2: good
        "CHG-0032,lost,,,x\n"                                    # 3: bad status
        "NO-SUCH-ID,revoked,,,x\n"                               # 4: unknown record
        "CHG-0033,revoked,,,\n"                                  # 5: no reason
        "\n"                                                     # 6: blank, skipped
        "CHG-0034,replaced,,CHG-0035,cấp lại\n"                  # 7: good
        "CHG-0035,replaced,,NO-SUCH-ID,cấp lại\n"                # 8: replacement missing
        "CHG-0033,,2030-01-01,,gia hạn theo đơn\n"               # 9: good
        "CHG-0032,,,,\n",                                        # 10: nothing to change
        encoding="utf-8")
    result = run_cli(session_settings, "records", "update", str(csv_file))
    assert result.returncode == 1, result.stdout + result.stderr
    bad_lines = sorted(int(line.split("line ")[1].split()[0].rstrip(":"))
                       for line in result.stderr.splitlines() if "line " in line)
    assert bad_lines == [3, 4, 5, 8, 10], result.stderr
    assert "3 record(s) changed" in result.stdout
    assert stored(es, session_settings, "CHG-0031")["status"] == "revoked"
    assert stored(es, session_settings, "CHG-0034")["replaced_by"] == "CHG-0035"
    assert stored(es, session_settings, "CHG-0033")["valid_until"] == "2030-01-01"
    assert stored(es, session_settings, "CHG-0033")["status"] == "active"
    assert stored(es, session_settings, "CHG-0032")["status"] == "active"
    latest = HistoryStore(es, session_settings).versions("CHG-0031")[0]
    assert latest["source"] == "edit" and latest["by"].startswith("cli:")
    assert latest["reason"] == "Quyết định thu hồi 1/QĐ"
    audit = session_settings.index_name("audit")
    es.indices.refresh(index=audit)
    events = es.search(index=audit, query={"bool": {"filter": [
        {"term": {"action": "result.edit"}}, {"term": {"result_id": "CHG-0031"}}]}})
    assert events["hits"]["total"]["value"] == 1


def test_verify_accepts_corrections_and_catches_a_lost_version(
        manifest: Path, session_settings: Settings, es: Elasticsearch, tmp_path: Path) -> None:
    csv_file = tmp_path / "sua.csv"
    csv_file.write_text("result_id,status,valid_until,replaced_by,reason\n"
                        "CHG-0032,revoked,,,thu hồi\n", encoding="utf-8")
    assert run_cli(session_settings, "records", "update", str(csv_file)).returncode == 0
    clean = run_cli(session_settings, "verify", str(manifest))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # A version lost from the history (written to the index, never to the history): reported.
    version = stored(es, session_settings, "CHG-0032")["version"]
    es.delete(index=session_settings.index_name("history"),
              id=entry_id("CHG-0032", version), refresh=True)
    broken = run_cli(session_settings, "verify", str(manifest))
    assert broken.returncode == 1
    lines = [line for line in broken.stdout.splitlines() if line.startswith("history")]
    assert len(lines) == 1 and "CHG-0032" in lines[0], broken.stdout
    assert not [line for line in broken.stdout.splitlines() if line.startswith("differing")]
