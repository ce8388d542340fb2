"""Batches of seeded days for ``branchq compare``, run in worker processes.

A batch is a scenario, a rule and a run of seeds; it returns each day's figures only (small,
cheap to send back), never the days themselves. ``run_batches`` spreads batches over
``jobs`` processes; with one job it runs them in this process, which the tests use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

from queue_core.domain.staffing import StaffingRules
from queue_core.sim.estimators import ESTIMATORS
from queue_core.sim.metrics import (
    DayFigures,
    ErrorSummary,
    RangeSummary,
    day_figures,
    errors,
    ranges,
)
from queue_core.sim.model import simulate_day
from queue_core.sim.plan import plan_day
from queue_core.sim.scenario import Scenario, load
from queue_core.sim.selectors import branch_policy, by_name
from queue_core.sim.staffing import advised_day

#: Days per batch: small enough to keep two workers evenly busy.
BATCH_DAYS = 10

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Batch:
    """Seeds ``first`` … ``first + days − 1`` of a scenario under one rule."""

    scenario: str
    rule: str
    first: int
    days: int

    @property
    def seeds(self) -> range:
        return range(self.first, self.first + self.days)


def batches(scenario: str, rule: str, days: int, seed: int) -> list[Batch]:
    """``days`` seeded days from ``seed``, cut into batches."""
    return [
        Batch(scenario, rule, first, min(BATCH_DAYS, seed + days - first))
        for first in range(seed, seed + days, BATCH_DAYS)
    ]


def run_batches(work: Callable[[Batch], list[R]], found: Sequence[Batch], jobs: int) -> list[R]:
    """Every batch's days, in order; ``jobs`` worker processes (1: in this process)."""
    if jobs <= 1 or len(found) <= 1:
        return [day for batch in found for day in work(batch)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [day for part in pool.map(work, found) for day in part]


def routing_days(batch: Batch) -> list[DayFigures]:
    """The figures of each day of a batch under one routing rule."""
    scenario, policy = load(batch.scenario), branch_policy()
    return [
        day_figures(
            simulate_day(scenario, by_name(batch.rule), seed, class_of=policy.level_of), policy
        )
        for seed in batch.seeds
    ]


@dataclass(frozen=True, slots=True)
class EstimateDay:
    """One day's estimate errors per estimator: over the customers who waited, and over all."""

    waited: dict[str, ErrorSummary]
    everyone: dict[str, ErrorSummary]
    waited_share: float
    range_waited: RangeSummary
    range_everyone: RangeSummary


def estimate_days(batch: Batch) -> list[EstimateDay]:
    """Each day of a batch with every estimator asked at every issue."""
    scenario = load(batch.scenario)
    out = []
    for seed in batch.seeds:
        day = simulate_day(scenario, by_name(batch.rule), seed, ESTIMATORS)
        called = [o for o in day.outcomes if o.wait_s is not None]
        out.append(
            EstimateDay(
                waited={k: errors(day.outcomes, k, waited=True) for k in ESTIMATORS},
                everyone={k: errors(day.outcomes, k) for k in ESTIMATORS},
                waited_share=sum(1 for o in called if (o.wait_s or 0) > 0) / max(len(called), 1),
                range_waited=ranges(day.outcomes, waited=True),
                range_everyone=ranges(day.outcomes),
            )
        )
    return out


def scenario_variant(name: str) -> Scenario:
    """A bundled scenario, or ``NAME@OTHER``: NAME's customers with OTHER's counters (a
    pension day staffed like a weekday: ``pension_day@weekday``)."""
    base, _, staffed = name.partition("@")
    scenario = load(base)
    if staffed:
        scenario = replace(scenario, counters=load(staffed).counters)
    return scenario


@dataclass(frozen=True, slots=True)
class StaffingDay:
    """One day under its static plan or with the staffing advice followed."""

    figures: DayFigures
    advice: tuple[str, ...] = ()
    alerts: int = 0


#: The seed of a day plan's own simulated days (``plan_day``), apart from the evaluated ones.
PLAN_SEED = 10_001


@functools.cache
def planned(name: str) -> Scenario:
    """The scenario staffed by the engine's day plan, made before opening from the scenario
    itself (its arrival profile, the branch's target) on simulated days of its own."""
    scenario = scenario_variant(name)
    plan = plan_day(scenario, by_name(DEFAULT_RULE), staffing_rules(), seed=PLAN_SEED)
    return replace(scenario, counters=plan.staffing(scenario))


def staffing_days(batch: Batch) -> list[StaffingDay]:
    """Each day of a batch: ``rule`` is ``static`` (the scenario's own staffing), ``planned``
    (the engine's day plan) or ``advised`` (the advice followed; the branch's rules)."""
    scenario, policy = scenario_variant(batch.scenario), branch_policy()
    rules = staffing_rules()
    out = []
    for seed in batch.seeds:
        if batch.rule in ("static", "planned"):
            staffed = scenario if batch.rule == "static" else planned(batch.scenario)
            day = simulate_day(staffed, by_name(DEFAULT_RULE), seed)
            out.append(StaffingDay(day_figures(day, policy)))
            continue
        day, follower = advised_day(scenario, by_name(DEFAULT_RULE), seed, rules)
        given = tuple(f"{at:.0f} {advice.describe()}" for at, advice in follower.given)
        out.append(StaffingDay(day_figures(day, policy), given, follower.alerts))
    return out


#: The routing the staffing evaluation runs under (the demo branch's).
DEFAULT_RULE = "aging:1"


def staffing_rules() -> StaffingRules:
    """The demo branch's ``[staffing]`` settings."""
    from queue_core.config import load_config

    rules: StaffingRules = load_config().staffing.rules()
    return rules
