"""Summaries of simulated days: waits by customer class, and estimate errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from queue_core.domain.figures import percentile
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


def errors(outcomes: Iterable[Outcome], estimator: str) -> ErrorSummary:
    """Estimate at issue against the wait that followed, over the customers who were called.

    An estimate of None (no counter open) counts as a miss in ``within_share`` and is left out of
    the mean absolute error.
    """
    diffs: list[float] = []
    missing = 0
    for o in outcomes:
        if o.wait_s is None or estimator not in o.estimates:
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
