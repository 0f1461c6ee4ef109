"""`/api/v1/coverage`, `/coverage/series`, `/coverage/export`, `/quality` against the real
Elasticsearch, with the sample's metadata indexed into an own prefix (no OCR: fast). The
expected answers come from tests/coverage_oracle.py, plain Python over the same records."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import SAMPLE, TODAY
from tests.support.coverage_fixtures import CoverageEnv
from tests.support.coverage_oracle import expected_rows, expected_totals, read_register

pytestmark = pytest.mark.services
DATES = [dt.date(2021, 12, 31), dt.date(2022, 12, 31), dt.date(2023, 3, 14),
         dt.date(2023, 3, 15), dt.date(2023, 6, 30), dt.date(2024, 12, 31),
         dt.date(2025, 12, 31), TODAY]
CONTRACT_ROW_KEYS = {"agency_code", "agency_name", "agency_level", "parent_code", "inventory",
                     "digitized", "coverage", "target", "on_track"}


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_coverage_matches_the_oracle_row_by_row(coverage_env: CoverageEnv,
                                               as_of: dt.date) -> None:
    response = coverage_env.api("/api/v1/coverage", as_of=as_of.isoformat())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    expected = expected_rows(coverage_env.records, read_register(SAMPLE / "agencies.csv"), as_of,
                             coverage_env.ingested_at.date())
    assert body["as_of"] == as_of.isoformat() and body["target_year"] == as_of.year
    assert [{k: row[k] for k in CONTRACT_ROW_KEYS} for row in body["rows"]] == expected
    for key, want in expected_totals(expected).items():
        got = body["totals"][key]
        assert (got["inventory"], got["digitized"]) == (want["inventory"], want["digitized"])
        assert got["coverage"] == pytest.approx(want["coverage"])
        assert got["target"] == pytest.approx(want["target"])


def test_the_answer_has_the_contract_shape(coverage_env: CoverageEnv) -> None:
    body = coverage_env.api("/api/v1/coverage").get_json()
    assert body["as_of"] == TODAY.isoformat()               # defaults to the pinned today
    assert set(body["rows"][0]) >= CONTRACT_ROW_KEYS
    assert set(body["totals"]) == {"city", "district", "commune", "all"}
    for figures in body["totals"].values():
        assert {"inventory", "digitized", "coverage", "target"} <= set(figures)
    rows = {r["agency_code"]: r for r in body["rows"]}
    # Some agencies lag in 2026 (target 100 %) and the ones with nothing to digitise do not.
    gia_lam = rows["H26.GL"]
    assert not gia_lam["on_track"] and gia_lam["gap"] == 7 - gia_lam["digitized"] > 0
    assert rows["H26.SCT"]["coverage"] is None and rows["H26.SCT"]["on_track"]


def test_ingestion_date_counts_when_digitized_on_is_missing(coverage_env: CoverageEnv
                                                            ) -> None:
    def syt(as_of: str) -> dict:
        body = coverage_env.api("/api/v1/coverage", as_of=as_of).get_json()
        return next(r for r in body["rows"] if r["agency_code"] == "H26.SYT")

    # EXTRA-NO-DATE was ingested on 2023-03-15; EXTRA-AFTER was issued after the cut-off.
    assert syt("2023-03-14")["digitized"] == 0
    assert syt("2023-03-15")["digitized"] == 1 and syt("2023-03-15")["on_track"]
    assert syt("2023-01-05")["digitized_after_cutoff"] == 0
    assert syt("2023-01-06")["digitized_after_cutoff"] == 1


def test_the_cutoff_day_and_the_as_of_day_are_included(coverage_env: CoverageEnv
                                                        ) -> None:
    def skhdt(as_of: str) -> dict:
        body = coverage_env.api("/api/v1/coverage", as_of=as_of).get_json()
        return next(r for r in body["rows"] if r["agency_code"] == "H26.SKHDT")

    # EXTRA-ON-CUTOFF: issued 2021-12-31 (in the inventory), digitised 2024-01-02.
    assert skhdt("2024-01-01")["digitized"] == 0
    row = skhdt("2024-01-02")
    assert (row["digitized"], row["coverage"], row["on_track"]) == (1, 1.0, True)
    assert row["digitized_after_cutoff"] == 0


def test_agencies_missing_from_the_register_are_listed_apart(coverage_env: CoverageEnv
                                                             ) -> None:
    body = coverage_env.api("/api/v1/coverage", as_of="2023-01-01").get_json()
    assert body["orphans"] == [{"agency_code": "H26.XX.TN", "agency_name": "UBND phường Thử Nghiệm",
                                "agency_level": "commune", "digitized": 1,
                                "digitized_after_cutoff": 0, "pending_review": 0}]
    assert "H26.XX.TN" not in {r["agency_code"] for r in body["rows"]}


def test_level_filter_and_district_rollups(coverage_env: CoverageEnv) -> None:
    body = coverage_env.api("/api/v1/coverage", as_of="2024-12-31",
                            agency_level="commune").get_json()
    assert body["rows"] and {r["agency_level"] for r in body["rows"]} == {"commune"}
    everything = coverage_env.api("/api/v1/coverage", as_of="2024-12-31").get_json()
    assert body["totals"] == everything["totals"]
    rows = everything["rows"]
    tay_ho = next(d for d in everything["districts"] if d["agency_code"] == "H26.TH")
    members = [r for r in rows if r["agency_code"] == "H26.TH" or r["parent_code"] == "H26.TH"]
    assert tay_ho["inventory"] == sum(r["inventory"] for r in members) == 10
    assert tay_ho["digitized"] == sum(r["digitized"] for r in members)
    assert tay_ho["communes"] == 4


@pytest.mark.parametrize(("params", "fragment"), [
    ({"as_of": "2024-13-01"}, "as_of must be a date YYYY-MM-DD"),
    ({"as_of": "31/12/2024"}, "as_of must be a date YYYY-MM-DD"),
    ({"agency_level": "ward"}, "agency_level must be one of city, district, commune"),
])
def test_bad_parameters_are_a_400_with_a_clear_message(coverage_env: CoverageEnv,
                                                       params: dict, fragment: str) -> None:
    response = coverage_env.api("/api/v1/coverage", **params)
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]


def test_only_managers_see_coverage(coverage_env: CoverageEnv) -> None:
    client = coverage_env.client()
    for path in ("/api/v1/coverage", "/api/v1/coverage/series", "/api/v1/quality",
                 "/api/v1/coverage/export"):
        assert client.get(path).status_code == 401
        officer = coverage_env.api(path, token=coverage_env.officer_token)
        assert officer.status_code == 403, path


def test_series_per_month_with_the_roadmap_steps(coverage_env: CoverageEnv) -> None:
    body = coverage_env.api("/api/v1/coverage/series", agency_level="district",
                            **{"from": "2022-01", "to": "2024-12"}).get_json()
    assert len(body["points"]) == 36 and body["points"][0]["month"] == "2022-01"
    register = read_register(SAMPLE / "agencies.csv")
    districts = {a["agency_code"] for a in register if a["level"] == "district"}
    assert body["inventory"] == sum(int(a["inventory_count"]) for a in register
                                    if a["agency_code"] in districts)
    for point in body["points"]:       # cumulative = the oracle's count at the month's end
        year, month = map(int, point["month"].split("-"))
        end = (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1)
        rows = expected_rows(coverage_env.records, register, end - dt.timedelta(days=1),
                             coverage_env.ingested_at.date())
        assert point["cumulative"] == sum(r["digitized"] for r in rows
                                          if r["agency_code"] in districts), point
        assert point["target"] == {2022: 0.30, 2023: 0.55, 2024: 0.80}[year]
    assert [s["target"] for s in body["steps"]] == [0.30, 0.55, 0.80]
    assert sum(p["digitized"] for p in body["points"]) + body["digitized_before"] == \
        body["points"][-1]["cumulative"]


def test_series_for_a_district_with_its_communes(coverage_env: CoverageEnv) -> None:
    body = coverage_env.api("/api/v1/coverage/series", agency_code="H26.TH",
                            with_children="1").get_json()
    assert body["scope"]["kind"] == "district" and len(body["scope"]["agency_codes"]) == 5
    assert body["points"][-1]["month"] == TODAY.strftime("%Y-%m")
    assert coverage_env.api("/api/v1/coverage/series", agency_code="NOPE").status_code == 404
    bad = coverage_env.api("/api/v1/coverage/series", **{"from": "2024-05", "to": "2023-01"})
    assert bad.status_code == 400 and "after" in bad.get_json()["error"]


def test_quality_review_list(coverage_env: CoverageEnv) -> None:
    body = coverage_env.api("/api/v1/quality").get_json()
    assert body["total"] == 3
    assert body["flags"] == {"low-confidence": 2, "blank-page": 1, "result-number-not-found": 1}
    narrowed = coverage_env.api("/api/v1/quality", flag="low-confidence").get_json()
    assert {h["result_id"] for h in narrowed["hits"]} == {"H26.GL.KS-241212-00001",
                                                         "H26.CG.QH-190512-00002"}
    assert narrowed["flags"] == body["flags"]           # counts stay those of every flag
    by_agency = coverage_env.api("/api/v1/quality", agency_code="H26.DD.KL").get_json()
    assert [h["quality_flags"] for h in by_agency["hits"]] == [["result-number-not-found"]]
    assert "holder_name" not in body["hits"][0]
    assert coverage_env.api("/api/v1/quality", size="0").status_code == 400


def test_export_csv_and_xlsx(coverage_env: CoverageEnv) -> None:
    csv_response = coverage_env.api("/api/v1/coverage/export", as_of="2023-06-30")
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert 'filename="so-hoa-2023-06-30.csv"' in csv_response.headers["Content-Disposition"]
    lines = csv_response.get_data().decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 59
    xlsx = coverage_env.api("/api/v1/coverage/export", as_of="2023-06-30", format="xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data()))["Theo cơ quan"]
    codes = [row[0] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert len(codes) == 59 and codes[0] == "H26"
    assert coverage_env.api("/api/v1/coverage/export", format="pdf").status_code == 400
