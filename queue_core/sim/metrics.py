"""Summaries of simulated days: waits by customer class, target attainment, estimate errors.

Each table of ``branchq compare`` gives a figure as the mean of its daily values over the
seeded days, with a 95% confidence interval (``sim.stats``): ``DayFigures`` holds one day's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from queue_core.domain.figures import percentile
from queue_core.domain.routing import Policy
from queue_core.sim.model import DayResult, Outcome

#: The 3-minute line (PRODUCT.md: past three minutes the felt wait departs from the real one).
THREE_MINUTES = 180.0
#: An estimate "on the mark" is within this many seconds of the wait that followed.
WITHIN_S = 120.0

#: Customer classes of the tables: each tier, and the green channel across tiers.
CLASSES = ("normal", "gold", "diamond", "green")


def in_class(outcome: Outcome, cls: str) -> bool:
    """Green-channel customers form their own class; tiers count the others."""
    if cls == "green":
        return outcome.green
    return not outcome.green and outcome.tier == cls


@dataclass(frozen=True, slots=True)
class WaitSummary:
    count: int
    mean_s: float | None
    p90_s: float | None
    over_share: float | None
    max_s: float | None


def waits(outcomes: Iterable[Outcome]) -> WaitSummary:
    """Waits (issue → call) of the customers who were called."""
    found = [o.wait_s for o in outcomes if o.wait_s is not None]
    if not found:
        return WaitSummary(0, None, None, None, None)
    return WaitSummary(
        count=len(found),
        mean_s=sum(found) / len(found),
        p90_s=percentile(found, 90),
        over_share=sum(1 for w in found if w > THREE_MINUTES) / len(found),
        max_s=max(found),
    )


def attained(outcomes: Iterable[Outcome], policy: Policy) -> float | None:
    """The share of called customers whose wait was within their class's target."""
    hits = total = 0
    for o in outcomes:
        level = policy.level_for(o.tier, o.green)
        if o.wait_s is None or level is None:
            continue
        total += 1
        hits += o.wait_s <= level.within_s
    return hits / total if total else None


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One simulated day's figures: waits and target attainment per class (and ``"all"``),
    passed-over calls, walk-aways, why each call was made, and counter-hours open."""

    by_class: dict[str, WaitSummary]
    attained: dict[str, float | None]
    overtakes_per_100: float
    abandoned_share: float
    reasons: dict[str, int] = field(default_factory=dict)
    class_jumps_per_100: float = 0.0
    counter_hours: float = 0.0


def day_figures(day: DayResult, policy: Policy) -> DayFigures:
    """The figures of one day, the targets being ``policy``'s."""
    groups = {c: [o for o in day.outcomes if in_class(o, c)] for c in CLASSES}
    groups["all"] = day.outcomes
    return DayFigures(
        by_class={c: waits(found) for c, found in groups.items()},
        attained={c: attained(found, policy) for c, found in groups.items()},
        overtakes_per_100=100.0 * day.overtakes / max(day.calls, 1),
        class_jumps_per_100=100.0 * day.class_jumps / max(day.calls, 1),
        abandoned_share=day.count("abandoned") / max(len(day.outcomes), 1),
        reasons=dict(Counter(o.reason for o in day.outcomes if o.reason)),
        counter_hours=sum(s.end - s.start for s in day.spans if s.state == "open") / 3600.0,
    )


@dataclass(frozen=True, slots=True)
class RoutingRow:
    """One policy on one scenario over many days."""

    selector: str
    by_class: dict[str, WaitSummary]
    overall: WaitSummary
    overtakes_per_100: float
    abandoned_share: float


def routing_row(days: Sequence[DayResult]) -> RoutingRow:
    outcomes = [o for d in days for o in d.outcomes]
    calls = sum(d.calls for d in days)
    return RoutingRow(
        selector=days[0].selector,
        by_class={c: waits(o for o in outcomes if in_class(o, c)) for c in CLASSES},
        overall=waits(outcomes),
        overtakes_per_100=100.0 * sum(d.overtakes for d in days) / max(calls, 1),
        abandoned_share=sum(1 for o in outcomes if o.result == "abandoned") / max(len(outcomes), 1),
    )


@dataclass(frozen=True, slots=True)
class ErrorSummary:
    count: int
    mae_s: float | None
    within_share: float | None
    bias_s: float | None


def errors(outcomes: Iterable[Outcome], estimator: str, waited: bool = False) -> ErrorSummary:
    """Estimate at issue against the wait that followed, over the customers who were called
    (with ``waited``, only those who had to wait: most of a quiet day's customers find a free
    counter, are told 0 and wait 0, which dilutes every difference between estimators).

    An estimate of None (no counter open) counts as a miss in ``within_share`` and is left out of
    the mean absolute error.
    """
    diffs: list[float] = []
    missing = 0
    for o in outcomes:
        if o.wait_s is None or estimator not in o.estimates or (waited and o.wait_s <= 0):
            continue
        guess = o.estimates[estimator]
        if guess is None:
            missing += 1
            continue
        diffs.append(guess - o.wait_s)
    total = len(diffs) + missing
    if not total:
        return ErrorSummary(0, None, None, None)
    return ErrorSummary(
        count=total,
        mae_s=sum(abs(d) for d in diffs) / len(diffs) if diffs else None,
        within_share=sum(1 for d in diffs if abs(d) <= WITHIN_S) / total,
        bias_s=sum(diffs) / len(diffs) if diffs else None,
    )


@dataclass(frozen=True, slots=True)
class RangeSummary:
    """How the ranges shown at issue came out: the share of waits inside, below and above."""

    count: int
    inside: float | None
    below: float | None
    above: float | None
    width_s: float | None


def ranges(outcomes: Iterable[Outcome], waited: bool = False) -> RangeSummary:
    """The ranges of the called customers (with ``waited``, those who had to wait)."""
    inside = below = above = 0
    width = 0.0
    for o in outcomes:
        wait = o.wait_s
        if wait is None or o.range is None or (waited and wait <= 0):
            continue
        width += o.range.high_s - o.range.low_s
        if wait < o.range.low_s:
            below += 1
        elif wait > o.range.high_s:
            above += 1
        else:
            inside += 1
    n = inside + below + above
    if not n:
        return RangeSummary(0, None, None, None, None)
    return RangeSummary(n, inside / n, below / n, above / n, width / n)
