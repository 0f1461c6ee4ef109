"""Plane geometry for page photos: quadrilaterals, line fits and perspective maps (pure numpy)."""

from __future__ import annotations

import math

import numpy as np

Point = tuple[float, float]
# Corners clockwise from the top left: top-left, top-right, bottom-right, bottom-left.
Quad = tuple[Point, Point, Point, Point]


def perspective_coefficients(output: Quad, source: Quad) -> tuple[float, ...]:
    """The 8 coefficients of Pillow's PERSPECTIVE transform that send each `output` corner to
    the matching `source` corner (Pillow maps output pixels back to input pixels)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(output, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    solution = np.linalg.solve(np.array(rows, np.float64), np.array(rhs, np.float64))
    return tuple(float(c) for c in solution)


def fit_line(along: np.ndarray, across: np.ndarray, rounds: int = 3) -> tuple[float, float]:
    """`across = slope * along + offset`, least squares with outliers dropped each round (a pen
    on the desk, a finger on the page edge), so one wrong point cannot tilt the side."""
    keep = np.ones(len(along), bool)
    slope, offset = 0.0, float(np.median(across))
    for _ in range(rounds):
        if keep.sum() < 2:
            break
        slope, offset = (float(c) for c in np.polyfit(along[keep], across[keep], 1))
        residual = np.abs(across - (slope * along + offset))
        spread = max(1.0, 2.5 * float(np.median(residual[keep])))
        keep = residual <= spread
    return slope, offset


def intersect(vertical: tuple[float, float], horizontal: tuple[float, float]) -> Point:
    """Crossing of x = a*y + b (a left/right side) and y = c*x + d (a top/bottom side)."""
    a, b = vertical
    c, d = horizontal
    y = (c * b + d) / (1 - a * c)
    return a * y + b, y


def side_lengths(quad: Quad) -> tuple[float, float]:
    """(width, height): the mean of the opposite sides' lengths."""
    (p0, p1, p2, p3) = quad
    top, bottom = math.dist(p0, p1), math.dist(p3, p2)
    left, right = math.dist(p0, p3), math.dist(p1, p2)
    return (top + bottom) / 2, (left + right) / 2


def shrink(quad: Quad, share: float) -> Quad:
    """Move every corner towards the centre by `share` of its distance from it."""
    cx = sum(p[0] for p in quad) / 4
    cy = sum(p[1] for p in quad) / 4
    return tuple((x + (cx - x) * share, y + (cy - y) * share) for x, y in quad)  # type: ignore[return-value]
