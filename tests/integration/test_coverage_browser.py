"""A manager in a real headless Chromium: sign in, open the coverage dashboard, see the
server-rendered SVG chart, sort the table, open the printable report. Screenshots go to the
test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import TIMEOUT_MS, launch, served
from tests.support.coverage_fixtures import PASSWORD, CoverageEnv

pytestmark = [pytest.mark.browser, pytest.mark.services]



@pytest.fixture(scope="module")
def base_url(coverage_env: CoverageEnv) -> Iterator[str]:
    with served(coverage_env.app) as url:
        yield url


def test_manager_sees_the_dashboard_with_its_chart(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        # CSP violations (an inline style or script) show up as console errors; the browser's
        # own favicon request (no favicon is served) is not the page's doing.
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{base_url}/bao-cao/so-hoa?as_of=2024-12-31")
        assert "/dang-nhap" in page.url
        page.fill("#username", "quanly")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_selector("#coverage-chart")
        assert "/bao-cao/so-hoa" in page.url and "as_of=2024-12-31" in page.url

        chart = page.locator("#coverage-chart")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
        line = page.locator("#coverage-chart path.cov-line")
        target = page.locator("#coverage-chart path.cov-target")
        assert line.count() == 1 and len(line.get_attribute("d") or "") > 20
        assert target.count() == 1 and (target.get_attribute("d") or "").count("L") > 10
        line_box = line.bounding_box()
        assert line_box and line_box["width"] > 100       # drawn across the months, not a dot
        assert page.locator(".cov-total").count() == 4
        assert page.locator("table.cov-table tbody tr").first.is_visible()
        assert page.locator(".cov-mark.lag").count() > 0
        assert page.locator(".cov-mark.ok").count() > 0
        page.screenshot(path=str(tmp_path / "coverage-dashboard.png"), full_page=True)

        # Sorting is a plain link: lowest coverage first, then the reverse on a second click.
        page.click("th a:has-text('Tỷ lệ')")
        page.wait_for_url("**sort=coverage**")
        first = page.locator("table.cov-table tbody tr").first.locator("td").nth(5).inner_text()
        assert first.strip().endswith("0,0 %"), first

        # A district with its communes in the chart, chosen through the chart's form.
        page.select_option("select[name=chart]", "H26.TH")
        page.check("input[name=children]")
        page.click(".cov-chart-scope button")
        page.wait_for_url("**chart=H26.TH**")
        assert "UBND quận Tây Hồ" in page.locator("#bieu-do h2").inner_text()
        assert len(page.locator("#coverage-chart path.cov-line").get_attribute("d") or "") > 20

        page.goto(f"{base_url}/bao-cao/so-hoa/in?as_of=2024-12-31")
        page.emulate_media(media="print")
        assert page.locator("#coverage-chart").is_visible()
        assert not page.locator("header.topbar").is_visible()      # print CSS hides the bar
        page.screenshot(path=str(tmp_path / "coverage-print.png"), full_page=True)
        browser.close()
    assert (tmp_path / "coverage-dashboard.png").stat().st_size > 10_000
    assert problems == []
