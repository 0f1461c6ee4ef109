"""Coverage arithmetic, table, parameters, chart and exports: pure functions, no services."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from app.coverage.arithmetic import Figures, combined, step_targets, target_for
from app.coverage.chart import build_chart, percent
from app.coverage.export import to_csv, to_xlsx
from app.coverage.params import ParamError, parse_day, parse_level, parse_month_bound
from app.coverage.queries import AgencyCounts
from app.coverage.report import build_report
from app.coverage.series import build_series, resolve_scope
from app.coverage.table import TableQuery, select_rows
from domain.agencies import Agency
from domain.settings import DEFAULT_ROADMAP, parse_roadmap

ROADMAP = DEFAULT_ROADMAP


@pytest.mark.parametrize(("year", "level", "expected"), [
    (2021, "city", 0.0), (1990, "commune", 0.0),
    (2022, "city", 0.30), (2022, "district", 0.30), (2022, "commune", 0.25),
    (2023, "commune", 0.50), (2024, "district", 0.80), (2024, "commune", 0.75),
    (2025, "commune", 1.0), (2026, "city", 1.0), (2040, "district", 1.0),
])
def test_targets_follow_the_plan_roadmap(year: int, level: str, expected: float) -> None:
    assert target_for(ROADMAP, year, level) == expected


def test_a_configured_roadmap_with_a_gap_keeps_the_last_listed_year() -> None:
    roadmap = parse_roadmap("2022:10/10/10,2025:90/80/70")
    assert target_for(roadmap, 2021, "city") == 0.0
    assert target_for(roadmap, 2023, "commune") == pytest.approx(0.10)
    assert target_for(roadmap, 2030, "commune") == pytest.approx(0.70)


def test_on_track_compares_exactly_at_the_boundary() -> None:
    # 3/10 and 11/20 equal the targets exactly; binary floats must not flip the answer.
    assert Figures.of(10, 3, 0.30).on_track
    assert not Figures.of(10, 2, 0.30).on_track
    assert Figures.of(20, 11, 0.55).on_track
    assert Figures.of(7, 2, 0.25).on_track       # 2/7 = 0.2857 >= 0.25
    assert not Figures.of(7, 1, 0.25).on_track


def test_gap_is_the_records_still_needed_for_the_target() -> None:
    assert Figures.of(10, 0, 0.30).gap == 3           # 0.3 × 10 is 3, not 3.0000000000000004
    assert Figures.of(7, 1, 0.25).gap == 1            # ceil(1.75) − 1
    assert Figures.of(7, 5, 0.25).gap == 0
    assert Figures.of(3, 0, 0.55).required == 2       # ceil(1.65)


def test_inventory_zero_has_no_coverage_and_owes_nothing() -> None:
    figures = Figures.of(0, 0, 1.0)
    assert figures.coverage is None and figures.on_track and figures.gap == 0
    surplus = Figures.of(0, 4, 0.5)                     # records the register did not count
    assert surplus.coverage is None and surplus.on_track


def test_coverage_is_not_capped_above_one() -> None:
    assert Figures.of(2, 3, 1.0).coverage == 1.5


def test_combined_target_is_inventory_weighted() -> None:
    parts = [Figures.of(8, 3, 0.30), Figures.of(2, 0, 0.25)]   # district + commune
    total = combined(parts)
    assert (total.inventory, total.digitized) == (10, 3)
    assert total.target == pytest.approx(0.29)
    assert total.required == 3 and total.on_track
    assert combined([]).inventory == 0 and combined([]).target == 0.0
    assert combined([Figures.of(0, 0, 0.5), Figures.of(0, 0, 0.25)]).target == 0.5


def test_step_targets_per_year() -> None:
    steps = step_targets(ROADMAP, [2021, 2022, 2023, 2026], {"district": 3, "commune": 1})
    assert steps[2021] == 0.0
    assert steps[2022] == pytest.approx((0.30 * 3 + 0.25) / 4)
    assert steps[2026] == pytest.approx(1.0)


def _agency(code: str, level: str, parent: str | None, inventory: int) -> Agency:
    return Agency(code, f"UBND {code}", level, parent, inventory)


REGISTER = {a.agency_code: a for a in [
    _agency("H26", "city", None, 0), _agency("H26.S1", "city", "H26", 4),
    _agency("H26.D1", "district", "H26", 4), _agency("H26.D1.C1", "commune", "H26.D1", 2),
    _agency("H26.D1.C2", "commune", "H26.D1", 0), _agency("H26.D2", "district", "H26", 1),
]}
COUNTS = {"H26.S1": AgencyCounts(2, 5, 1), "H26.D1": AgencyCounts(1, 0),
          "H26.D1.C1": AgencyCounts(2, 0), "H26.ZZ": AgencyCounts(3, 1)}


def test_build_report_rows_totals_rollups_and_orphans() -> None:
    details = {"H26.ZZ": {"agency_name": "Lạ", "agency_level": "commune"}}
    report = build_report(REGISTER, COUNTS, ROADMAP, dt.date(2023, 6, 30),
                          orphan_details=details)
    assert report["as_of"] == "2023-06-30" and report["target_year"] == 2023
    rows = {r["agency_code"]: r for r in report["rows"]}
    assert list(rows) == sorted(REGISTER)
    assert rows["H26.S1"] == {"agency_code": "H26.S1", "agency_name": "UBND H26.S1",
                              "agency_level": "city", "parent_code": "H26", "inventory": 4,
                              "digitized": 2, "coverage": 0.5, "target": 0.55,
                              "on_track": False, "gap": 1, "digitized_after_cutoff": 5,
                              "pending_review": 1}
    assert rows["H26.D1.C1"]["on_track"] and rows["H26.D1.C1"]["coverage"] == 1.0
    assert rows["H26.D2"]["digitized"] == 0 and not rows["H26.D2"]["on_track"]
    assert rows["H26"]["coverage"] is None and rows["H26"]["on_track"]
    totals = report["totals"]
    assert set(totals) == {"city", "district", "commune", "all"}
    assert (totals["all"]["inventory"], totals["all"]["digitized"]) == (11, 5)   # orphan left out
    assert totals["district"]["coverage"] == pytest.approx(1 / 5)
    assert totals["commune"]["target"] == pytest.approx(0.50)
    assert totals["all"]["target"] == pytest.approx((0.55 * 9 + 0.50 * 2) / 11)
    assert totals["city"]["digitized_after_cutoff"] == 5
    assert totals["city"]["pending_review"] == totals["all"]["pending_review"] == 1
    assert totals["all"]["lagging"] == 3                      # H26.S1, H26.D1 and H26.D2
    d1 = next(d for d in report["districts"] if d["agency_code"] == "H26.D1")
    assert (d1["inventory"], d1["digitized"], d1["communes"]) == (6, 3, 2)
    assert d1["target"] == pytest.approx((0.55 * 4 + 0.50 * 2) / 6)
    assert report["orphans"] == [{"agency_code": "H26.ZZ", "agency_name": "Lạ",
                                  "agency_level": "commune", "digitized": 3,
                                  "digitized_after_cutoff": 1, "pending_review": 0}]


def test_level_narrows_rows_but_not_totals() -> None:
    report = build_report(REGISTER, COUNTS, ROADMAP, dt.date(2022, 12, 31), level="commune")
    assert {r["agency_level"] for r in report["rows"]} == {"commune"}
    assert report["totals"]["all"]["inventory"] == 11


def test_before_the_plan_every_target_is_zero_and_everyone_is_on_track() -> None:
    report = build_report(REGISTER, {}, ROADMAP, dt.date(2021, 12, 31))
    assert all(r["target"] == 0 and r["on_track"] for r in report["rows"])


def _rows() -> list[dict]:
    return build_report(REGISTER, COUNTS, ROADMAP, dt.date(2023, 6, 30))["rows"]


def test_table_sorts_and_filters() -> None:
    rows = _rows()
    by_cov = select_rows(rows, TableQuery(sort="coverage", descending=True))
    assert [r["agency_code"] for r in by_cov][:2] == ["H26.D1.C1", "H26.S1"]
    assert by_cov[-1]["coverage"] is None            # no inventory: last in either direction
    asc = select_rows(rows, TableQuery(sort="coverage"))
    assert asc[0]["agency_code"] == "H26.D2" and asc[-1]["coverage"] is None
    district = select_rows(rows, TableQuery(district="H26.D1"))
    assert [r["agency_code"] for r in district] == ["H26.D1", "H26.D1.C1", "H26.D1.C2"]
    lagging = select_rows(rows, TableQuery(status="cham"))
    assert {r["agency_code"] for r in lagging} == {"H26.S1", "H26.D1", "H26.D2"}
    assert [r["agency_code"] for r in select_rows(rows, TableQuery(text="d1.c"))] == [
        "H26.D1.C1", "H26.D1.C2"]
    levels = select_rows(rows, TableQuery(sort="agency_level"))
    assert [r["agency_level"] for r in levels][:2] == ["city", "city"]


def test_table_query_from_args_refuses_unknown_values() -> None:
    query = TableQuery.from_args({"sort": "gap", "dir": "desc", "level": "district"})
    assert query.as_args() == {"level": "district", "sort": "gap", "dir": "desc"}
    for args in ({"sort": "holder_name"}, {"dir": "up"}, {"status": "maybe"}, {"level": "xa"}):
        with pytest.raises(ParamError):
            TableQuery.from_args(args)


def test_parameters_are_parsed_strictly() -> None:
    default = dt.date(2026, 11, 25)
    assert parse_day(None, "as_of", default) == default
    assert parse_day(" 2024-02-29 ", "as_of", default) == dt.date(2024, 2, 29)
    for bad in ("2023-02-29", "20240101", "31/12/2024", "2024-13-01", "yesterday"):
        with pytest.raises(ParamError, match="as_of must be a date YYYY-MM-DD"):
            parse_day(bad, "as_of", default)
    assert parse_month_bound("2024-02", "to", default, end=True) == dt.date(2024, 2, 29)
    assert parse_month_bound("2024-02", "from", default, end=False) == dt.date(2024, 2, 1)
    with pytest.raises(ParamError):
        parse_month_bound("2024-14", "from", default, end=False)
    assert parse_level("all") is None and parse_level("commune") == "commune"
    with pytest.raises(ParamError, match="agency_level"):
        parse_level("ward")


def test_series_accumulates_months_and_steps() -> None:
    scope = resolve_scope(REGISTER, agency_code="H26.D1", with_children=True)
    assert [a.agency_code for a in scope.agencies] == ["H26.D1", "H26.D1.C1", "H26.D1.C2"]
    months = [(dt.date(2022, 11, 1), 1), (dt.date(2022, 12, 1), 0), (dt.date(2023, 1, 1), 2)]
    series = build_series(scope, 1, months, ROADMAP)
    assert series["inventory"] == 6
    assert [p["cumulative"] for p in series["points"]] == [2, 2, 4]
    assert series["points"][2]["coverage"] == pytest.approx(4 / 6)
    assert series["points"][0]["target"] == pytest.approx((0.30 * 4 + 0.25 * 2) / 6)
    assert series["steps"][1] == {"year": 2023, "target": pytest.approx((0.55 * 4 + 0.5 * 2) / 6)}
    assert resolve_scope(REGISTER, level="district").agencies[0].level == "district"


def test_chart_draws_a_line_and_the_target_steps() -> None:
    scope = resolve_scope(REGISTER)
    months = [(dt.date(2022, m, 1), 1) for m in range(1, 13)]
    chart = build_chart(build_series(scope, 0, months, ROADMAP))
    assert chart.coverage_path.startswith("M") and chart.coverage_path.count("L") == 12
    assert chart.target_path.count("M") == 1 and chart.last_label == percent(12 / 11)
    assert chart.y_ticks[-1].label == "125 %"        # 12/11 > 100 %: the axis grows, no cap
    assert [t.label for t in chart.x_ticks] == ["2022"]
    empty = build_chart(build_series(resolve_scope(REGISTER, agency_code="H26"), 0, months,
                                     ROADMAP))
    assert empty.coverage_path == "" and empty.target_path


def test_percent_uses_a_decimal_comma() -> None:
    assert percent(0.5534) == "55,3 %" and percent(None) == "—" and percent(1.5) == "150,0 %"


def test_csv_and_xlsx_exports_hold_the_table() -> None:
    report = build_report(REGISTER, COUNTS, ROADMAP, dt.date(2023, 6, 30))
    report["cutoff"] = "2021-12-31"
    text = to_csv(report).decode("utf-8")
    assert text.startswith("\ufeffMã cơ quan,Tên cơ quan,Cấp")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + len(REGISTER)
    assert "H26.S1,UBND H26.S1,Cấp thành phố,H26,4,2,0.5,0.55,Chậm,1,5" in lines
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    sheet = book["Theo cơ quan"]
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "H26.S1"]
    assert values == [("H26.S1", "UBND H26.S1", "Cấp thành phố", "H26", 4, 2, 0.5, 0.55,
                       "Chậm", 1, 5)]
    totals = [row for row in book["Tổng hợp"].iter_rows(values_only=True)]
    assert totals[-1][:4] == ("Toàn thành phố", len(REGISTER), 11, 5)
