"""An officer at the desk in a real headless Chromium: upload a scan on `/tai-len`, watch its
progress until the record waits for review, find it in `/duyet`, open it beside its scan with
the focus on the first uncertain field, and confirm it with Enter alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from domain.agencies import AgencyStore, parse_register
from domain.records import RecordFile, content_result_id
from domain.settings import Settings
from tests.conftest import SAMPLE, WorkerProcess
from tests.support.apps import make_app
from tests.support.browser import TIMEOUT_MS, launch, served
from tests.support.security_fixtures import create_staff

pytestmark = [pytest.mark.browser, pytest.mark.services]

SCAN = SAMPLE / "files" / "H26.BD-230705-00051.png"


@pytest.fixture(scope="module")
def base_url(session_settings: Settings, es: Elasticsearch, worker: WorkerProcess
             ) -> Iterator[str]:
    agencies, _ = parse_register((SAMPLE / "agencies.csv").read_text(encoding="utf-8"))
    AgencyStore(es, session_settings).load(agencies)
    with served(make_app(session_settings, SOHOA_COOKIE_SECURE=False)) as url:
        yield url


def test_upload_a_scan_then_review_it_with_the_keyboard(
        base_url: str, session_settings: Settings, es: Elasticsearch, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    people = create_staff(session_settings, es)
    result_id = content_result_id([RecordFile(SCAN.name, SCAN)])
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base_url}/tai-len")
        page.fill("#username", people.officer)
        page.fill("#password", people.password)
        page.click("form button[type=submit]")
        page.wait_for_selector("#upload-form")

        page.set_input_files("#files", str(SCAN))
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-list li progress")  # per-file progress
        page.wait_for_selector("#upload-list li.done", timeout=180_000)  # OCR done, queued
        page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)

        index = session_settings.index_name("results")
        es.indices.refresh(index=index)
        uploaded = es.get(index=index, id=result_id)["_source"]
        assert uploaded["review"]["state"] == "pending", uploaded.get("review")
        page.goto(f"{base_url}/duyet")
        row = page.locator(f"tr[data-result-id='{result_id}']")
        assert row.count() == 1
        row.locator("a").click()
        page.wait_for_selector("form.review-form")
        assert page.locator(".review-scan img").count() >= 1
        scan = page.locator(".review-scan img").first
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=scan.element_handle())
        focused = page.evaluate("() => document.activeElement && document.activeElement.name")
        assert focused, "a field has the focus"
        uncertain = page.locator(".field.uncertain input, .field.uncertain textarea")
        if uncertain.count():
            assert focused == uncertain.first.get_attribute("name")
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
        if focused == "other_parties":  # Enter in a textarea is a new line; Tab to a field
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: result_id not in url)
        browser.close()
    es.indices.refresh(index=session_settings.index_name("results"))
    record = es.get(index=session_settings.index_name("results"), id=result_id)["_source"]
    assert record["review"]["state"] == "confirmed"
    assert record["review"]["confirmed_by"] == people.officer
    assert not problems, problems
