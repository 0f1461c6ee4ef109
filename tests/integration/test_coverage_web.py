"""The managers' pages through the Flask test client: dashboard (sorting, filters, chart),
exports, printable report and the quality review list; who may see them."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.support.coverage_fixtures import CoverageEnv, login

pytestmark = pytest.mark.services


@pytest.fixture
def manager(coverage_env: CoverageEnv) -> FlaskClient:
    client = coverage_env.client()
    login(client, "quanly")
    return client


def _codes(html: str) -> list[str]:
    """Agency codes of the agency table, in the order shown."""
    table = html.split("<h2>Theo cơ quan", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<td><code>([^<]+)</code></td>", table)


def test_anonymous_goes_to_sign_in_and_an_officer_is_refused(coverage_env: CoverageEnv
                                                             ) -> None:
    anonymous = coverage_env.client().get("/bao-cao/so-hoa?as_of=2024-12-31")
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    officer = coverage_env.client()
    login(officer, "canbo")
    for path in ("/bao-cao/so-hoa", "/bao-cao/so-hoa/in", "/bao-cao/so-hoa/xuat.csv",
                 "/bao-cao/so-hoa/chat-luong"):
        assert officer.get(path).status_code == 403, path


def test_dashboard_shows_totals_chart_and_every_agency(manager: FlaskClient) -> None:
    html = manager.get("/bao-cao/so-hoa?as_of=2024-12-31").get_data(as_text=True)
    assert "Tiến độ số hóa kết quả giải quyết TTHC còn hiệu lực" in html
    assert 'id="coverage-chart"' in html and 'class="cov-line" d="M' in html
    assert 'class="cov-target" d="M' in html
    assert len(_codes(html)) == 59 and _codes(html) == sorted(_codes(html))
    assert "Chỉ tiêu 80,0 %" in html                       # district/city target in 2024
    assert "✗ Chậm" in html and "✓ Đạt" in html and "Không có tồn" in html
    assert "H26.XX.TN" in html                                # the unregistered agency is named
    assert "<script" not in html and "style=" not in html    # CSP: nothing inline


def test_sorting_and_filters_are_query_parameters(coverage_env: CoverageEnv,
                                                  manager: FlaskClient) -> None:
    rows = coverage_env.api("/api/v1/coverage", as_of="2024-12-31").get_json()["rows"]
    by_gap = _codes(manager.get("/bao-cao/so-hoa?as_of=2024-12-31&sort=gap&dir=desc")
                    .get_data(as_text=True))
    assert by_gap == [r["agency_code"] for r in sorted(rows, key=lambda r: (-r["gap"],
                                                                           r["agency_code"]))]
    assert len({r["gap"] for r in rows}) > 1                 # the order is not trivial
    ascending = _codes(manager.get("/bao-cao/so-hoa?as_of=2024-12-31&sort=gap")
                       .get_data(as_text=True))
    assert ascending == [r["agency_code"] for r in sorted(rows, key=lambda r: (r["gap"],
                                                                              r["agency_code"]))]
    district = _codes(manager.get("/bao-cao/so-hoa?district=H26.TH").get_data(as_text=True))
    assert district == ["H26.TH", "H26.TH.NT", "H26.TH.QA", "H26.TH.TL", "H26.TH.YP"]
    today_rows = coverage_env.api("/api/v1/coverage").get_json()["rows"]
    lagging = _codes(manager.get("/bao-cao/so-hoa?status=cham&level=commune")
                     .get_data(as_text=True))
    assert lagging and lagging == [r["agency_code"] for r in today_rows
                                   if r["agency_level"] == "commune" and not r["on_track"]]
    found = _codes(manager.get("/bao-cao/so-hoa?q=kim+m%C3%A3").get_data(as_text=True))
    assert found == ["H26.BD.KM"]


def test_bad_parameters_get_a_vietnamese_400(manager: FlaskClient) -> None:
    response = manager.get("/bao-cao/so-hoa?as_of=31-12-2024")
    assert response.status_code == 400
    assert "Ngày «31-12-2024» không hợp lệ" in response.get_data(as_text=True)
    assert manager.get("/bao-cao/so-hoa?sort=holder_name").status_code == 400
    assert manager.get("/bao-cao/so-hoa?chart=KHONG.CO").status_code == 400
    assert manager.get("/bao-cao/so-hoa/xuat.pdf").status_code == 400


def test_exports_follow_the_table_on_screen(manager: FlaskClient) -> None:
    csv_response = manager.get("/bao-cao/so-hoa/xuat.csv?as_of=2023-06-30&level=district")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    lines = csv_response.get_data().decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 10 and all(",Cấp quận, huyện," in line or '"Cấp quận, huyện"' in line
                                        for line in lines[1:])
    xlsx = manager.get("/bao-cao/so-hoa/xuat.xlsx?as_of=2023-06-30")
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    assert "tính đến ngày 2023-06-30" in book["Theo cơ quan"]["A1"].value
    assert book["Tổng hợp"]["A5"].value == "Toàn thành phố"


def test_printable_report_has_the_chart_and_the_table(manager: FlaskClient) -> None:
    html = manager.get("/bao-cao/so-hoa/in?as_of=2025-12-31").get_data(as_text=True)
    assert "Báo cáo tiến độ số hóa" in html and 'id="coverage-chart"' in html
    assert "31/12/2025" in html and html.count("<tr>") >= 59


def test_quality_review_list(manager: FlaskClient) -> None:
    html = manager.get("/bao-cao/so-hoa/chat-luong").get_data(as_text=True)
    assert "3 bản ghi cần rà soát" in html
    assert "Chất lượng nhận dạng chữ thấp (2)" in html
    narrowed = manager.get("/bao-cao/so-hoa/chat-luong?flag=blank-page").get_data(as_text=True)
    assert "1 bản ghi cần rà soát" in narrowed and "52/UBND-XNHN" in narrowed
