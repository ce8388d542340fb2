"""Confidence intervals for figures measured over seeded days.

Days are independent (each has its own seed), so a figure is measured once per day and the
table gives the mean of the daily values with a 95% confidence interval from Student's t:
``mean ± t(0.975, n − 1) · s / √n``. Comparing two rules on the same days (the same customers)
uses the daily differences, which cancels most of the day-to-day spread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, stdev


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile, from the normal one by the Cornish–Fisher expansion (Abramowitz &
    Stegun 26.7.5); within 0.1% of the exact value for ``df`` ≥ 5, 1% at 3."""
    z = NormalDist().inv_cdf(p)
    v = float(df)
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / v ** (k + 1) for k, term in enumerate(terms))


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean over days and the half-width of its 95% confidence interval."""

    mean: float
    half: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half

    def excludes_zero(self) -> bool:
        """The difference is significant at 5%: the interval lies on one side of zero."""
        return self.low > 0 or self.high < 0

    def text(self, scale: float = 1.0, digits: int = 0, unit: str = "") -> str:
        """``"123 ± 4"`` (scaled, e.g. 100 for percentages)."""
        mean, half = self.mean * scale, self.half * scale
        return f"{mean:.{digits}f} ± {half:.{digits}f}{unit}"


def mean_ci(values: Iterable[float | None], level: float = 0.95) -> Interval | None:
    """The mean of the daily values that exist, with its confidence interval (None if none)."""
    found = [v for v in values if v is not None and math.isfinite(v)]
    if not found:
        return None
    if len(found) == 1:
        return Interval(found[0], math.inf, 1)
    half = t_quantile(0.5 + level / 2, len(found) - 1) * stdev(found) / math.sqrt(len(found))
    return Interval(fmean(found), half, len(found))


def paired_ci(
    first: Sequence[float | None], second: Sequence[float | None], level: float = 0.95
) -> Interval | None:
    """``first − second`` over the days where both exist, with its confidence interval."""
    return mean_ci(
        (a - b for a, b in zip(first, second, strict=True) if a is not None and b is not None),
        level,
    )


def text(value: Interval | None, scale: float = 1.0, digits: int = 0, unit: str = "") -> str:
    """``Interval.text``, or a dash when there is nothing to show."""
    return "–" if value is None else value.text(scale, digits, unit)


def pct(value: Interval | None, digits: int = 1) -> str:
    """A share as ``"46.9 ± 1.2%"``."""
    return text(value, 100.0, digits, "%")
