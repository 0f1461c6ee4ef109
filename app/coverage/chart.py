"""Geometry of the server-rendered SVG chart: cumulative coverage per month against the
roadmap's yearly steps. The template draws what this computes; no JavaScript is involved."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 900, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 40


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot: tuple[float, float, float, float]     # left, top, right, bottom
    coverage_path: str                          # empty when there is no inventory
    target_path: str
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    last_point: tuple[float, float] | None = None
    last_label: str = ""
    summary: str = ""


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def percent(value: float | None) -> str:
    """0.553 -> "55,3 %" (Vietnamese decimal comma); None -> "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def build_chart(series: dict[str, Any]) -> Chart:
    points = series["points"]
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    values = [p["coverage"] for p in points if p["coverage"] is not None]
    values += [p["target"] for p in points]
    # At least 0..100 %; above that in steps of 25 % so an over-full register still fits.
    y_max = max(1.0, math.ceil(max(values, default=1.0) * 4) / 4)
    count = max(len(points), 1)
    step = (right - left) / count

    def x(index: float) -> float:
        return left + index * step

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    coverage_path = ""
    last_point = None
    if points and series["inventory"]:
        # Each month's value is the state at its end: drawn at the month's right edge.
        coords = [(x(i + 1), y(p["coverage"])) for i, p in enumerate(points)]
        start = (x(0), y(series["digitized_before"] / series["inventory"]))
        coverage_path = "M" + " L".join(f"{_fmt(a)} {_fmt(b)}" for a, b in [start, *coords])
        last_point = coords[-1]
    target_path = ""
    if points:
        segments = []
        for i, p in enumerate(points):
            verb = "M" if i == 0 else "L"
            segments.append(f"{verb}{_fmt(x(i))} {_fmt(y(p['target']))}")
            segments.append(f"L{_fmt(x(i + 1))} {_fmt(y(p['target']))}")
        target_path = " ".join(segments)
    y_ticks = [Tick(y(v / 4), f"{v * 25} %") for v in range(int(y_max * 4) + 1)]
    label_every = 1 if count <= 84 else 2 if count <= 180 else 5
    x_ticks = [Tick(x(i), p["month"][:4]) for i, p in enumerate(points)
               if p["month"].endswith("-01") and (int(p["month"][:4]) % label_every == 0)]
    last = points[-1] if points else None
    summary = ""
    if last:
        summary = (f"Đến tháng {last['month'][5:]}/{last['month'][:4]}: đã số hóa "
                   f"{last['cumulative']} / {series['inventory']} "
                   f"({percent(last['coverage'])}); chỉ tiêu năm {percent(last['target'])}.")
    return Chart(WIDTH, HEIGHT, (left, top, right, bottom), coverage_path, target_path, y_ticks,
                 x_ticks, last_point, percent(last["coverage"]) if last else "", summary)
