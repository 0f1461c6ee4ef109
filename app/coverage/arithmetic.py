"""Coverage arithmetic, pure: roadmap targets, per-agency figures and roll-ups.

Definitions (docs/interfaces.md): coverage = digitized / inventory; target = the roadmap's
value for the year of the as-of date and the agency's level (0 before the first roadmap year,
the last value after the last one); on_track = coverage >= target.

An agency whose inventory is 0 has nothing to digitise: its coverage is null (the ratio is
undefined, and showing 0 % or 100 % would both mislead), and it is on track whatever the year,
since the plan asks for a share of nothing. Coverage is never capped: more digitised records
than the register's inventory shows as a ratio above 1, a sign the register needs a second look.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

Roadmap = Mapping[int, Mapping[str, float]]


def target_for(roadmap: Roadmap, year: int, level: str) -> float:
    """The roadmap's target for `level` in `year`; a year between listed ones keeps the last."""
    listed = sorted(y for y in roadmap if y <= year)
    if not listed:
        return 0.0
    return float(roadmap[listed[-1]].get(level, 0.0))


def exact(value: float) -> Fraction:
    """A roadmap value as the decimal it was written as: compared exactly, not as a float."""
    return Fraction(repr(float(value)))


@dataclass(frozen=True)
class Figures:
    inventory: int
    digitized: int
    target_exact: Fraction

    @classmethod
    def of(cls, inventory: int, digitized: int, target: float) -> Figures:
        return cls(inventory, digitized, exact(target))

    @property
    def target(self) -> float:
        return float(self.target_exact)

    @property
    def coverage(self) -> float | None:
        return self.digitized / self.inventory if self.inventory else None

    @property
    def required(self) -> int:
        """Records the target asks for: the smallest whole number >= target × inventory."""
        return math.ceil(self.target_exact * self.inventory)

    @property
    def on_track(self) -> bool:
        return self.digitized >= self.target_exact * self.inventory

    @property
    def gap(self) -> int:
        """Records still to digitise to reach the target (0 when on track)."""
        return max(0, self.required - self.digitized)

    def as_dict(self) -> dict[str, object]:
        return {"inventory": self.inventory, "digitized": self.digitized,
                "coverage": self.coverage, "target": self.target, "on_track": self.on_track,
                "gap": self.gap}


def combined(parts: Iterable[Figures]) -> Figures:
    """Several agencies as one: sums, with the inventory-weighted target of the parts.

    Weighting by inventory makes the combined target the share of all records the plan asks
    for, so a roll-up is on track exactly when it has digitised as many records as its parts
    are asked for in total (counting surplus of one part against the deficit of another).
    """
    parts = list(parts)
    inventory = sum(p.inventory for p in parts)
    digitized = sum(p.digitized for p in parts)
    if inventory:
        target = sum((p.target_exact * p.inventory for p in parts), Fraction(0)) / inventory
    else:
        target = max((p.target_exact for p in parts), default=Fraction(0))
    return Figures(inventory, digitized, target)


def step_targets(roadmap: Roadmap, years: Iterable[int], weights: Mapping[str, int]
                 ) -> dict[int, float]:
    """Target per year for a group whose inventory per level is `weights` (the chart's steps)."""
    return {year: combined(Figures.of(count, 0, target_for(roadmap, year, level))
                           for level, count in weights.items()).target
            for year in years}
