"""Issue 16 (part B), the pure side: every input bounded, refused with a reason, never a crash.

JSON nesting, the result_id character set, field types and ID formats at intake, file checks
before anything is stored, distinct upload names, coverage dates at the calendar's edges,
whole numbers, preview pixel caps, the gunicorn worker's JSON answers and the sampling of
failed sign-ins in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.audit.sampling import FailureSampler, is_sampled
from app.coverage.params import ParamError, parse_bool, parse_month_bound
from app.coverage.queries import _month_starts
from app.coverage.series import MAX_SERIES_MONTHS, latest_start, months_spanned
from app.gunicorn_worker import problem_bytes
from app.previews import MAX_ASPECT, max_preview_pixels, preview_path, scale_options
from app.uploads import distinct_name, save_uploads
from domain import jsonbounds
from domain.records import (
    RecordError,
    is_valid_result_id,
    parse_manifest_lines,
    read_manifest,
    validate_record,
)
from domain.settings import Settings
from domain.wholenumber import whole_number
from indexer.extract.model import ExtractionError
from indexer.extract.precheck import check_readable
from tests.support.paths import BAD, SAMPLE, SHARED
from tests.support.pdfs import text_pdf

MB = 2**20


# --- JSON nesting -------------------------------------------------------------------------

def test_deep_json_is_a_value_error_not_a_recursion_error() -> None:
    for text in ("[" * 2000, '{"a":' * 2000, "[" * 2000 + "]" * 2000):
        with pytest.raises(ValueError, match="nested more than"):
            jsonbounds.loads(text)
    assert jsonbounds.loads(b'{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}') == \
        {"a": [1, {"b": "[" * 36}]}
    assert jsonbounds.nesting_depth('["\\"[", [[]]]') == 3


def test_a_deeply_nested_manifest_line_is_a_line_error(tmp_path: Path) -> None:
    records, errors = parse_manifest_lines(["[" * 2000, "{}"], tmp_path, MB)
    assert not records and [e.line_no for e in errors] == [1, 2]
    assert "nested" in errors[0].reason


# --- intake: result_id, types, ID numbers ---------------------------------------------------

def _record(tmp_path: Path, **fields: Any) -> dict[str, Any]:
    (tmp_path / "a.txt").write_text("Giấy phép", encoding="utf-8")
    return {"result_id": "H26.X-240101-00001", "agency_code": "H26.X",
            "issued_on": "2024-01-01", "files": ["a.txt"], **fields}


@pytest.mark.parametrize("result_id", [
    "a/b", "../etc", "a..b", "..", ".hidden", "-x", "Hồ-sơ", "a b", "x" * 129, "a\\b", "a%2Fb",
    "", "a\n", 12,
])
def test_result_ids_outside_the_character_set_are_refused(tmp_path: Path,
                                                          result_id: Any) -> None:
    assert not is_valid_result_id(result_id)
    with pytest.raises(RecordError):
        validate_record(_record(tmp_path, result_id=result_id), 1, tmp_path, MB)


def test_every_corpus_result_id_passes() -> None:
    for manifest in (SAMPLE / "manifest.jsonl", SHARED / "corpus" / "dev-text" / "manifest.jsonl"):
        records, errors = read_manifest(manifest, 100 * MB)
        assert records and not errors, errors[:3]
        assert all(is_valid_result_id(r.result_id) for r in records)


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"holder_id_number": {"$gt": ""}}, "must be a string"),
    ({"holder_id_number": ["001082489830"]}, "must be a string"),
    ({"holder_id_number": 1082489830}, "must be a string"),
    ({"holder_id_number": "00108248983"}, "12 digits"),
    ({"holder_id_number": "001-082-489-830"}, "12 digits"),
    ({"holder_id_number": "００１０８２４８９８３０"}, "12 digits"),
    ({"holder_name": {"x": 1}}, "must be a string"),
    ({"summary": "x" * 5000}, "over 4000"),
    ({"other_parties": [{"name": "A", "id_number": ["1"]}]}, "12 digits"),
    ({"other_parties": [{"name": 5}]}, "must be a string"),
    ({"replaced_by": "../x"}, "replaced_by"),
])
def test_wrong_types_and_id_formats_are_refused(tmp_path: Path, fields: dict,
                                                fragment: str) -> None:
    with pytest.raises(RecordError, match=fragment):
        validate_record(_record(tmp_path, **fields), 1, tmp_path, MB)


def test_valid_id_numbers_and_absent_fields_pass(tmp_path: Path) -> None:
    for fields in ({"holder_id_number": "001082489830"}, {"holder_id_number": "012345678"},
                   {"holder_id_number": None}, {"other_parties": [{"name": "B"}]}, {}):
        assert validate_record(_record(tmp_path, **fields), 1, tmp_path, MB).result_id


# --- intake: files ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "code"), [
    ("empty.pdf", "empty-file"), ("encrypted.pdf", "encrypted-pdf"),
    ("html-named.pdf", "content-mismatch"), ("bomb.png", "decompression-bomb"),
    ("truncated.png", "truncated-image"),
])
def test_bad_files_are_refused_before_the_worker(name: str, code: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        check_readable(BAD / "files" / name)
    assert caught.value.code == code


def test_truncated_pdf_and_bad_text_are_refused(tmp_path: Path) -> None:
    source = next(SAMPLE.glob("files/*.pdf")).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(source[: len(source) // 2])
    (tmp_path / "bytes.txt").write_bytes(b"\x81\x82\x83 \xfe\xfd")
    for name in ("cut.pdf", "bytes.txt"):
        with pytest.raises(ExtractionError):
            check_readable(tmp_path / name)


def test_good_files_pass_the_check() -> None:
    for suffix in ("pdf", "png", "jpg"):
        for path in sorted(SAMPLE.glob(f"files/*.{suffix}"))[:2]:
            assert check_readable(path)
    assert check_readable(BAD / "files" / "note.txt") == "text/plain"


def test_uploads_with_one_name_are_all_kept(tmp_path: Path) -> None:
    assert distinct_name("scan.png", set()) == "scan.png"
    assert distinct_name("scan.png", {"scan.png", "scan-2.png"}) == "scan-3.png"
    uploads = [FileStorage(io.BytesIO(body), filename=name) for body, name in
               ((b"one", "scan.txt"), (b"two", "scan.txt"), (b"three", "../scan.txt"))]
    names = save_uploads(uploads, tmp_path)
    assert names == ["scan.txt", "scan-2.txt", "scan-3.txt"]
    assert [(tmp_path / n).read_bytes() for n in names] == [b"one", b"two", b"three"]


# --- coverage dates at the edges ----------------------------------------------------------

def test_months_reach_the_calendars_edges_without_overflow() -> None:
    months = _month_starts(dt.date(9999, 11, 1), dt.date(9999, 12, 31))
    assert months == [dt.date(9999, 11, 1), dt.date(9999, 12, 1)]
    assert _month_starts(dt.date(1, 1, 1), dt.date(1, 2, 1))[0] == dt.date(1, 1, 1)
    for end in (dt.date(9999, 12, 31), dt.date(2026, 3, 4), dt.date(1, 1, 1)):
        assert months_spanned(latest_start(end), end) <= MAX_SERIES_MONTHS


def test_month_bounds_refuse_year_zero_and_strict_flags() -> None:
    with pytest.raises(ParamError):
        parse_month_bound("0000-01", "from", dt.date(2022, 1, 1), end=False)
    assert parse_month_bound("9999-12", "to", dt.date(2022, 1, 1), end=True) == \
        dt.date(9999, 12, 31)
    assert parse_bool("Yes", "with_children") and not parse_bool("", "with_children")
    with pytest.raises(ParamError, match="with_children"):
        parse_bool("maybe", "with_children")


def test_whole_numbers() -> None:
    assert [whole_number(t) for t in ("30", "30.0", " 7 ", "0")] == [30, 30, 7, 0]
    assert [whole_number(t) for t in ("30.5", "+5", "-1", "٥", "1_000", "1e3", "")] == \
        [None] * 7


# --- previews -----------------------------------------------------------------------------

def test_scale_options_keep_previews_in_the_box() -> None:
    assert scale_options((595, 842), 1200) == ["-scale-to-x", "1200", "-scale-to-y", "-1"]
    assert scale_options((600, 60000), 1200) == ["-scale-to-x", "-1", "-scale-to-y", "3600"]


def _preview_record(settings: Settings, original: Path, media_type: str) -> dict[str, Any]:
    sha = hashlib.sha256(original.read_bytes()).hexdigest()
    key = f"{sha[:2]}/{sha}{original.suffix}"
    (settings.originals_dir / key).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(original, settings.originals_dir / key)
    return {"files": [{"name": original.name, "media_type": media_type, "pages": 1,
                       "sha256": sha, "storage_key": key}]}


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_a_very_tall_page_gets_a_bounded_preview(tmp_path: Path, kind: str) -> None:
    settings = replace(Settings(), data_dir=tmp_path / "var")
    if kind == "pdf":
        original = text_pdf(tmp_path / "tall.pdf", 600, 120_000)  # 1:200, a crafted page
        media_type = "application/pdf"
    else:
        original = tmp_path / "tall.png"
        Image.new("L", (300, 90_000), 255).save(original)
        media_type = "image/png"
    record = _preview_record(settings, original, media_type)
    for width in (240, 1200):
        with Image.open(preview_path(settings, record, 1, width)) as preview:
            assert preview.width <= width and preview.height <= width * MAX_ASPECT
            assert preview.width * preview.height <= max_preview_pixels(width)


# --- gunicorn's refusals, as JSON ---------------------------------------------------------

def test_gunicorn_refusals_are_the_json_problem() -> None:
    for exc, status in ((LimitRequestLine(9000, 8190), 414), (LimitRequestHeaders("x"), 431)):
        raw = problem_bytes(exc)
        assert raw is not None
        head, body = raw.split(b"\r\n\r\n", 1)
        assert head.startswith(f"HTTP/1.1 {status} ".encode())
        assert b"Content-Type: application/json" in head
        assert json.loads(body)["status"] == status
        assert f"Content-Length: {len(body)}".encode() in head
    assert problem_bytes(ValueError("other")) is None


# --- failed sign-ins in the audit log -----------------------------------------------------

class FakeRedis:
    """incr/expire through a pipeline: all the sampler needs."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def pipeline(self, transaction: bool = True) -> FakeRedis.Pipe:
        return FakeRedis.Pipe(self)

    class Pipe:
        def __init__(self, owner: FakeRedis) -> None:
            self.owner, self.results = owner, []

        def incr(self, key: str) -> None:
            self.owner.values[key] = self.owner.values.get(key, 0) + 1
            self.results.append(self.owner.values[key])

        def expire(self, key: str, seconds: int) -> None:
            self.results.append(True)

        def execute(self) -> list:
            return self.results


def test_a_burst_of_failures_leaves_a_logarithmic_trace() -> None:
    assert [n for n in range(1, 70) if is_sampled(n)] == [1, 2, 4, 8, 16, 32, 64]
    sampler = FailureSampler(FakeRedis(), "t", window_s=900, cap=200)  # type: ignore[arg-type]
    samples = [sampler.sample("citizen.login:failure", "10.0.0.1", now=1000.0)
               for _ in range(1000)]
    recorded = [s for s in samples if s.record]
    assert [s.attempts for s in recorded] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    # A new window starts a new count.
    assert sampler.sample("citizen.login:failure", "10.0.0.1", now=1900.0).attempts == 1


def test_many_addresses_are_capped_per_window() -> None:
    sampler = FailureSampler(FakeRedis(), "t", window_s=900, cap=50)  # type: ignore[arg-type]
    samples = [sampler.sample("staff.login:failure", f"10.0.{n // 250}.{n % 250}", now=5.0)
               for n in range(500)]
    recorded = [s for s in samples if s.record]
    assert len(recorded) == 50 and recorded[-1].capped
    assert not any(s.capped for s in recorded[:-1])
