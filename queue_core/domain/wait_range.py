"""The wait as a range ("约 8–12 分钟"), calibrated on how the branch's own estimates came out.

A point estimate is wrong for nearly everyone; a range that says how wrong is honest. The range
around an estimate ``e`` comes from the recent errors: for each ticket called, the ratio
``r = (wait + s0) / (e + s0)`` of the wait that followed to the estimate it was given at issue
(``s0``, a minute, keeps short estimates from giving wild ratios). The range is
``[q_low · (e + s0) − s0, q_high · (e + s0) − s0]`` with ``q_low`` and ``q_high`` quantiles of
the ratios over a moving window, shrunk towards measured defaults while the window is short.
Shown in whole minutes, the bottom is rounded down and the top up, so the minutes printed
contain the seconds computed; the estimate itself always lies inside its range.

Which quantiles: the aim is that about 80% of the waits fall inside the minutes shown, and of
the rest fewer above than below, because each minute past the announced wait costs more than
a minute under it (Webb, Yu & Bretthauer on delay announcements and abandonment). Rounding to
minutes and a drifting day (a peak building up) move what a fixed quantile covers, so the
levels adapt: each ticket called that lay above (below) the range it would be shown raises
(lowers) the level a little, one inside moves it back, until of the tickets told a wait 8% run
past the top and 18% fall below the bottom (adaptive conformal inference: Gibbs & Candès,
NeurIPS 2021). With the estimate held inside the range, the customers who waited see about
80% inside, 7% above, 12% below on every simulated scenario (``docs/wait-estimate.md``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

#: Seconds added to both the wait and the estimate before taking their ratio.
OFFSET_S = 60.0
#: The shares of waits meant to fall below and above the range shown.
BELOW = 0.18
ABOVE = 0.08
#: How far one ticket moves a quantile level.
STEP = 0.01
#: The quantiles used before any history (measured on the simulated scenarios, see
#: ``docs/wait-estimate.md``), and how many recent calls they weigh as.
PRIOR_LOW = 0.75
PRIOR_HIGH = 2.0
PRIOR_WEIGHT = 30


@dataclass(frozen=True, slots=True)
class WaitRange:
    """A range of seconds, and the same in whole minutes as printed and shown."""

    low_s: int
    high_s: int

    @property
    def minutes(self) -> tuple[int, int]:
        return self.low_s // 60, self.high_s // 60


def in_minutes(low: float, high: float) -> WaitRange:
    """The range in whole minutes, rounded outwards, at least one minute wide."""
    lo = max(0, math.floor(low / 60.0))
    hi = max(lo + 1, math.ceil(high / 60.0))
    return WaitRange(lo * 60, hi * 60)


def _quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of a sorted list."""
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[k]


@dataclass(slots=True)
class RangeCalibration:
    """The recent ratios of waits to their estimates, and the range they give an estimate."""

    window: int = 300
    ratios: deque[float] = field(default_factory=deque)
    low_level: float = BELOW
    high_level: float = 1.0 - ABOVE
    _bounds: tuple[float, float] | None = None

    def record(self, estimate_s: float, wait_s: float) -> None:
        """One ticket called: the estimate it had at issue and the wait that followed.

        Tickets told 0 (a counter was free) are left out: they are called at once, and a quiet
        day's many of them would narrow the range of everyone who does wait."""
        if estimate_s <= 0 or wait_s < 0 or not math.isfinite(estimate_s):
            return
        shown = in_minutes(*self.seconds(estimate_s))
        below, above = wait_s < shown.low_s, wait_s > shown.high_s
        self.low_level = min(0.5, max(0.0, self.low_level - STEP * (below - BELOW)))
        self.high_level = min(1.0, max(0.5, self.high_level + STEP * (above - ABOVE)))
        self.ratios.append((wait_s + OFFSET_S) / (estimate_s + OFFSET_S))
        if len(self.ratios) > self.window:
            self.ratios.popleft()
        self._bounds = None

    def copy(self) -> RangeCalibration:
        """A calibration of its own with the same recent ratios (to read away from a lock)."""
        return RangeCalibration(
            self.window, deque(self.ratios), self.low_level, self.high_level, self._bounds
        )

    def bounds(self) -> tuple[float, float]:
        """(q_low, q_high): the window's quantiles, shrunk towards the defaults."""
        if self._bounds is None:
            n = len(self.ratios)
            if n == 0:
                self._bounds = (PRIOR_LOW, PRIOR_HIGH)
            else:
                ordered = sorted(self.ratios)
                w = n / (n + PRIOR_WEIGHT)
                low = w * _quantile(ordered, self.low_level) + (1 - w) * PRIOR_LOW
                high = w * _quantile(ordered, self.high_level) + (1 - w) * PRIOR_HIGH
                self._bounds = (min(low, 1.0), max(high, 1.0))
        return self._bounds

    def seconds(self, estimate_s: float) -> tuple[float, float]:
        """The range around an estimate, in seconds (never below zero)."""
        low, high = self.bounds()
        base = estimate_s + OFFSET_S
        return max(0.0, low * base - OFFSET_S), max(0.0, high * base - OFFSET_S)

    def range_for(self, estimate_s: float | None) -> WaitRange | None:
        """The range shown for an estimate (None when there is no estimate)."""
        if estimate_s is None:
            return None
        return in_minutes(*self.seconds(estimate_s))
