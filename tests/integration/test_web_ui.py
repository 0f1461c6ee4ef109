"""The staff web pages through Flask's test client, on the real services and the sample corpus:
sign-in guard, search with filters/facets/sorting/paging, escaping, the record page, downloads,
page previews, and the page shown when Elasticsearch is down."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from flask.testing import FlaskClient
from PIL import Image

from domain.settings import Settings
from domain.text.vietnamese import fold_diacritics
from tests.conftest import SAMPLE
from tests.support.apps import make_app
from tests.support.search_fixtures import (
    EXPECTED_LABEL,
    ingest_markup_record,
    manifest,
    staff,
    state_of,
    unique_holder,
    web_login,
)

pytestmark = pytest.mark.services

HIT_RE = re.compile(r'<a class="hit-title" href="/ket-qua/([^"?]+)[^"]*">')
BADGE_RE = re.compile(r'<span class="badge ([a-z-]+)">([^<]+)</span>')
COUNT_LINK_RE = re.compile(r'<a href="([^"]+)"[^>]*>\s*([^<]+?)\s*</a>\s*<span class="count">(\d+)')
TOTAL_RE = re.compile(r"Tìm thấy <strong>([\d.]+)</strong> kết quả")


def hits_of(page: str) -> list[str]:
    return HIT_RE.findall(page)


def total_of(page: str) -> int:
    found = TOTAL_RE.search(page)
    return int(found.group(1).replace(".", "")) if found else 0


@pytest.fixture(scope="module")
def sample(ingested_sample: Any) -> list[dict[str, Any]]:
    assert ingested_sample.returncode == 0, ingested_sample.stdout + ingested_sample.stderr
    return manifest()


@pytest.fixture(scope="module")
def web(session_settings: Settings, es: Elasticsearch, sample: list[dict[str, Any]],
        tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    marked = ingest_markup_record(session_settings, es, tmp_path_factory.mktemp("t4-web"))
    assert marked.returncode == 0, marked.stdout + marked.stderr
    client = make_app(session_settings).test_client()
    people = staff(session_settings)
    web_login(client, people.officer, people.password)
    return client


def get_page(web: FlaskClient, url: str, status: int = 200) -> str:
    response = web.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_pages_need_a_staff_sign_in(session_settings: Settings, sample: Any) -> None:
    anonymous = make_app(session_settings).test_client()
    rid = sample[0]["result_id"]
    for url in ("/?q=x", f"/ket-qua/{rid}", f"/ket-qua/{rid}/tep/1", f"/ket-qua/{rid}/trang/1.png"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_managers_may_search_too(session_settings: Settings, web: FlaskClient) -> None:
    client = make_app(session_settings).test_client()
    people = staff(session_settings)
    web_login(client, people.manager, people.password)
    assert client.get("/?q=giay+phep").status_code == 200


def test_holder_typed_without_marks_comes_first_with_its_badge(
        web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    record = unique_holder(sample)
    query = fold_diacritics(record["holder_name"]).lower()
    page = get_page(web, f"/?q={query}")
    assert hits_of(page)[0] == record["result_id"]
    first_badge = BADGE_RE.search(page.split('class="hit-title"', 1)[1])
    assert first_badge.groups() == (state_of(record), EXPECTED_LABEL[state_of(record)])
    assert "<mark>" in page and f'value="{query}"' in page
    assert " style=" not in page and "<script>" not in page  # CSP: nothing inline


def test_markup_in_records_is_escaped(web: FlaskClient) -> None:
    page = get_page(web, "/?q=zqxmarkup")
    assert hits_of(page)[0] == "T4-MARKUP-0001"
    assert "&lt;Thử&gt;" in page and "<Thử>" not in page
    assert "&lt;b&gt;" in page and "<b>in" not in page and "<script>x" not in page
    record = get_page(web, "/ket-qua/T4-MARKUP-0001")
    assert "&lt;script&gt;x&lt;/script&gt;" in record and "<script>x" not in record


def test_facet_links_narrow_to_their_counts(web: FlaskClient) -> None:
    page = get_page(web, "/?q=nguyen")
    links = COUNT_LINK_RE.findall(page)
    assert len(links) >= 5
    for href, label, count in links[:8]:
        narrowed = get_page(web, href.replace("&amp;", "&"))
        assert total_of(narrowed) == int(count), (label, href)


def test_valid_only_is_one_click(web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    page = get_page(web, "/?q=phan+dinh+toan")
    href = re.search(r'<a href="([^"]*valid_only=1[^"]*)">Còn hiệu lực</a>', page).group(1)
    narrowed = get_page(web, href.replace("&amp;", "&"))
    badges = [b for b, _ in BADGE_RE.findall(narrowed)]
    assert badges and set(badges) == {"valid"}
    assert 'class="chip"' in narrowed  # the active filter can be removed in one click too
    assert 0 < total_of(narrowed) < total_of(page)


def test_form_filters_apply(web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    record = sample[0]
    page = get_page(web, f"/?agency_code={record['agency_code']}&agency_level="
                         f"{record['agency_level']}&issued_to={record['issued_on']}")
    expected = {r["result_id"] for r in sample if r["agency_code"] == record["agency_code"]
                and r["issued_on"] <= record["issued_on"]}
    assert set(hits_of(page)) == expected
    assert f'<option value="{record["agency_code"]}" selected>' in page


def test_sort_and_pagination_links(web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    page = get_page(web, "/")
    assert total_of(page) >= len(sample) and len(hits_of(page)) == 10
    newest = re.search(r'<a href="([^"]+)">Mới ban hành trước</a>', page).group(1)
    ordered = get_page(web, newest.replace("&amp;", "&"))
    newest_day = max(r["issued_on"] for r in sample)
    assert any(r["issued_on"] == newest_day and r["result_id"] == hits_of(ordered)[0]
               for r in sample)
    following = re.search(r'<a href="([^"]+)" rel="next">', ordered).group(1)
    second = get_page(web, following.replace("&amp;", "&"))
    assert "sort=issued_on" in following and not set(hits_of(second)) & set(hits_of(ordered))


@pytest.mark.parametrize("query", ['"', "(", "[", "\\", "a\\b", "<b>", "zzqqxx-nothing", "ạ" * 300])
def test_odd_queries_render(web: FlaskClient, query: str) -> None:
    response = web.get("/", query_string={"q": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<b>" not in page.split('class="results"', 1)[1]


def test_bad_parameter_is_explained(web: FlaskClient) -> None:
    page = get_page(web, "/?q=abc&page=zero", status=400)
    assert "Tham số không hợp lệ" in page and "page must be a whole number" in page


def test_record_page_shows_validity_and_replacement(
        web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    old = next(r for r in sample if r.get("replaced_by"))
    page = get_page(web, f"/ket-qua/{old['result_id']}")
    assert EXPECTED_LABEL["replaced"] in page and old["holder_name"] in page
    assert f'href="/ket-qua/{old["replaced_by"]}"' in page
    newer = get_page(web, f"/ket-qua/{old['replaced_by']}")
    assert "Thay thế cho" in newer and f'href="/ket-qua/{old["result_id"]}"' in newer
    assert get_page(web, "/ket-qua/NO-SUCH-ID", status=404).count("Không tìm thấy") >= 1


def test_download_is_the_original(web: FlaskClient, sample: list[dict[str, Any]]) -> None:
    record = next(r for r in sample if len(r["files"]) == 2)
    for n, name in enumerate(record["files"], start=1):
        response = web.get(f"/ket-qua/{record['result_id']}/tep/{n}")
        assert response.status_code == 200
        assert response.data == (SAMPLE / name).read_bytes()
        assert response.headers["Content-Disposition"].startswith("attachment")
    inline = web.get(f"/ket-qua/{record['result_id']}/tep/1?xem=1")
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.data == (SAMPLE / record["files"][0]).read_bytes()
    for n in (0, 3):
        assert web.get(f"/ket-qua/{record['result_id']}/tep/{n}").status_code == 404


@pytest.mark.parametrize("suffix", [".pdf", ".jpg", ".png", ".tif"])
def test_page_previews_render(web: FlaskClient, sample: list[dict[str, Any]], suffix: str) -> None:
    record = next(r for r in sample if r["files"][-1].endswith(suffix))
    base = f"/ket-qua/{record['result_id']}/trang"
    record_page = get_page(web, f"/ket-qua/{record['result_id']}")
    pages = len(re.findall(r'<img src="[^"]+/trang/\d+\.png"', record_page))
    assert pages >= 1
    for n in range(1, pages + 1):
        for width in (240, 1200):
            response = web.get(f"{base}/{n}.png?w={width}")
            assert response.status_code == 200 and response.mimetype == "image/png"
            with Image.open(io.BytesIO(response.data)) as image:
                assert image.width == width and image.height > width  # a portrait page
    for bad in (f"{base}/0.png", f"{base}/{pages + 1}.png", f"{base}/1.png?w=999"):
        assert web.get(bad).status_code == 404, bad


def test_search_down_page(session_settings: Settings, web: FlaskClient) -> None:
    """ES unreachable: the signed-in officer gets a Vietnamese 'unavailable' page with 503."""
    down = make_app(replace(session_settings, es_url="http://127.0.0.1:9")).test_client()
    cookie = web.get_cookie("sohoa_session")
    assert cookie is not None
    down.set_cookie("sohoa_session", cookie.value)
    response = down.get("/?q=phan+dinh+toan")
    assert response.status_code == 503
    assert "Dịch vụ tra cứu tạm thời không khả dụng" in response.get_data(as_text=True)
