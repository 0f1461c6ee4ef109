"""Clean-up of camera captures before OCR: find the page, flatten it, even out the light, binarise.

Pure functions on greyscale Pillow images (mode "L"); nothing here runs Tesseract.
- `find_page`: the page's four corners on a darker desk, or None when no desk is visible (a
  flatbed scan). Each side is found from the desk inwards as the first jump in brightness by a
  factor, which a smooth light gradient or a shadow does not change (both multiply desk and
  paper alike), then a straight line is fitted through the side's points.
- `rectify`: the page warped to an upright rectangle at the resolution Tesseract wants; this
  undoes the perspective tilt and the rotation in one resampling.
- `normalise_illumination`: the paper's own brightness estimated (text removed by a grey
  closing at low resolution) and divided out, so a page half in shadow becomes evenly white.
- `sauvola`: adaptive threshold per neighbourhood (integral images), not one global cut.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from indexer.extract.geometry import (
    Quad,
    fit_line,
    intersect,
    perspective_coefficients,
    shrink,
    side_lengths,
)

_FIND_SIDE = 480  # longest side of the working copy for page finding
_EDGE_RATIO = 1.6  # paper at least this much brighter than the desk next to it
_EDGE_STEP = 30  # and at least this many grey levels brighter
_MIN_SIDE_HITS = 0.35  # share of scan lines that must see the edge for a side to count
_MAX_DEPTH = 0.4  # an edge is looked for in the outer 40 % of the frame only
_MIN_PAGE_SHARE = 0.3  # a found page covers at least this much of the frame
# Shorter side of the rectified page: an A4/Letter page's width at 300 dpi, what Tesseract's
# models are trained for. A photo carries no real resolution (phones write 72 dpi).
TARGET_SHORT_SIDE = 2480
TARGET_DPI = 300
_MAX_UPSCALE = 3.0
_BACKGROUND_REDUCE = 8
_BACKGROUND_WINDOW = 9  # at 1/8 scale: 72 px at 300 dpi, wider than any letter stroke
UNEVEN_LIGHT = 0.12  # background brightness spread (p95-p5 over p95) above which to normalise


def _working_copy(grey: Image.Image) -> tuple[np.ndarray, float]:
    scale = max(grey.size) / _FIND_SIDE
    small = grey.convert("L")
    if scale > 1:
        small = small.resize(
            (max(1, round(grey.width / scale)), max(1, round(grey.height / scale))),
            Image.Resampling.BOX,
        )
    # Text and noise away (grey closing), the page's edge kept where it is.
    return grey_closing(np.asarray(small, np.float32), 5), max(scale, 1.0)


def _sliding(values: np.ndarray, size: int, axis: int, pick: str) -> np.ndarray:
    half = size // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (half, half)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(values, pad, mode="edge"), size, axis=axis
    )
    return windows.max(axis=-1) if pick == "max" else windows.min(axis=-1)


def grey_closing(values: np.ndarray, size: int) -> np.ndarray:
    """Max then min over size x size squares (separably): dark marks narrower than the square
    (letters, specks) disappear into the paper, large dark areas (desk, shadow) stay."""
    for pick in ("max", "min"):
        values = _sliding(_sliding(values, size, 0, pick), size, 1, pick)
    return values


def _edge_depths(profiles: np.ndarray) -> np.ndarray:
    """Per row of `profiles` (brightness from the frame edge inwards): the index of the first
    pixel clearly brighter than the desk at the row's start, or -1 when there is none."""
    desk = np.median(profiles[:, :3], axis=1, keepdims=True)
    bright = (profiles >= desk * _EDGE_RATIO) & (profiles >= desk + _EDGE_STEP)
    first = np.argmax(bright, axis=1)
    return np.where(bright.any(axis=1) & (first > 0), first, -1)


def _side(profiles: np.ndarray, positions: np.ndarray) -> tuple[float, float] | None:
    """Line (depth = slope * position + offset) through one side's edge points, if enough."""
    depths = _edge_depths(profiles)
    hit = depths >= 0
    if hit.mean() < _MIN_SIDE_HITS:
        return None
    return fit_line(positions[hit].astype(np.float64), depths[hit].astype(np.float64))


def find_page(grey: Image.Image) -> Quad | None:
    """Corners of the page (full-resolution pixels) when it lies on a visibly darker desk."""
    a, scale = _working_copy(grey)
    h, w = a.shape
    if min(h, w) < 40:
        return None
    dx, dy = max(2, int(w * _MAX_DEPTH)), max(2, int(h * _MAX_DEPTH))
    rows, cols = np.arange(h), np.arange(w)
    sides = {
        "left": _side(a[:, :dx], rows),
        "right": _side(a[:, ::-1][:, :dx], rows),
        "top": _side(a.T[:, :dy], cols),
        "bottom": _side(a.T[:, ::-1][:, :dy], cols),
    }
    if sum(s is not None for s in sides.values()) < 2:
        return None  # no desk: a scan, or a photo framed on the page
    # A side without desk is the frame's own edge there.
    left = sides["left"] or (0.0, 0.0)
    right = sides["right"] or (0.0, 0.0)
    top = sides["top"] or (0.0, 0.0)
    bottom = sides["bottom"] or (0.0, 0.0)
    # Depths count from each frame edge; turn them into x = f(y) and y = f(x) lines.
    x_left = (left[0], left[1])
    x_right = (-right[0], (w - 1) - right[1])
    y_top = (top[0], top[1])
    y_bottom = (-bottom[0], (h - 1) - bottom[1])
    corners = (
        intersect(x_left, y_top),
        intersect(x_right, y_top),
        intersect(x_right, y_bottom),
        intersect(x_left, y_bottom),
    )
    width, height = side_lengths(corners)
    if width * height < _MIN_PAGE_SHARE * w * h:
        return None
    # A hair inside the paper's edge: the page border, not a strip of desk, is what is kept.
    inner = shrink(corners, 0.004)
    return tuple((x * scale, y * scale) for x, y in inner)  # type: ignore[return-value]


def rectify(grey: Image.Image, quad: Quad) -> Image.Image:
    """The page inside `quad` as an upright rectangle at about TARGET_DPI."""
    width, height = side_lengths(quad)
    factor = min(_MAX_UPSCALE, TARGET_SHORT_SIDE / max(1.0, min(width, height)))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    target: Quad = ((0, 0), (size[0], 0), (size[0], size[1]), (0, size[1]))
    coefficients = perspective_coefficients(target, quad)
    return grey.transform(
        size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=255
    )


def upscale(grey: Image.Image, dpi: int | None, target_dpi: int = TARGET_DPI) -> Image.Image:
    """Resample a low-resolution capture up to `target_dpi` (Tesseract reads small glyphs
    poorly); images at or above it are returned as they are."""
    if not dpi or dpi >= target_dpi:
        return grey
    factor = min(_MAX_UPSCALE, target_dpi / dpi)
    size = (round(grey.width * factor), round(grey.height * factor))
    return grey.resize(size, Image.Resampling.BICUBIC)


def background(grey: Image.Image) -> Image.Image:
    """The paper's brightness without the text, at 1/8 resolution (grey closing, then blur)."""
    small = grey.convert("L").reduce(_BACKGROUND_REDUCE) if min(grey.size) >= 80 else grey
    closed = grey_closing(np.asarray(small, np.float32), _BACKGROUND_WINDOW)
    image = Image.fromarray(closed.astype(np.uint8), mode="L")
    return image.filter(ImageFilter.GaussianBlur(2))


def unevenness(bg: Image.Image) -> float:
    """How far the paper's brightness strays across the page: 0 for an even flatbed scan."""
    values = np.asarray(bg, np.float32)
    p5, p95 = np.percentile(values, [5, 95])
    return float((p95 - p5) / max(p95, 1.0))


def normalise_illumination(grey: Image.Image, bg: Image.Image | None = None) -> Image.Image:
    """`grey` divided by its background: paper becomes white everywhere, ink keeps its contrast."""
    grey = grey.convert("L")
    bg = background(grey) if bg is None else bg
    full = np.asarray(bg.resize(grey.size, Image.Resampling.BILINEAR), np.float32)
    values = np.asarray(grey, np.float32) * 255.0 / np.maximum(full, 8.0)
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L")


def _box_mean(values: np.ndarray, half: int) -> np.ndarray:
    """Mean over the (2*half+1)^2 window around each pixel, edges mirrored (running sums)."""
    size = 2 * half + 1
    padded = np.pad(values, half, mode="reflect")
    for axis in (0, 1):
        sums = np.cumsum(padded, axis=axis)
        sums = np.concatenate([np.zeros_like(sums.take([0], axis=axis)), sums], axis=axis)
        n = sums.shape[axis]
        padded = sums.take(range(size, n), axis=axis) - sums.take(range(0, n - size), axis=axis)
    return padded / (size * size)


def sauvola(grey: Image.Image, window: int = 41, k: float = 0.2) -> Image.Image:
    """Sauvola's threshold T = m * (1 + k * (s / 128 - 1)) per window; ink black, rest white.

    Local mean and deviation vary slowly, so they are computed at half resolution and
    interpolated back: four times cheaper, the same cut within a grey level or two.
    """
    grey = grey.convert("L")
    half_size = (max(1, grey.width // 2), max(1, grey.height // 2))
    small = np.asarray(grey.resize(half_size, Image.Resampling.BOX), np.float64)
    half = max(1, window // 4)
    mean = _box_mean(small, half)
    spread = np.sqrt(np.maximum(_box_mean(small * small, half) - mean * mean, 0.0))
    threshold = (mean * (1.0 + k * (spread / 128.0 - 1.0))).astype(np.float32)
    full = Image.fromarray(threshold, mode="F").resize(grey.size, Image.Resampling.BILINEAR)
    ink = np.asarray(grey, np.float32) <= np.asarray(full)
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8), mode="L")


def otsu_level(grey: Image.Image) -> int:
    """Otsu's cut between ink and paper: the lowest grey level of the paper's side of the split
    that best separates the histogram's two classes."""
    counts = np.asarray(grey.convert("L").histogram(), np.float64)
    share = counts / max(counts.sum(), 1.0)
    weight = np.cumsum(share)
    mean = np.cumsum(share * np.arange(256))
    between = (mean[-1] * weight - mean) ** 2 / np.maximum(weight * (1 - weight), 1e-12)
    return int(np.argmax(between)) + 1


def whiten_above(grey: Image.Image, level: int) -> Image.Image:
    """Grey levels at or above `level` to white; darker ones (the ink) left as they are."""
    return grey.point([v if v < level else 255 for v in range(256)])
