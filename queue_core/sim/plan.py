"""A plan for the day, made before opening: which counters to staff in each hour.

From the day's scenario (its arrivals per hour by service: a pension day, a wage day, an
ordinary day, scaled to the branch) and its booked appointments, ``plan_day`` builds the
staffing hour by hour with the simulator that drives the domain: for each hour it starts from
the counters staffed the hour before, adds counters (in the branch's order: flexible windows
first) while the customers arriving in that hour would wait over 3 minutes more often than the
target allows, or wait too long on average or at the longest (the branch's bound:
``StaffingRules.max_mean_s``, ``max_longest_s``: a plan must not buy its share by letting a few
wait very long), then lets the least needed go while the hour stays well within the target and
the bound; the care window stays open all day. Each hour is judged on a few seeded days
simulated up to its end plus a drain, with every earlier hour as planned.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from queue_core.domain.staffing import StaffingRules
from queue_core.sim.model import Customer, Day, customers
from queue_core.sim.scenario import CounterSpec, Scenario
from queue_core.sim.selectors import Selector

#: Seeded days each hour of a plan is judged on.
PLAN_DAYS = 4


@dataclass(frozen=True, slots=True)
class HourPlan:
    """The counters to staff from ``start_s`` to ``end_s`` after opening, and how that hour's
    customers are expected to wait with them."""

    start_s: float
    end_s: float
    counters: tuple[int, ...]
    over_share: float
    #: That hour's customers' mean wait, and its longest wait (averaged over the days).
    mean_s: float = 0.0
    longest_s: float = 0.0


@dataclass(frozen=True, slots=True)
class DayPlan:
    hours: tuple[HourPlan, ...]

    @property
    def counter_hours(self) -> float:
        return sum(len(h.counters) * (h.end_s - h.start_s) for h in self.hours) / 3600.0

    def staffing(self, scenario: Scenario) -> tuple[CounterSpec, ...]:
        """The scenario's counters, open as this plan says."""
        return _staffed(scenario, self.hours)


def _stretches(number: int, hours: Sequence[HourPlan]) -> tuple[tuple[float, float], ...]:
    found: list[tuple[float, float]] = []
    for h in hours:
        if number not in h.counters:
            continue
        if found and found[-1][1] == h.start_s:
            found[-1] = (found[-1][0], h.end_s)
        else:
            found.append((h.start_s, h.end_s))
    return tuple(found)


def _staffed(scenario: Scenario, hours: Sequence[HourPlan]) -> tuple[CounterSpec, ...]:
    return tuple(replace(c, open=_stretches(c.number, hours)) for c in scenario.counters)


@dataclass(frozen=True, slots=True)
class HourFigures:
    """An hour's customers under a trial staffing, over the plan's simulated days."""

    over_share: float
    mean_s: float
    #: Each day's longest wait among them, averaged over the days.
    longest_s: float

    def excess(self, rules: StaffingRules) -> float:
        return rules.excess(self.over_share, self.mean_s, self.longest_s)


def _hour_figures(
    scenario: Scenario,
    hours: Sequence[HourPlan],
    selector: Selector,
    people: Sequence[Sequence[Customer]],
    rules: StaffingRules,
) -> HourFigures:
    """The last hour's customers' waits, over the plan's days."""
    last = hours[-1]
    # Arrivals up to the hour's end; the counters of that hour stay on an hour to drain it.
    drained = [*hours[:-1], replace(last, end_s=last.end_s + 3600.0)]
    staffed = replace(scenario, counters=_staffed(scenario, drained))
    over = total = 0
    waited = longest = 0.0
    for k, crowd in enumerate(people):
        mine = [p for p in crowd if p.arrival < last.end_s]
        day = Day(staffed, selector, seed=k, people=mine).run()
        most = 0.0
        for o in day.outcomes:
            if last.start_s <= o.arrival - day.open_at < last.end_s:
                total += 1
                wait = o.wait_s if o.wait_s is not None else day.end_at - o.arrival
                over += wait > rules.over_s
                waited += wait
                most = max(most, wait)
        longest += most
    if not total:
        return HourFigures(0.0, 0.0, 0.0)
    return HourFigures(over / total, waited / total, longest / len(people))


def plan_day(
    scenario: Scenario,
    selector: Selector,
    rules: StaffingRules,
    order: Sequence[int] | None = None,
    extra: Sequence[Customer] = (),
    seed: int = 1,
) -> DayPlan:
    """Staff each hour of ``scenario`` with as few counters as keep it within the target and
    the bound.

    ``order`` is the order counters are added in (by default: counters closed in the
    scenario's own plan first, the flexible windows, then by number). The scenario's booked
    appointments (``Scenario.appointments``) come on each simulated day besides its walk-ins;
    ``extra`` are further customers known in advance, added to each simulated day as they are.
    An hour is within when its share over the line is within the target, its mean wait within
    ``max_mean_s`` and its longest within ``max_longest_s`` (``StaffingRules.excess``); while
    it is not, counters that bring it nearer are added in order; a counter goes only if the hour
    stays well within the target and within the bound without it."""
    numbers = [c.number for c in scenario.counters]
    if order is None:
        spare = [c.number for c in scenario.counters if not c.open]
        order = [*spare, *(n for n in numbers if n not in spare)]
    services = {c.number: set(c.services) for c in scenario.counters}
    # The care window stays open whenever the hall is: the green channel is served there first.
    kept = {c.number for c in scenario.counters if c.prefers_green}
    people = []
    for k in range(PLAN_DAYS):
        crowd = [*customers(scenario, random.Random(seed + k)), *extra]
        people.append(sorted(crowd, key=lambda p: p.arrival))
    hours: list[HourPlan] = []
    staffed = sorted({*_cover(scenario, services), *kept})
    end = scenario.day_s
    for hour in range(0, int(end), 3600):
        start, stop = float(hour), min(float(hour + 3600), end)
        current = list(staffed)

        def judge(counters: Sequence[int], start: float = start, stop: float = stop) -> HourFigures:
            trial = HourPlan(start, stop, tuple(sorted(counters)), 0.0)
            return _hour_figures(scenario, [*hours, trial], selector, people, rules)

        figures = judge(current)
        for number in order:
            if figures.excess(rules) <= 1.0:
                break
            if number not in current:
                trial = judge([*current, number])
                if trial.excess(rules) < figures.excess(rules):
                    current, figures = [*current, number], trial
        for number in reversed(order):
            if number not in current or number in kept:
                continue
            if not _still_covered(current, number, services):
                continue
            trial = judge([n for n in current if n != number])
            if rules.comfortable(trial.over_share, trial.mean_s, trial.longest_s):
                current = [n for n in current if n != number]
                figures = trial
        hours.append(
            HourPlan(
                start, stop, tuple(sorted(current)), figures.over_share, figures.mean_s,
                figures.longest_s,
            )
        )  # fmt: skip
        staffed = current
    return DayPlan(tuple(hours))


def _cover(scenario: Scenario, services: dict[int, set[str]]) -> list[int]:
    """The counters of the scenario's own plan at opening (at least one per service)."""
    found = [c.number for c in scenario.counters if any(a <= 0 < b for a, b in c.open)]
    for spec in scenario.services:
        if not any(spec.code in services[n] for n in found):
            found.append(next(n for n, s in services.items() if spec.code in s))
    return found


def _still_covered(current: Sequence[int], number: int, services: dict[int, set[str]]) -> bool:
    """Every service of ``number`` is served by another counter still staffed."""
    others = [n for n in current if n != number]
    return all(any(s in services[n] for n in others) for s in services[number])
