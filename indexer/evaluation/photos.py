"""A deterministic "phone photo" of a scanned page, for measuring the capture clean-up.

What a ward office's phone does to a page on a desk: the page covers part of the frame with a
dark desk around it, is tilted in perspective and turned a few degrees, lit unevenly with a
shadow across part of it, slightly out of focus, at 150-225 dpi effective, saved as JPEG with
the 72 dpi phones write. Every parameter is drawn from a `random.Random` seeded by the caller,
so the same seed always gives the same bytes.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from indexer.extract.geometry import Quad, perspective_coefficients


@dataclass(frozen=True)
class PhotoParams:
    dpi: float  # effective resolution of the page in the photo
    margin: float  # desk around the page, as a share of the page's size
    tilt: tuple[float, ...]  # corner displacements (8 values, share of the page's size)
    angle: float  # degrees, counter-clockwise
    light_low: float  # the darkest end of the light gradient (1.0 = even light)
    light_angle: float  # direction of the gradient, radians
    shadow: float  # brightness left under the shadow (1.0 = no shadow)
    shadow_line: tuple[float, float, float]  # shadow edge: point (x, y share) and angle
    desk: int  # desk grey level
    blur: float  # Gaussian radius in pixels, at the photo's resolution
    noise: float  # sensor noise, grey levels (standard deviation)
    quality: int  # JPEG quality


def draw_params(rng: random.Random) -> PhotoParams:
    """The degradations of one photo; the ranges are those the issue describes."""
    return PhotoParams(
        dpi=rng.uniform(150, 225),
        margin=rng.uniform(0.05, 0.12),
        tilt=tuple(rng.uniform(-0.035, 0.035) for _ in range(8)),
        angle=rng.choice((-1, 1)) * rng.uniform(1.0, 5.0),
        light_low=rng.uniform(0.6, 0.85),
        light_angle=rng.uniform(0, 2 * math.pi),
        shadow=rng.uniform(0.55, 0.75),
        shadow_line=(rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0, math.pi)),
        desk=rng.randint(25, 70),
        blur=rng.uniform(0.6, 1.2),
        noise=rng.uniform(2.0, 5.0),
        quality=rng.randint(70, 88),
    )


def _target_quad(width: int, height: int, p: PhotoParams, canvas: tuple[int, int]) -> Quad:
    """Where the page's corners land in the photo: tilted, then turned about the centre."""
    cx, cy = canvas[0] / 2, canvas[1] / 2
    corners = [
        (-width / 2, -height / 2),
        (width / 2, -height / 2),
        (width / 2, height / 2),
        (-width / 2, height / 2),
    ]
    turn = math.radians(p.angle)
    out = []
    for k, (x, y) in enumerate(corners):
        x += p.tilt[2 * k] * width
        y += p.tilt[2 * k + 1] * height
        out.append(
            (
                cx + x * math.cos(turn) + y * math.sin(turn),
                cy - x * math.sin(turn) + y * math.cos(turn),
            )
        )
    return tuple(out)  # type: ignore[return-value]


def _light_field(size: tuple[int, int], p: PhotoParams) -> np.ndarray:
    """Brightness multiplier: a linear gradient times a soft-edged shadow (a half-plane)."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xs / w - 0.5) * math.cos(p.light_angle) + (ys / h - 0.5) * math.sin(p.light_angle)
    gradient = 1.0 - (1.0 - p.light_low) * np.clip(u + 0.5, 0, 1)
    px, py, theta = p.shadow_line
    side = (xs / w - px) * math.sin(theta) - (ys / h - py) * math.cos(theta)
    softness = 0.03  # the shadow's edge blurs over ~3 % of the frame
    inside = np.clip(0.5 + side / (2 * softness), 0, 1)
    return gradient * (1.0 - (1.0 - p.shadow) * inside)


def photograph(page: Image.Image, source_dpi: float, p: PhotoParams, seed: int) -> bytes:
    """JPEG bytes of a phone photo of `page` (any mode) scanned at `source_dpi`."""
    scale = p.dpi / source_dpi
    paper = page.convert("RGB").resize(
        (round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS
    )
    w, h = paper.size
    canvas = (round(w * (1 + 2 * p.margin)), round(h * (1 + 2 * p.margin)))
    quad = _target_quad(w, h, p, canvas)
    source: Quad = ((0, 0), (w, 0), (w, h), (0, h))
    coefficients = perspective_coefficients(quad, source)  # output pixel -> page pixel
    warped = paper.transform(
        canvas,
        Image.Transform.PERSPECTIVE,
        coefficients,
        Image.Resampling.BICUBIC,
        fillcolor=(0, 0, 0),
    )
    mask = Image.new("L", paper.size, 255).transform(
        canvas, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    rng = np.random.default_rng(seed)
    # A desk with a coarse wood-like texture: low-resolution noise blown up.
    coarse = rng.normal(0, 12, (canvas[1] // 40 + 2, canvas[0] // 40 + 2)).astype(np.float32)
    texture = np.asarray(Image.fromarray(coarse, mode="F").resize(canvas, Image.Resampling.BICUBIC))
    desk = np.clip(p.desk + texture, 0, 255)[..., None] * np.array([1.0, 0.9, 0.8], np.float32)
    tint = np.array([1.0, 0.97, 0.92], np.float32)  # warm indoor light on white paper
    alpha = np.asarray(mask, np.float32)[..., None] / 255
    image = np.asarray(warped, np.float32) * tint * alpha + desk * (1 - alpha)
    image *= _light_field(canvas, p)[..., None]
    photo = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), mode="RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(p.blur))
    noisy = np.asarray(photo, np.float32) + rng.normal(0, p.noise, (canvas[1], canvas[0], 1))
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), mode="RGB")
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=p.quality, dpi=(72, 72))
    return out.getvalue()
