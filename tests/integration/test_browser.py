"""An officer in a real headless Chromium: sign in, search a holder typed without diacritics,
see the record first with its validity badge, open it, see a page preview load, download the
original. Screenshots of both pages go to the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from domain.settings import Settings
from domain.text.vietnamese import fold_diacritics
from tests.conftest import SAMPLE
from tests.support.apps import make_app
from tests.support.browser import TIMEOUT_MS, launch, served
from tests.support.search_fixtures import EXPECTED_LABEL, manifest, staff, state_of, unique_holder

pytestmark = [pytest.mark.browser, pytest.mark.services]



@pytest.fixture(scope="module")
def base_url(session_settings: Settings, ingested_sample: Any) -> Iterator[str]:
    """The real app over HTTP on 127.0.0.1, in a thread."""
    assert ingested_sample.returncode == 0, ingested_sample.stdout + ingested_sample.stderr
    with served(make_app(session_settings, SOHOA_COOKIE_SECURE=False)) as url:
        yield url


def test_officer_finds_opens_previews_and_downloads(
        base_url: str, session_settings: Settings, es: Elasticsearch, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    people = staff(session_settings)
    record = unique_holder(manifest())
    query = fold_diacritics(record["holder_name"]).lower()
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(accept_downloads=True, locale="vi-VN",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        # CSP violations and script errors show up as console errors; failed requests (but the
        # browser's own favicon probe) as responses.
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)

        page.goto(f"{base_url}/")
        assert "/dang-nhap" in page.url
        page.fill("#username", people.officer)
        page.fill("#password", people.password)
        page.click("form button[type=submit]")
        page.wait_for_selector("#q")

        page.fill("#q", query)
        page.press("#q", "Enter")
        page.wait_for_selector("ol.hits li.hit")
        first = page.locator("ol.hits li.hit").first
        href = first.locator("a.hit-title").get_attribute("href") or ""
        assert href.startswith(f"/ket-qua/{record['result_id']}"), href
        badge = first.locator(".badge").inner_text().strip()
        assert badge == EXPECTED_LABEL[state_of(record)]
        assert first.locator("mark").count() > 0, "the holder's name is highlighted"
        page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

        first.locator("a.hit-title").click()
        page.wait_for_selector(".record-head h1")
        assert record["result_id"] in page.content()
        assert page.locator(".record-head .badge").inner_text().strip() == badge
        thumb = page.locator(".thumbs img").first
        thumb.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        assert thumb.evaluate("img => img.naturalWidth") == 240
        page.screenshot(path=str(tmp_path / "record.png"), full_page=True)

        with page.expect_download() as download_info:
            page.locator(".files a.button").first.click()
        downloaded = Path(download_info.value.path())
        assert downloaded.read_bytes() == (SAMPLE / record["files"][0]).read_bytes()
        browser.close()
    assert not problems, problems
    print(f"screenshots: {tmp_path / 'results.png'} {tmp_path / 'record.png'}")
