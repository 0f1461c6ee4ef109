"""The capture clean-up's image functions on small generated images (no Tesseract)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from indexer.extract import capture, geometry, preprocess


def _gradient(size: tuple[int, int], top: float, bottom: float) -> np.ndarray:
    """Brightness factor from `top` (first row) to `bottom` (last row)."""
    return np.linspace(top, bottom, size[1], dtype=np.float32)[:, None].repeat(size[0], 1)


def _lit(page: Image.Image, top: float, bottom: float) -> Image.Image:
    values = np.asarray(page, np.float32) * _gradient(page.size, top, bottom)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L")


def _page_on_desk(corners: geometry.Quad, size: tuple[int, int] = (600, 800)) -> Image.Image:
    photo = Image.new("L", size, 45)
    draw = ImageDraw.Draw(photo)
    draw.polygon(list(corners), fill=235)
    # Text-like bars inside the page must not move the edges.
    cx = sum(x for x, _ in corners) / 4
    for y in range(250, 600, 30):
        draw.rectangle((cx - 150, y, cx + 150, y + 8), fill=30)
    return photo


def test_perspective_coefficients_send_corners_to_corners() -> None:
    output: geometry.Quad = ((0, 0), (100, 0), (100, 200), (0, 200))
    source: geometry.Quad = ((10, 12), (95, 5), (110, 190), (3, 210))
    a, b, c, d, e, f, g, h = geometry.perspective_coefficients(output, source)
    for (x, y), (u, v) in zip(output, source, strict=True):
        w = g * x + h * y + 1
        assert (a * x + b * y + c) / w == pytest.approx(u)
        assert (d * x + e * y + f) / w == pytest.approx(v)


def test_fit_line_ignores_outliers() -> None:
    along = np.arange(50, dtype=np.float64)
    across = 0.1 * along + 7
    across[[5, 20, 33]] = [60, -40, 90]  # a pen on the desk, a finger on the page
    slope, offset = geometry.fit_line(along, across)
    assert slope == pytest.approx(0.1, abs=1e-6) and offset == pytest.approx(7, abs=1e-5)


def test_find_page_on_a_desk_even_under_a_gradient() -> None:
    corners: geometry.Quad = ((80, 60), (530, 95), (510, 740), (60, 720))
    photo = _lit(_page_on_desk(corners), 1.0, 0.45)  # the far end lit at less than half
    found = capture.find_page(photo)
    assert found is not None
    for (x, y), (fx, fy) in zip(corners, found, strict=True):
        assert abs(x - fx) < 8 and abs(y - fy) < 8


def test_find_page_is_none_for_a_flatbed_scan() -> None:
    scan = Image.new("L", (600, 800), 250)
    ImageDraw.Draw(scan).rectangle((100, 100, 500, 120), fill=0)
    assert capture.find_page(scan) is None


def test_rectify_makes_an_upright_page_at_300_dpi() -> None:
    corners: geometry.Quad = ((80, 60), (530, 95), (510, 740), (60, 720))
    photo = _page_on_desk(corners)
    ImageDraw.Draw(photo).ellipse((95, 75, 115, 95), fill=0)  # a dot by the top-left corner
    flat = capture.rectify(photo, corners)
    assert min(flat.size) == capture.TARGET_SHORT_SIDE or flat.width == round(
        geometry.side_lengths(corners)[0] * 3
    )
    assert flat.height > flat.width  # still portrait
    values = np.asarray(flat)
    corner = values[: flat.height // 10, : flat.width // 10]
    assert corner.min() < 60  # the dot stays by the top-left corner
    assert np.median(values) > 200  # no desk left in the frame


def test_upscale_only_low_resolution() -> None:
    page = Image.new("L", (100, 140), 255)
    assert capture.upscale(page, 150).size == (200, 280)
    assert capture.upscale(page, 300) is page and capture.upscale(page, None) is page


def test_grey_closing_removes_strokes_keeps_large_dark_areas() -> None:
    values = np.full((60, 60), 240, np.float32)
    values[10:12, 5:55] = 0  # a 2-pixel stroke
    values[30:60, 30:60] = 20  # the desk
    closed = capture.grey_closing(values, 5)
    assert closed[10:12, 5:55].min() == 240
    assert closed[35:60, 35:60].max() == 20


def test_normalise_illumination_evens_out_a_dark_gradient() -> None:
    page = Image.new("L", (800, 1000), 245)
    draw = ImageDraw.Draw(page)
    for y in range(40, 960, 60):
        draw.rectangle((60, y, 740, y + 5), fill=70)  # ink lines all the way down
    dark = _lit(page, 1.0, 0.3)
    bg = capture.background(dark)
    assert capture.unevenness(bg) > capture.UNEVEN_LIGHT
    flat = np.asarray(capture.normalise_illumination(dark, bg))
    paper = flat[[y + 25 for y in range(40, 900, 60)], 400]
    ink = flat[[y + 2 for y in range(40, 960, 60)], 400]
    assert paper.min() >= 225  # white at the top and at the bottom
    assert ink.max() <= 110  # every line keeps its contrast


def test_unevenness_of_an_even_scan_is_small() -> None:
    page = Image.new("L", (800, 1000), 240)
    ImageDraw.Draw(page).rectangle((100, 100, 700, 110), fill=0)
    assert capture.unevenness(capture.background(page)) < capture.UNEVEN_LIGHT


def test_sauvola_finds_ink_in_both_halves_where_one_global_cut_cannot() -> None:
    page = Image.new("L", (400, 400), 240)
    draw = ImageDraw.Draw(page)
    for y in range(20, 380, 40):
        draw.rectangle((40, y, 360, y + 4), fill=90)
    dark = _lit(page, 1.0, 0.35)
    binary = np.asarray(capture.sauvola(dark, window=31))
    rows_with_ink = {y for y in range(20, 380, 40) if binary[y + 2, 200] == 0}
    assert rows_with_ink == set(range(20, 380, 40))
    paper_rows = [y + 20 for y in range(20, 360, 40)]
    assert (binary[paper_rows, 200] == 255).all()
    # One global cut (Otsu's) puts the dim paper at the bottom on the ink side.
    level = capture.otsu_level(dark)
    assert (np.asarray(dark)[paper_rows, 200] < level).any()


def test_otsu_level_splits_two_modes_and_whiten_above_keeps_ink() -> None:
    values = np.array([[30] * 50 + [220] * 150], np.uint8)
    image = Image.fromarray(values, mode="L")
    level = capture.otsu_level(image)
    assert 30 < level <= 220
    out = np.asarray(
        capture.whiten_above(Image.fromarray(np.array([[29, 150, 250]], np.uint8)), 140)
    )
    assert out.tolist() == [[29, 255, 255]]


def test_ink_share_counts_dim_text_and_ignores_dust() -> None:
    blank = Image.new("L", (800, 1000), 250)
    assert preprocess.ink_share(blank) == 0.0
    dim = Image.new("L", (800, 1000), 120)  # a page photographed in poor light
    draw = ImageDraw.Draw(dim)
    for y in range(100, 900, 50):
        draw.rectangle((100, y, 700, y + 6), fill=40)
    assert not preprocess.is_blank(dim)  # no pixel under 128 would be paper here, yet text
    dusty = blank.copy()
    for i in range(200):
        x, y = (i * 97) % 790, (i * 211) % 990
        ImageDraw.Draw(dusty).rectangle((x, y, x + 1, y + 1), fill=0)
    assert preprocess.is_blank(dusty)
