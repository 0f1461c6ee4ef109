"""The agency register: CSV checks (unit) and `sohoa agencies load|list|orphans` (services)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.agencies import AgencyStore, RegisterError, parse_register
from domain.es import make_client
from domain.indices import drop_all, ensure_indices
from domain.settings import Settings
from tests.conftest import SAMPLE, run_cli
from tests.support.coverage_fixtures import fresh_settings, index_records

HEADER = "agency_code,agency_name,level,parent_code,inventory_count,reviewed_on\n"


def test_the_sample_register_is_valid() -> None:
    agencies, errors = parse_register((SAMPLE / "agencies.csv").read_text(encoding="utf-8"))
    assert errors == []
    assert len(agencies) == 59
    by_code = {a.agency_code: a for a in agencies}
    assert by_code["H26.GL"].inventory_count == 7 and by_code["H26.GL"].level == "district"
    assert by_code["H26"].parent_code is None and by_code["H26.BD.DBP"].parent_code == "H26.BD"
    assert by_code["H26.SYT"].reviewed_on == "2022-03-31"


def test_each_bad_row_gets_its_line_number_and_reason_and_good_rows_load() -> None:
    text = HEADER + "\n".join([
        "H26,UBND thành phố Hà Nội,city,,0,2022-03-31",        # line 2: good
        "H26.A,Quận A,town,H26,1,",                              # 3: unknown level
        ",Không mã,district,H26,1,",                             # 4: missing code
        "H26.B,Quận B,district,H26,-2,",                         # 5: negative
        "H26.C,Quận C,district,H26,1.5,",                        # 6: not whole
        "H26.D,Quận D,district,H26,nhiều,",                      # 7: not a number
        "H26.E,Quận E,district,H26.ZZ,3,",                       # 8: unknown parent
        "H26,Trùng mã,city,,5,",                                 # 9: duplicate
        "H26.F,Quận F,district,H26,2,31/03/2022",                # 10: bad date
        "H26.B.X,Phường X,commune,H26.B,1,",                     # 11: parent rejected
        "H26.G,Quận G,District,H26, 4 ,",                        # 12: good (case, spaces)
        "H26.G.Y,Phường Y,commune,H26.G,0,",                     # 13: good, parent in file
        "H26.H,,district,H26,1,",                                # 14: missing name
    ]) + "\n"
    agencies, errors = parse_register(text)
    assert sorted(a.agency_code for a in agencies) == ["H26", "H26.G", "H26.G.Y"]
    assert next(a for a in agencies if a.agency_code == "H26.G").inventory_count == 4
    found = {e.line: str(e) for e in errors}
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 14]
    assert "unknown level 'town'" in found[3]
    assert "missing agency_code" in found[4]
    assert "-2 is negative" in found[5]
    assert "'1.5' is not a whole number" in found[6] and "not a whole number" in found[7]
    assert "parent_code 'H26.ZZ' is not in the register" in found[8]
    assert "duplicate agency_code (line 2 is kept)" in found[9]
    assert "reviewed_on" in found[10]
    assert "line 5, was rejected" in found[11]
    assert "missing agency_name" in found[14]
    assert found[3].startswith("line 3 (H26.A): ")


def test_a_parent_already_in_the_register_is_accepted() -> None:
    text = HEADER + "H26.BD.NEW,Phường Mới,commune,H26.BD,3,\n"
    agencies, errors = parse_register(text, known_codes={"H26.BD"})
    assert errors == [] and agencies[0].parent_code == "H26.BD"
    assert len(parse_register(text)[1]) == 1


def test_a_file_without_the_needed_columns_is_refused_whole() -> None:
    with pytest.raises(RegisterError, match="inventory_count"):
        parse_register("agency_code,agency_name,level\nH26,Hà Nội,city\n")
    # A byte-order mark (Excel's CSV) and blank lines are fine.
    agencies, errors = parse_register("\ufeff" + HEADER + "H26,Hà Nội,city,,0,\n\n")
    assert errors == [] and len(agencies) == 1


@pytest.fixture
def own_settings(services: str) -> Iterator[Settings]:
    settings = fresh_settings()
    client = make_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    yield settings
    drop_all(client, settings)


@pytest.mark.services
def test_load_is_idempotent_and_reload_updates(own_settings: Settings, tmp_path: Path) -> None:
    first = run_cli(own_settings, "agencies", "load", str(SAMPLE / "agencies.csv"))
    assert first.returncode == 0, first.stderr
    assert "loaded 59 agencies (59 new, 0 updated)" in first.stdout
    again = run_cli(own_settings, "agencies", "load", str(SAMPLE / "agencies.csv"))
    assert again.returncode == 0 and "(0 new, 59 updated)" in again.stdout
    store = AgencyStore(make_client(own_settings), own_settings)
    assert len(store.all()) == 59
    changed = tmp_path / "update.csv"
    changed.write_text(HEADER + "H26.GL,UBND huyện Gia Lâm,district,H26,9,2023-01-01\n",
                       encoding="utf-8")
    update = run_cli(own_settings, "agencies", "load", str(changed))
    assert update.returncode == 0 and "(0 new, 1 updated)" in update.stdout
    register = store.all()
    assert len(register) == 59 and register["H26.GL"].inventory_count == 9
    assert register["H26.GL"].reviewed_on == "2023-01-01"


@pytest.mark.services
def test_bad_rows_fail_the_command_but_good_rows_load(own_settings: Settings,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "agencies.csv"
    path.write_text(HEADER + "H26,Hà Nội,city,,0,\nH26.X,Quận X,ward,H26,1,\n"
                    "H26.Y,Quận Y,district,H26,2,\nH26.Y,Quận Y,district,H26,3,\n",
                    encoding="utf-8")
    result = run_cli(own_settings, "agencies", "load", str(path))
    assert result.returncode == 1
    assert "agencies.csv line 3 (H26.X): unknown level 'ward'" in result.stderr
    assert "line 5 (H26.Y): duplicate agency_code (line 4 is kept)" in result.stderr
    assert "loaded 2 agencies" in result.stdout and "2 bad row(s)" in result.stdout
    register = AgencyStore(make_client(own_settings), own_settings).all()
    assert sorted(register) == ["H26", "H26.Y"] and register["H26.Y"].inventory_count == 2


@pytest.mark.services
def test_prune_removes_agencies_missing_from_the_file(own_settings: Settings,
                                                      tmp_path: Path) -> None:
    assert run_cli(own_settings, "agencies", "load", str(SAMPLE / "agencies.csv")).returncode == 0
    path = tmp_path / "small.csv"
    path.write_text(HEADER + "H26,Hà Nội,city,,0,\nH26.BD,Ba Đình,district,H26,1,\n",
                    encoding="utf-8")
    result = run_cli(own_settings, "agencies", "load", "--prune", str(path))
    assert result.returncode == 0, result.stderr
    assert "57 removed" in result.stdout
    assert sorted(AgencyStore(make_client(own_settings), own_settings).all()) == ["H26", "H26.BD"]


@pytest.mark.services
def test_list_and_orphans_name_agencies_missing_from_the_register(own_settings: Settings) -> None:
    assert run_cli(own_settings, "agencies", "load", str(SAMPLE / "agencies.csv")).returncode == 0
    records = [{"result_id": f"R{i}", "agency_code": code, "agency_name": name,
                "agency_level": "commune", "issued_on": "2020-01-01", "digitized_on": "2023-01-01"}
               for i, (code, name) in enumerate([("H26.BD.DBP", "UBND phường Điện Biên"),
                                                 ("H26.ZZ.Q", "UBND phường Lạ"),
                                                 ("H26.ZZ.Q", "UBND phường Lạ")])]
    index_records(make_client(own_settings), own_settings, records,
                  dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
    orphans = run_cli(own_settings, "agencies", "orphans", "--json")
    assert orphans.returncode == 0, orphans.stderr
    assert [json.loads(line) for line in orphans.stdout.splitlines()] == [{
        "agency_code": "H26.ZZ.Q", "agency_name": "UBND phường Lạ", "level": "commune",
        "records": 2, "registered": False}]
    listing = run_cli(own_settings, "agencies", "list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 60 and "NOT IN REGISTER" in lines[-1] and "H26.ZZ.Q" in lines[-1]
    assert "59 registered agencies, 1 not in the register" in listing.stderr
