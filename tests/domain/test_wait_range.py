"""The wait shown as a range: calibrated on the branch's own errors, in whole minutes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.wait_range import ABOVE, BELOW, RangeCalibration, WaitRange, in_minutes


def test_a_fresh_engine_shows_the_measured_default_range() -> None:
    calibration = RangeCalibration()
    shown = calibration.range_for(600)
    assert shown is not None
    low, high = calibration.seconds(600)
    assert low < 600 < high
    # Rounded outwards to whole minutes: the minutes contain the seconds.
    assert shown.low_s <= low and shown.high_s >= high
    assert shown.low_s % 60 == 0 and shown.high_s % 60 == 0
    assert calibration.range_for(None) is None


def test_a_free_counter_still_shows_a_minute_wide_range() -> None:
    assert RangeCalibration().range_for(0) == WaitRange(0, 60)
    assert in_minutes(130, 130).minutes == (2, 3)


@given(estimate=st.floats(0, 7200), ratios=st.lists(st.floats(0, 6), max_size=50))
def test_the_estimate_always_lies_inside_its_range(estimate: float, ratios: list[float]) -> None:
    calibration = RangeCalibration()
    for r in ratios:
        calibration.record(300, r * 300)
    shown = calibration.range_for(estimate)
    assert shown is not None and shown.low_s <= estimate <= shown.high_s


def _play(calibration: RangeCalibration, spread: float, bias: float) -> tuple[int, int, int]:
    """2 000 tickets told 1-20 minutes whose waits scatter around ``bias`` × the estimate;
    returns how many waits fell inside, below and above their range once the window is full."""
    rng = random.Random(7)
    inside = below = above = 0
    for n in range(2000):
        estimate = rng.uniform(60, 1200)
        wait = estimate * bias * rng.lognormvariate(0, spread)
        shown = calibration.range_for(estimate)
        assert shown is not None
        if n >= 300:
            if wait < shown.low_s:
                below += 1
            elif wait > shown.high_s:
                above += 1
            else:
                inside += 1
        calibration.record(estimate, wait)
    return inside, below, above


@pytest.mark.parametrize("spread", [0.2, 0.4, 0.8])
def test_the_misses_run_at_their_targets_and_fewer_past_the_top(spread: float) -> None:
    inside, below, above = _play(RangeCalibration(), spread=spread, bias=1.0)
    total = inside + below + above
    assert abs(below / total - BELOW) < 0.03 and abs(above / total - ABOVE) < 0.02
    # Leaning against under-promising: fewer run past the top than fall below the bottom.
    assert above < below


def test_the_range_learns_that_waits_run_longer_than_told() -> None:
    calibration = RangeCalibration()
    fresh = calibration.range_for(600)
    inside, below, above = _play(calibration, spread=0.3, bias=1.6)
    assert inside / (inside + below + above) >= 0.75
    learned = calibration.range_for(600)
    assert fresh is not None and learned is not None
    # The top moved up with the errors; the bottom stays at the estimate (it is always inside).
    assert learned.high_s > fresh.high_s and learned.low_s == 600


def test_tickets_told_no_wait_do_not_narrow_the_range() -> None:
    calibration = RangeCalibration()
    before = calibration.bounds()
    for _ in range(500):
        calibration.record(0, 0)
    assert calibration.bounds() == before
